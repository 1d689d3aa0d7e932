"""The `needlepoint photo measure | align` commands (the photo CLI contract)."""

import argparse
import re
from typing import Any

import cv2

from needlepoint.photo.align import align
from needlepoint.photo.decode import load
from needlepoint.photo.errors import PhotoError
from needlepoint.photo.measure import Region, measure_image

_REGION = re.compile(r"([A-Za-z0-9_.\-]{1,64})=(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6})")


def parse_region(text: str) -> Region:
    """`NAME=X,Y,W,H` (whole pixels) to a Region; anything else is bad input naming `region`."""
    match = _REGION.fullmatch(text.strip())
    if match is None:
        raise PhotoError(
            f"--region {text!r} is not NAME=X,Y,W,H (a name of letters, digits, _ . - "
            "then four whole numbers)",
            "region",
        )
    name, x, y, w, h = match.groups()
    if int(w) < 1 or int(h) < 1:
        raise PhotoError(f"--region {text!r} has no area: width and height must be at least 1", "region")
    return Region(name, int(x), int(y), int(w), int(h))


def run_photo(action: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run `photo measure` or `photo align`; PhotoError on bad input."""
    try:
        if action == "measure":
            regions = [parse_region(text) for text in args.region]
            return measure_image(load(args.file, field="file"), regions)
        before = load(args.before, field="before")
        after = load(args.after, field="after")
        return align(before, after).as_dict()
    except (cv2.error, MemoryError) as exc:
        field = "file" if action == "measure" else "before"
        raise PhotoError(f"the photo could not be analysed: {str(exc).strip()[:200]}", field) from None
