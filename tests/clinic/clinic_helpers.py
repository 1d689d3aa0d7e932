"""What the clinic tests share: a course row made directly (`make_course`), a course under way
(`course_under_way`) with a signed first session (`signed_session`), and drawn signatures as the
signature pad sends them (`png`, `data_url`, `SIGNATURE`)."""

import base64
import datetime as dt
import struct
import zlib
from typing import Any

from clock import FROZEN_NOW
from course_helpers import make_course
from needlepoint.clinic.models import Course, TreatmentSession
from visit_helpers import book_visit


def course_under_way(personas: Any, patient: Any = None, *, goal: str = "acne_scars") -> Course:
    """An active course on the cheeks that started yesterday (the suite's frozen today), approved
    30 days before."""
    return make_course(
        personas,
        patient,
        status="active",
        goal=goal,
        plan={"areas": [{"area": "cheeks"}], "care": []},
        start_date=FROZEN_NOW.date() - dt.timedelta(days=1),
        approved_at=FROZEN_NOW - dt.timedelta(days=30),
    )


def signed_session(personas: Any) -> TreatmentSession:
    """Patient A's first session of a course under way: attended yesterday at this hour and its
    chart signed an hour later by the practitioner."""
    by = personas.practitioner
    course = course_under_way(personas)
    when = FROZEN_NOW - dt.timedelta(days=1)
    session = TreatmentSession.objects.create(
        course=course, patient=course.patient, number=1, practitioner=by
    )
    book_visit(session, when, status="attended", by=by)
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_by=by, signed_at=when + dt.timedelta(hours=1)
    )
    session.refresh_from_db()
    return session


def _filter(kind, row, prev, bpp):
    """Apply PNG filter `kind` to one row (the encoder side, to test the decoder)."""
    if kind == 0:
        return b"\x00" + row
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out.append((x - pred) & 255)
    return bytes([kind]) + bytes(out)


def png(width=600, height=200, strokes=((60, 100, 400),), *, filters=(0,), colour=6, declared=None):
    """Return PNG bytes: transparent (or white, for RGB) with dark horizontal strokes, each
    (y, x_from, x_to) three pixels thick; rows use the given filter types in turn. `declared`
    overrides the (width, height) the header claims."""
    bpp = {6: 4, 2: 3}[colour]
    blank = (0, 0, 0, 0) if colour == 6 else (255, 255, 255)
    ink = (29, 39, 51, 255) if colour == 6 else (29, 39, 51)
    rows, prev, data = [], bytes(width * bpp), b""
    for y in range(height):
        row = bytearray(bytes(blank) * width)
        for sy, x0, x1 in strokes:
            if sy <= y < sy + 3:
                row[x0 * bpp : x1 * bpp] = bytes(ink) * (x1 - x0)
        rows.append(_filter(filters[y % len(filters)], bytes(row), prev, bpp))
        prev = bytes(row)
    data = zlib.compress(b"".join(rows))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", *(declared or (width, height)), 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def data_url(raw: bytes) -> str:
    """Return `raw` PNG bytes as the data URL the signature pad posts."""
    return "data:image/png;base64," + base64.b64encode(raw).decode()


SIGNATURE = data_url(png())  # one dark stroke, as a patient signs on the pad
