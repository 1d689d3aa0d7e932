"""The quality gate at capture, from the photo core (`needlepoint.photo.measure`): measured on
the stored copy while the patient is still in the room, so a blurred or badly exposed photo is
retaken at once. The core's codes are put in words here."""

import logging
from typing import Any

from needlepoint.photo.decode import load
from needlepoint.photo.errors import PhotoError
from needlepoint.photo.measure import measure_image

logger = logging.getLogger(__name__)

PROBLEM_WORDS = {
    "not_measured": "The photo's quality could not be measured: check by eye that it is sharp and well lit.",
    "blurred": "The photo is blurred: hold the camera still, tap to focus, and retake it.",
    "overexposed": "The photo is too bright: move away from direct light or the flash, and retake it.",
    "underexposed": "The photo is too dark: add light, and retake it.",
    "too_small": "The photo is too small for comparison: use the camera's normal setting, and retake it.",
    "no_card": "No colour card in the photo: colour is not measured (the photo is still usable).",
    "card_unreadable": "The colour card cannot be read (glare, shadow or cut off): colour is not measured.",
}


def photo_quality(data: bytes) -> dict[str, Any]:
    """Return {"ok": bool, "problems": [codes]} for a stored photo's bytes. When the
    measurement itself fails the photo is kept and marked "not_measured" (checked by eye)."""
    try:
        measured = measure_image(load(data), [])
    except PhotoError:
        return {"ok": False, "problems": ["unreadable"]}
    except Exception:  # a failure of the measurement must not lose the photo being stored
        logger.exception("quality measurement failed")
        return {"ok": True, "problems": ["not_measured"]}
    quality = measured["quality"]
    return {"ok": bool(quality["ok"]), "problems": [str(p) for p in quality["problems"]]}


def quality_words(quality: dict[str, Any]) -> list[str]:
    """The problems of a stored quality result, in words ("" codes unknown here are named)."""
    return [PROBLEM_WORDS.get(code, f"Quality problem: {code}.") for code in quality.get("problems", [])]
