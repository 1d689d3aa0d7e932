"""What the photo tests share: images made in memory (a JPEG with EXIF orientation and GPS, a
PNG whose header claims a decompression bomb), photo consent given, a course with a session."""

import datetime as dt
import io
import struct
import zlib
from typing import Any

from PIL import Image

from clock import FROZEN_NOW
from course_helpers import make_course
from needlepoint.clinic.models import Course, TreatmentSession
from visit_helpers import book_visit

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(
    width: int = 64,
    height: int = 32,
    *,
    colour: tuple[int, int, int] = (180, 120, 100),
    gps: bool = True,
    orientation: int = 1,
) -> bytes:
    """A JPEG as a phone writes it: camera make, orientation and (by default) GPS position."""
    image = Image.new("RGB", (width, height), colour)
    for x in range(width // 2):
        image.putpixel((x, 0), (0, 0, 0))  # a mark to tell the orientation by
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png(width: int = 48, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 130)).save(out, format="PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` by `height` pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def give_photo_consent(patient: Any, by: Any, *purposes: str) -> None:
    from needlepoint.photos.services.consent import photo_consent_record

    for purpose in purposes or ("record",):
        photo_consent_record(patient=patient, purpose=purpose, given=True, actor=by)


def course_with_session(
    personas: Any,
    patient: Any = None,
    *,
    number: int = 1,
    days_ago: int = 0,
    status: str = "booked",
    areas: tuple[str, ...] = ("cheeks",),
) -> TreatmentSession:
    """A course under way on `areas` with session `number` booked (or attended) `days_ago`."""
    patient = patient or personas.record_a
    course = Course.objects.filter(patient=patient).first() or make_course(
        personas,
        patient,
        status="active",
        plan={"areas": [{"area": a} for a in areas], "care": []},
        start_date=FROZEN_NOW.date(),
        approved_at=FROZEN_NOW - dt.timedelta(days=30),
    )
    session = TreatmentSession.objects.create(
        course=course, patient=patient, number=number, practitioner=personas.practitioner
    )
    book_visit(session, FROZEN_NOW - dt.timedelta(days=days_ago), status=status, by=personas.practitioner)
    return session
