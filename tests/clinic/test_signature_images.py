"""The drawn signature's checks (consent services' `check_signature`) on the damaged or unusual
PNGs a browser never sends but a broken upload or a forged request can: a file cut before its
end, a first chunk that is not the header, a wrong checksum, compressed data that is damaged
or too short, a row filter PNG does not have, 16-bit or interlaced images. Each is refused as
unreadable, never with a crash; the formats a canvas produces (grey, grey+alpha, RGB, RGBA)
with a real stroke are accepted.

Pure image checks; the clock is frozen as always (Monday 23 November 2026, 09:00 London)."""

import base64
import struct
import zlib

import pytest

from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.signature import check_signature

WIDTH, HEIGHT = 120, 40
UNREADABLE = "could not be read as a drawing"


def chunk(kind, body, *, crc=None):
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def header(*, depth=8, colour=6, interlace=0, width=WIDTH, height=HEIGHT):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))


def pixels(*, colour=6, filter_type=0):
    """Rows of a white-or-clear image with a dark stroke across rows 18-21."""
    ink = {0: b"\x10", 2: b"\x10\x10\x10", 4: b"\x10\xff", 6: b"\x10\x10\x10\xff"}[colour]
    blank = {0: b"\xff", 2: b"\xff\xff\xff", 4: b"\xff\x00", 6: b"\x00\x00\x00\x00"}[colour]
    rows = [bytes([filter_type]) + (ink if 18 <= y < 22 else blank) * WIDTH for y in range(HEIGHT)]
    return b"".join(rows)


def png(*parts):
    return b"\x89PNG\r\n\x1a\n" + b"".join(parts)


def url(raw):
    return "data:image/png;base64," + base64.b64encode(raw).decode()


def good(colour=6):
    return png(
        header(colour=colour), chunk(b"IDAT", zlib.compress(pixels(colour=colour))), chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("colour", [0, 2, 4, 6])
def test_it_accepts_a_stroke_in_each_format_a_canvas_makes(colour):
    assert check_signature(url(good(colour))) is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(png(header(), chunk(b"IDAT", zlib.compress(pixels()))), id="no end chunk"),
        pytest.param(png(chunk(b"IDAT", zlib.compress(pixels())), chunk(b"IEND", b"")), id="no header"),
        pytest.param(png(chunk(b"IEND", b"")), id="only an end"),
        pytest.param(
            png(header(), chunk(b"IDAT", zlib.compress(pixels()), crc=1), chunk(b"IEND", b"")),
            id="bad checksum",
        ),
        pytest.param(
            png(header(), chunk(b"IDAT", b"not zlib at all"), chunk(b"IEND", b"")), id="damaged data"
        ),
        pytest.param(
            png(header(), chunk(b"IDAT", zlib.compress(pixels()[:-WIDTH])), chunk(b"IEND", b"")),
            id="too short",
        ),
        pytest.param(
            png(header(), chunk(b"IDAT", zlib.compress(pixels(filter_type=7))), chunk(b"IEND", b"")),
            id="unknown filter",
        ),
        pytest.param(
            png(header(depth=16), chunk(b"IDAT", zlib.compress(pixels())), chunk(b"IEND", b"")), id="16-bit"
        ),
        pytest.param(
            png(header(interlace=1), chunk(b"IDAT", zlib.compress(pixels())), chunk(b"IEND", b"")),
            id="interlaced",
        ),
        pytest.param(
            png(header(colour=3), chunk(b"IDAT", zlib.compress(pixels())), chunk(b"IEND", b"")), id="palette"
        ),
        pytest.param(
            png(header(width=0), chunk(b"IDAT", zlib.compress(b"")), chunk(b"IEND", b"")), id="no pixels"
        ),
    ],
)
def test_it_refuses_a_damaged_or_unusual_png_as_unreadable(raw):
    with pytest.raises(ServiceError) as refused:
        check_signature(url(raw))
    assert (refused.value.field, UNREADABLE in refused.value.message) == ("signature_png", True)


def test_it_reads_a_drawing_split_over_several_data_chunks():
    data = zlib.compress(pixels())
    raw = png(header(), chunk(b"IDAT", data[:50]), chunk(b"IDAT", data[50:]), chunk(b"IEND", b""))
    assert check_signature(url(raw)) is None


def test_it_ignores_chunks_after_the_end():
    assert check_signature(url(good() + b"trailing garbage")) is None
