"""The drawn signature on a consent: a PNG data URL from the signature pad, checked to be a real
drawing (enough ink, spread wide enough) and not a tap, a blank box or something else. Pillow
reads the image; nothing larger than SIGNATURE_MAX_BYTES is read and nothing larger than
SIGNATURE_MAX_PIXELS is decoded (judged on the PNG's header, before any pixel is inflated)."""

import base64
import binascii
import io
import warnings

from PIL import Image, ImageChops

from needlepoint.clinic.services import ServiceError

SIGNATURE_PREFIX = "data:image/png;base64,"
SIGNATURE_MAX_BYTES = 200 * 1024
SIGNATURE_MAX_PIXELS = 1600 * 800
# A drawn signature leaves at least this much ink: a tap or a stray dot does not count.
MIN_INK_PIXELS = 80
MIN_INK_COLUMNS = 30
# A pixel is ink when it is dark (its grey, or green, value below this) and opaque enough.
INK_BELOW = 160
OPAQUE_FROM = 128

NO_DRAWING = (
    "A drawn signature is needed as well as the typed name: draw it in the box with a "
    "finger, stylus or mouse. (The box needs JavaScript; if it does not work on this "
    "device, the clinic can take the signature on its tablet.)"
)
UNREADABLE = "The signature could not be read as a drawing. Clear the box and draw it again."
TOO_LARGE = "The signature drawing is too large (over 200 KB). Clear the box and draw it again."
TOO_WIDE = (
    "The signature drawing is larger than a signature box can be (at most 1600 by 800 pixels). "
    "Clear the box and draw it again."
)
TOO_SMALL = "The signature is blank or too small to be a signature. Draw it across the box."

# Pillow's modes of a grey or colour PNG, with or without alpha (a canvas gives "RGBA").
READABLE_MODES = ("L", "LA", "RGB", "RGBA")


def check_signature(data_url: str) -> None:
    """Raise ServiceError (field "signature_png") unless `data_url` is a PNG data URL of at most
    SIGNATURE_MAX_BYTES holding a real drawing: at least MIN_INK_PIXELS of ink spread over at
    least MIN_INK_COLUMNS columns."""
    image = _image(_signature_bytes(data_url))
    ink, columns = ink_of(image)
    if ink < MIN_INK_PIXELS or columns < MIN_INK_COLUMNS:
        raise ServiceError(TOO_SMALL, field="signature_png")


def ink_of(image: Image.Image) -> tuple[int, int]:
    """Return (ink pixels, columns with ink) of `image` (one of READABLE_MODES): a pixel is ink
    when its grey (or green) value is below INK_BELOW and its alpha, if any, at least
    OPAQUE_FROM."""
    value = image.getchannel("G" if image.mode.startswith("RGB") else "L")
    ink = value.point(lambda v: 255 if v < INK_BELOW else 0)
    if image.mode.endswith("A"):
        opaque = image.getchannel("A").point(lambda a: 255 if a >= OPAQUE_FROM else 0)
        ink = ImageChops.darker(ink, opaque)  # ink where both are 255
    pixels, width = ink.tobytes(), image.width
    return len(pixels) - pixels.count(0), sum(1 for x in range(width) if any(pixels[x::width]))


def _signature_bytes(data_url: str) -> bytes:
    if not data_url or not data_url.strip():
        raise ServiceError(NO_DRAWING, field="signature_png")
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise ServiceError(UNREADABLE, field="signature_png")
    encoded = data_url[len(SIGNATURE_PREFIX) :]
    if len(encoded) > (SIGNATURE_MAX_BYTES + 2) // 3 * 4:
        raise ServiceError(TOO_LARGE, field="signature_png")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(UNREADABLE, field="signature_png") from None


def _image(raw: bytes) -> Image.Image:
    """Return the decoded PNG `raw`; raise ServiceError when it is not a whole, undamaged PNG
    (every chunk's checksum, up to the end chunk) or not grey or colour (UNREADABLE), or when
    its header declares more than SIGNATURE_MAX_PIXELS (TOO_WIDE, before decoding: a few
    kilobytes of compressed data can declare gigabytes of pixels). Pillow's own decompression
    bomb warning is turned into that refusal too, never let through."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.open(io.BytesIO(raw), formats=["PNG"]).verify()  # every chunk's checksum, to the end
            image = Image.open(io.BytesIO(raw), formats=["PNG"])
            _refuse_unusual(image)
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ServiceError(TOO_WIDE, field="signature_png") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ServiceError(UNREADABLE, field="signature_png") from None
    return image


def _refuse_unusual(image: Image.Image) -> None:
    """Refuse, from the header alone, an image too large to decode or in a mode a pad never makes."""
    if image.width * image.height > SIGNATURE_MAX_PIXELS:
        raise ServiceError(TOO_WIDE, field="signature_png")
    if image.mode not in READABLE_MODES or not image.width * image.height:
        raise ServiceError(UNREADABLE, field="signature_png")
