"""The drawn signature check (`clinic.signature`) on its own: what counts as ink, which PNGs are
read, and where a drawing becomes a signature. The consent tests cover it through signing."""

import base64
import io
import zlib

import pytest
from PIL import Image, ImageDraw

from needlepoint.clinic.services import ServiceError
from needlepoint.clinic.signature import (
    MIN_INK_COLUMNS,
    MIN_INK_PIXELS,
    NO_DRAWING,
    SIGNATURE_MAX_BYTES,
    TOO_LARGE,
    TOO_SMALL,
    TOO_WIDE,
    UNREADABLE,
    check_signature,
    ink_of,
)

DARK = (29, 39, 51)


def canvas(mode="RGBA", size=(200, 60)):
    """A blank pad: transparent for modes with alpha, white otherwise."""
    blank = {"RGBA": (0, 0, 0, 0), "LA": (0, 0), "RGB": (255, 255, 255), "L": 255}[mode]
    return Image.new(mode, size, blank)


def stroke(image, x0, x1, y=20, thick=3, colour=None):
    """Draw a horizontal bar of `thick` rows over columns x0..x1-1."""
    if colour is None:
        colour = {"RGBA": (*DARK, 255), "LA": (40, 255), "RGB": DARK, "L": 40}[image.mode]
    ImageDraw.Draw(image).rectangle((x0, y, x1 - 1, y + thick - 1), fill=colour)
    return image


def data_url(image, **save):
    out = io.BytesIO()
    image.save(out, "PNG", **save)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def refusal(url):
    with pytest.raises(ServiceError) as exc:
        check_signature(url)
    assert exc.value.field == "signature_png"
    return exc.value.message


@pytest.mark.parametrize("mode", ["RGBA", "LA", "RGB", "L"])
def test_it_counts_the_ink_pixels_and_the_columns_they_cover(mode):
    image = stroke(stroke(canvas(mode), 10, 50), 30, 70, y=40, thick=2)
    assert ink_of(image) == (40 * 3 + 40 * 2, 60)


def test_a_light_or_see_through_mark_is_not_ink():
    image = stroke(canvas(), 10, 100, colour=(200, 200, 200, 255))  # light grey
    image = stroke(image, 10, 100, y=40, colour=(*DARK, 100))  # mostly transparent
    assert ink_of(image) == (0, 0)


def test_the_green_value_decides_for_a_colour_pen():
    assert ink_of(stroke(canvas("RGB"), 0, 10, colour=(255, 100, 255))) == (30, 10)
    assert ink_of(stroke(canvas("RGB"), 0, 10, colour=(0, 170, 0))) == (0, 0)


def test_a_drawing_becomes_a_signature_at_the_minimum_width():
    wide_enough = stroke(canvas(), 10, 10 + MIN_INK_COLUMNS, thick=4)
    assert ink_of(wide_enough)[0] >= MIN_INK_PIXELS
    check_signature(data_url(wide_enough))
    too_narrow = stroke(canvas(), 10, 10 + MIN_INK_COLUMNS - 1, thick=20)
    assert refusal(data_url(too_narrow)) == TOO_SMALL


def test_a_drawing_becomes_a_signature_at_the_minimum_ink():
    check_signature(data_url(stroke(canvas(), 0, MIN_INK_PIXELS, thick=1)))
    assert refusal(data_url(stroke(canvas(), 0, MIN_INK_PIXELS - 1, thick=1))) == TOO_SMALL


def test_it_reads_an_interlaced_png():
    check_signature(data_url(stroke(canvas(), 10, 150), interlace=1))


@pytest.mark.parametrize(
    "image",
    [
        stroke(canvas("RGB"), 10, 150).convert("P"),  # a palette image
        Image.new("I;16", (200, 60)),  # 16-bit grey
        Image.new("1", (200, 60)),  # one bit per pixel
    ],
)
def test_it_refuses_the_pngs_a_signature_pad_never_makes(image):
    assert refusal(data_url(image)) == UNREADABLE


def test_it_refuses_a_damaged_png():
    raw = bytearray(base64.b64decode(data_url(stroke(canvas(), 10, 150)).split(",", 1)[1]))
    at = raw.index(b"IDAT") + 6  # the first deflate block header, after the zlib header
    raw[at : at + 8] = bytes(8)
    assert refusal("data:image/png;base64," + base64.b64encode(bytes(raw)).decode()) == UNREADABLE


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", NO_DRAWING),
        ("data:image/png;base64,", UNREADABLE),
        ("data:image/png;base64,not base64", UNREADABLE),
        ("data:image/png;base64," + "A" * ((SIGNATURE_MAX_BYTES + 2) // 3 * 4 + 4), TOO_LARGE),
    ],
)
def test_it_names_what_is_wrong_with_the_data_url(url, message):
    assert refusal(url) == message


def test_it_refuses_a_png_cut_short_even_when_its_pixels_are_all_there():
    whole = base64.b64decode(data_url(stroke(canvas(), 10, 150)).split(",", 1)[1])
    cut = whole[: whole.index(b"IEND") - 4]  # no end chunk
    assert refusal("data:image/png;base64," + base64.b64encode(cut).decode()) == UNREADABLE


def declared(width, height):
    """A small PNG (a few hundred bytes) whose header declares `width` by `height` pixels: the
    compressed rows are a stroke of a small image, so decoding it whole would inflate far more."""
    raw = bytearray(base64.b64decode(data_url(stroke(canvas(), 10, 150)).split(",", 1)[1]))
    at = raw.index(b"IHDR")
    raw[at + 4 : at + 12] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    crc = zlib.crc32(bytes(raw[at : at + 17]))
    raw[at + 17 : at + 21] = crc.to_bytes(4, "big")
    return "data:image/png;base64," + base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    "size",
    [
        (1601, 800),  # just over the box
        (10_000, 10_000),  # where Pillow would only warn of a decompression bomb
        (100_000, 100_000),  # where Pillow refuses on its own
    ],
)
def test_it_refuses_a_small_png_declaring_a_huge_image_before_decoding_it(size):
    url = declared(*size)
    assert len(url) < 2_000
    assert refusal(url) == TOO_WIDE


def test_it_accepts_a_drawing_as_large_as_the_box_allows():
    check_signature(data_url(stroke(canvas(size=(1600, 800)), 10, 150)))
