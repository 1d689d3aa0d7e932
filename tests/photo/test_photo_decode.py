"""Reading photos: the type by content, the pixel limit before decoding, EXIF orientation."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from needlepoint.photo import decode
from needlepoint.photo.decode import load
from needlepoint.photo.errors import PhotoError


def encoded(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny compressed row and no more."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (300, 200), (200, 100, 50))
    img.paste((0, 0, 255), (0, 0, 30, 20))  # a blue mark at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    rgb = load(encoded(img, "JPEG", exif=exif, quality=95))
    assert rgb.shape == (300, 200, 3)
    assert rgb[5, 190, 2] > 200 and rgb[5, 190, 0] < 60  # the mark is now at the top-right


def test_png_with_alpha_and_greyscale_become_rgb() -> None:
    assert load(encoded(Image.new("RGBA", (40, 30), (10, 20, 30, 255)), "PNG"))[0, 0].tolist() == [10, 20, 30]
    assert load(encoded(Image.new("L", (40, 30), 77), "PNG")).shape == (30, 40, 3)


def test_the_type_is_judged_by_content_not_name(tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(PhotoError, match="not a JPEG, PNG or HEIC") as caught:
        load(fake)
    assert caught.value.field == "file"
    named_txt = tmp_path / "photo.txt"
    named_txt.write_bytes(encoded(Image.new("RGB", (8, 8)), "PNG"))
    assert load(named_txt).shape == (8, 8, 3)


def test_huge_dimensions_are_refused_before_decoding() -> None:
    with pytest.raises(PhotoError, match="pixels") as caught:
        load(png_header(100_000, 100_000))
    assert caught.value.field == "file"
    with pytest.raises(PhotoError, match="the limit is 1,000"):
        load(encoded(Image.new("RGB", (50, 50)), "PNG"), max_pixels=1_000)


def test_a_truncated_or_missing_file_is_bad_input(tmp_path: Path) -> None:
    data = encoded(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8)), "JPEG"
    )
    with pytest.raises(PhotoError, match="cannot be"):
        load(data[:300], field="after")
    with pytest.raises(PhotoError, match="cannot read") as caught:
        load(tmp_path / "missing.jpg", field="before")
    assert caught.value.field == "before"
    with pytest.raises(PhotoError, match="not a file"):
        load(tmp_path)


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(encoded(Image.new("RGB", (64, 64)), "PNG"))
    monkeypatch.setattr(decode, "MAX_FILE_BYTES", 50)
    with pytest.raises(PhotoError, match=r"limit is 0 MiB|over the limit"):
        load(path)


def test_heic_is_read_through_pillow_heif() -> None:
    img = Image.new("RGB", (64, 48), (200, 100, 50))
    try:
        data = encoded(img, "HEIF", quality=95)
    except (KeyError, OSError, ValueError):
        pytest.skip("this libheif has no HEVC encoder")
    rgb = load(data)
    assert rgb.shape == (48, 64, 3)
    assert np.abs(rgb[24, 32].astype(int) - [200, 100, 50]).max() < 12
