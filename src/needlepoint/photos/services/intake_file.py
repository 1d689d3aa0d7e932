"""Checking an uploaded photo by its content and making the copy that is stored.

The name and the browser's content type are ignored: the bytes must decode as JPEG, PNG or HEIF
(HEIC, from iPhones; decoded by pillow-heif). The pixel count is read from the header and
checked before any pixel is decoded, so a decompression bomb (a small file that expands to
gigabytes) is refused without being expanded. The camera's orientation is applied, and the image
is re-encoded as JPEG: the stored copy carries no EXIF, GPS, maker notes or other metadata. Its
SHA-256 is that of the stored bytes."""

import hashlib
import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from needlepoint.clinic.services import ServiceError

pillow_heif.register_heif_opener()

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "HEIF": "HEIC"}
STORED_QUALITY = 92
"""JPEG quality of the stored copy: visually lossless for clinical review, a third of PNG's size."""


@dataclass(frozen=True, slots=True)
class StoredImage:
    """The copy to store: JPEG bytes without metadata, their SHA-256, size and source format."""

    data: bytes
    sha256: str
    width: int
    height: int
    source_format: str
    mime: str = "image/jpeg"


def intake_image(data: bytes, *, max_pixels: int, max_bytes: int) -> StoredImage:
    """Return the stored copy of the uploaded `data`, or raise ServiceError (field "file")
    saying what is wrong: empty, too large, not a photo, too many pixels, damaged."""
    if not data:
        raise ServiceError("The file is empty. Choose a photo and try again.", field="file")
    if len(data) > max_bytes:
        raise ServiceError(
            f"The file is {len(data) // (1024 * 1024)} MB; photos up to "
            f"{max_bytes // (1024 * 1024)} MB are accepted.",
            field="file",
        )
    image = _open(data, max_pixels=max_pixels)
    return _reencode(image)


def _open(data: bytes, *, max_pixels: int) -> Image.Image:
    """Open `data` lazily, check its format and pixel count, then decode it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
    except UnidentifiedImageError:
        raise ServiceError(
            "This file is not a photo: only JPEG, PNG and HEIC images are accepted "
            "(the file's content is checked, not its name).",
            field="file",
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_big(None, max_pixels) from None
    except (OSError, SyntaxError, ValueError):
        raise _damaged() from None
    width, height = image.size
    if width * height > max_pixels or width <= 0 or height <= 0:
        raise _too_big((width, height), max_pixels)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise _damaged() from None
    return image


def _damaged() -> ServiceError:
    return ServiceError(
        "This photo is damaged or cut short and cannot be read. Take or choose it again.", field="file"
    )


def _too_big(size: tuple[int, int] | None, max_pixels: int) -> ServiceError:
    dims = f" ({size[0]} by {size[1]} pixels)" if size else ""
    return ServiceError(
        f"This image is too large{dims}: photos of up to {max_pixels // 1_000_000} megapixels are "
        "accepted. Use the camera's normal setting.",
        field="file",
    )


def _reencode(image: Image.Image) -> StoredImage:
    """Apply the EXIF orientation, then write a fresh JPEG with no metadata at all."""
    source_format = ACCEPTED_FORMATS.get(image.format or "", image.format or "")
    upright = ImageOps.exif_transpose(image)
    rgb = _to_srgb(upright)
    out = io.BytesIO()
    # No exif=, icc_profile= or comment=: the new file carries pixels only (sRGB assumed).
    rgb.save(out, format="JPEG", quality=STORED_QUALITY, optimize=True)
    data = out.getvalue()
    return StoredImage(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        width=rgb.width,
        height=rgb.height,
        source_format=source_format,
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB pixels in sRGB: a photo with an embedded colour profile (Display P3 from recent
    phones) is converted, since the stored copy carries no profile; without one, sRGB is assumed."""
    rgb = image.convert("RGB")
    profile = image.info.get("icc_profile")
    if not profile:
        return rgb
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError):
        return rgb  # an unreadable profile: keep the pixels as they are
    return converted if converted is not None else rgb
