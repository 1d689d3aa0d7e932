"""Reading a photo safely: the type by content, a pixel limit checked before decoding, EXIF orientation.

Accepted: JPEG and PNG, and HEIC/HEIF through pillow-heif. The colour values are taken as sRGB
(embedded ICC profiles are not applied). Alpha is dropped, greyscale and palette images become RGB.
"""

import io
import warnings
from pathlib import Path

import numpy as np
import pillow_heif
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from needlepoint.photo.errors import PhotoError

MAX_PIXELS = 50_000_000
MAX_FILE_BYTES = 100 * 1024 * 1024  # 100 MiB: a 50-megapixel PNG of a real photo stays well under it

_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")

pillow_heif.register_heif_opener()


def sniff(head: bytes) -> str | None:
    """The image type named by the file's first bytes: "jpeg", "png", "heif" or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heif"
    return None


def read_source(source: str | Path | bytes, *, field: str = "file") -> bytes:
    """The bytes of a file path (at most MAX_FILE_BYTES) or the bytes given."""
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise PhotoError(f"{str(path)!r} is not a file", field)
            if size > MAX_FILE_BYTES:
                raise PhotoError(
                    f"the file is {size / 2**20:.0f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB", field
                )
            data = path.read_bytes()
        except OSError as exc:
            raise PhotoError(f"cannot read {str(path)!r}: {exc.strerror or exc}", field) from None
    if len(data) > MAX_FILE_BYTES:
        raise PhotoError(f"the file is over the limit of {MAX_FILE_BYTES // 2**20} MiB", field)
    return data


def _open(data: bytes, max_pixels: int, field: str) -> Image.Image:
    kind = sniff(data[:16])
    if kind is None:
        raise PhotoError("the file is not a JPEG, PNG or HEIC image (judged by its content)", field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"the image has more than {max_pixels:,} pixels", field) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PhotoError(f"the {kind.upper()} image cannot be read: {exc}", field) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoError("the image has no pixels", field)
    if width * height > max_pixels:
        raise PhotoError(
            f"the image is {width}x{height} = {width * height:,} pixels; the limit is {max_pixels:,}", field
        )
    return image


def load(
    source: str | Path | bytes, *, max_pixels: int = MAX_PIXELS, field: str = "file"
) -> NDArray[np.uint8]:
    """Decode a photo to an HxWx3 uint8 sRGB array with the EXIF orientation applied.

    The type is judged by content and the pixel count is checked from the header before any
    pixel is decoded; anything unreadable raises PhotoError naming `field`.
    """
    data = read_source(source, field=field)
    image = _open(data, max_pixels, field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                image = _to_rgb(image)
            array = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise PhotoError(f"the image cannot be decoded: {exc}", field) from None
    return np.ascontiguousarray(array)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten alpha onto white and map 16-bit and other modes to 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if values.max() > 255 else 255.0
        return Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")
