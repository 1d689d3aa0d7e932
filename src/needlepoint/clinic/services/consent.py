"""Consent: versioned consent texts per treatment, and the patient's signature on one of them
for a course (typed name and a drawn signature), given in the portal or on the clinic's tablet.

Published texts are never edited: a change is a new version (there is no edit service).
Signed consents are never changed either; the database refuses an UPDATE (migration 0002).

A signature stays valid for its course when a newer text is published later: the patient
agreed to the text in force when they signed, and the course they agreed to has not changed.
The clinic may ask them to sign the new version as well (one consent per course and version);
`consent_for_course` then returns the most recent one."""

import base64
import binascii
import struct
import unicodedata
import zlib
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import Consent, ConsentChannel, ConsentText, Course, CourseStatus
from needlepoint.clinic.services import Blocked, ServiceError

SIGNABLE_STATUSES = frozenset({CourseStatus.APPROVED, CourseStatus.ACTIVE})

SIGNATURE_PREFIX = "data:image/png;base64,"
SIGNATURE_MAX_BYTES = 200 * 1024
SIGNATURE_MAX_PIXELS = 1600 * 800
# A drawn signature leaves at least this much ink: a tap or a stray dot does not count.
MIN_INK_PIXELS = 80
MIN_INK_COLUMNS = 30

NO_DRAWING = (
    "A drawn signature is needed as well as the typed name: draw it in the box with a "
    "finger, stylus or mouse. (The box needs JavaScript; if it does not work on this "
    "device, the clinic can take the signature on its tablet.)"
)
UNREADABLE = "The signature could not be read as a drawing. Clear the box and draw it again."
TOO_LARGE = "The signature drawing is too large (over 200 KB). Clear the box and draw it again."
TOO_SMALL = "The signature is blank or too small to be a signature. Draw it across the box."


DEFAULT_CONSENT: Mapping[str, str] = MappingProxyType(
    {
        "treatment": "microneedling",
        "version": "1",
        "title": "Consent to microneedling (collagen induction therapy)",
        "body": """\
What the treatment is
Microneedling uses a pen-like device with very fine, sterile, single-use needles to make many tiny \
punctures in the skin. The skin heals them by making new collagen, which can soften acne scars and \
other scars and even out skin texture and tone. A numbing cream is usually put on first. A course is \
usually several sessions about four weeks apart; your treatment plan sets out the number of \
sessions, the areas and the needle depth.

What to expect afterwards
Expect redness and swelling of the treated skin, which also feels warm and tender, like a moderate \
sunburn. This lasts one to three days, sometimes up to a week. Pinpoint bleeding during the \
treatment is normal. Light bruising, dryness, flaking, small scabs and a few spots can follow and \
usually settle within 7 to 10 days.

Risks
These are uncommon, but they can happen:
- Infection. Tell the clinic at once if you notice pus, a fever, blisters, or redness that spreads \
or gets worse after the second day.
- Dark marks (post-inflammatory hyperpigmentation): patches darker than the skin around them. They \
are more likely in darker skin and after sun exposure, usually fade over months, and can last longer.
- Scarring, including "tram-track" lines where the needles ran, and rarely raised scars.
- A cold sore flare if you have had cold sores before. The clinic may advise antiviral tablets \
before and after each session.
- Allergic and granulomatous reactions (firm lumps in the skin) to products put on the skin during \
or soon after treatment. They are rare but can be hard to treat and last a long time, which is why \
the clinic only uses products approved for use with microneedling.
- A flare of acne, or small white bumps (milia).

Results
Results build up slowly as new collagen forms. They are judged at least 3 months after your last \
session and can keep improving for 6 to 12 months. Most people see a worthwhile improvement, but no \
particular result can be promised; some scars, such as deep narrow "ice-pick" scars, respond less, \
and more sessions may be suggested.

Alternatives
You do not have to have this treatment. Other choices include no treatment, skin-care products \
prescribed by a doctor, chemical peels, laser or radiofrequency treatments, fillers, and minor \
procedures for single scars. Your practitioner can explain how they compare for you.

Your part
Follow the preparation and aftercare advice you are given: protect your skin from the sun, pause \
retinoids and exfoliating products when asked, and before each session tell the clinic about any \
new medicine, sunburn, cold sore, pregnancy or skin infection. Answer the check-in questions after \
each session.

Your right to withdraw
You can stop the course at any time, without giving a reason, and it will not affect the rest of \
your care. Signing this form does not oblige you to continue; tell the clinic if you change your \
mind.

Agreement
By signing, I confirm that I have read this information, that I could ask questions and had them \
answered, that what I told the clinic about my health is complete and true, and that I agree to a \
course of microneedling as set out in my treatment plan.""",
    }
)


# -- consent texts ---------------------------------------------------------------------------------


def current_consent_text(treatment: str = "microneedling") -> ConsentText | None:
    """Return the most recently published consent text for `treatment`, or None if none is."""
    return ConsentText.objects.filter(treatment=treatment).order_by("-published_at", "-id").first()


@transaction.atomic
def consent_text_publish(*, treatment: str, version: str, title: str, body: str, actor: Any) -> ConsentText:
    """Publish a new version of the consent text for `treatment`; it becomes the current one.
    An existing version is never replaced: publishing the same version again is refused."""
    treatment, version = treatment.strip(), version.strip()
    for field, value in (
        ("treatment", treatment),
        ("version", version),
        ("title", title.strip()),
        ("body", body.strip()),
    ):
        if not value:
            raise ServiceError(f"The consent text needs a {field}.", field=field)
    if ConsentText.objects.filter(treatment=treatment, version=version).exists():
        raise ServiceError(
            f"Version {version} of the {treatment} consent text is already published. "
            "Published texts are never changed: give the new text a new version.",
            field="version",
        )
    text = ConsentText(treatment=treatment, version=version, title=title.strip(), body=body.strip())
    _clean(text)
    text.save()
    audit_record(
        actor=actor,
        action="create",
        obj=text,
        summary=f"consent text {treatment} version {version} published",
    )
    return text


def ensure_default_consent_text() -> ConsentText:
    """Return the current microneedling consent text, publishing `DEFAULT_CONSENT` (version 1)
    first if the clinic has none yet."""
    return current_consent_text(DEFAULT_CONSENT["treatment"]) or consent_text_publish(
        **DEFAULT_CONSENT, actor=None
    )


# -- signing ---------------------------------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Return `name` as compared for signing: Unicode-normalised, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@transaction.atomic
def consent_sign(
    *,
    course: Course,
    consent_text: ConsentText,
    typed_name: str,
    signature_png: str,
    channel: str,
    actor: Any,
    ip: str | None = None,
) -> Consent:
    """Record the patient's consent to `consent_text` for `course` and return it.

    Refused (ServiceError, with the field at fault) unless the course is approved or under way,
    the text is the current version, the course has no consent for it yet, the typed name is the
    patient's name and the signature is a real drawing. On the portal only the patient may sign;
    on the tablet a member of staff hands it over and is recorded as the witness."""
    patient = course.patient
    _check_signer(course=course, channel=channel, actor=actor)
    _check_course(course)
    _check_text(course=course, consent_text=consent_text)
    _check_name(typed_name, expected=f"{patient.first_name} {patient.last_name}")
    check_signature(signature_png)
    consent = Consent(
        patient=patient,
        course=course,
        consent_text=consent_text,
        typed_name=" ".join(typed_name.split()),
        signature_png=signature_png,
        ip=ip or None,
        channel=channel,
        witnessed_by=actor if channel == ConsentChannel.TABLET else None,
    )
    _clean(consent)
    try:
        with transaction.atomic():
            consent.save()
    except IntegrityError:  # two submissions raced past the check above
        raise ServiceError(_already_signed(consent_text), field="consent_text") from None
    audit_record(
        actor=actor,
        action="sign",
        obj=consent,
        summary=f"consent to {consent_text.treatment} text version {consent_text.version} "
        f"for course {course.pk} via {channel}",
    )
    return consent


def _check_signer(*, course: Course, channel: str, actor: Any) -> None:
    if channel == ConsentChannel.PORTAL:
        if not getattr(actor, "is_patient", False) or actor.pk != course.patient.user_id:
            raise ServiceError("Only the patient can sign their consent in the portal.", field="channel")
    elif channel == ConsentChannel.TABLET:
        if not getattr(actor, "is_clinic_staff", False):
            raise ServiceError(
                "Signing on the clinic's tablet needs a member of staff to hand it over.", field="channel"
            )
    else:
        raise ServiceError(f"Unknown signing channel {channel!r}.", field="channel")


def _check_course(course: Course) -> None:
    if course.status not in SIGNABLE_STATUSES:
        raise ServiceError(
            f"This course is {course.get_status_display().lower()}: consent can only "
            "be signed for an approved course.",
            field="course",
        )


def _check_text(*, course: Course, consent_text: ConsentText) -> None:
    current = current_consent_text(consent_text.treatment)
    if current is None or current.pk != consent_text.pk:
        raise ServiceError(
            "A newer version of the consent text has been published since this page "
            "was opened. Read the current version, then sign again.",
            field="consent_text",
        )
    if Consent.objects.filter(course=course, consent_text=consent_text).exists():
        raise ServiceError(_already_signed(consent_text), field="consent_text")


def _already_signed(consent_text: ConsentText) -> str:
    return (
        f"Consent to version {consent_text.version} of the text has already been signed for "
        "this course; nothing more is needed."
    )


def _check_name(typed_name: str, *, expected: str) -> None:
    if not normalise_name(typed_name):
        raise ServiceError("Type the patient's full name.", field="typed_name")
    if normalise_name(typed_name) != normalise_name(expected):
        raise ServiceError(
            f"The typed name does not match the name on the patient's record "
            f"({expected}). Type the full name, first name then last name.",
            field="typed_name",
        )


def _clean(obj: Any) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(" ".join(messages), field="" if field == "__all__" else field) from None


# -- the drawn signature ---------------------------------------------------------------------------


class _BadPng(Exception):
    pass


def check_signature(data_url: str) -> None:
    """Raise ServiceError (field "signature_png") unless `data_url` is a PNG data URL of at most
    SIGNATURE_MAX_BYTES holding a real drawing: enough dark, opaque pixels spread over enough
    columns. Decoded with the standard library (zlib), so no image library is needed; only the
    8-bit, non-interlaced formats a browser's canvas produces are accepted."""
    raw = _signature_bytes(data_url)
    try:
        ink, columns = _ink(raw)
    except _BadPng:
        raise ServiceError(UNREADABLE, field="signature_png") from None
    if ink < MIN_INK_PIXELS or columns < MIN_INK_COLUMNS:
        raise ServiceError(TOO_SMALL, field="signature_png")


def _signature_bytes(data_url: str) -> bytes:
    if not data_url or not data_url.strip():
        raise ServiceError(NO_DRAWING, field="signature_png")
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise ServiceError(UNREADABLE, field="signature_png")
    encoded = data_url[len(SIGNATURE_PREFIX) :]
    if len(encoded) > (SIGNATURE_MAX_BYTES + 2) // 3 * 4:
        raise ServiceError(TOO_LARGE, field="signature_png")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(UNREADABLE, field="signature_png") from None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ServiceError(UNREADABLE, field="signature_png")
    return raw


def _chunks(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = 8
    while pos + 12 <= len(raw):
        length, kind = struct.unpack(">I4s", raw[pos : pos + 8])
        data, crc = raw[pos + 8 : pos + 8 + length], raw[pos + 8 + length : pos + 12 + length]
        if len(data) != length or len(crc) != 4 or zlib.crc32(kind + data) != int.from_bytes(crc):
            raise _BadPng("damaged chunk")
        yield kind, data
        if kind == b"IEND":
            return
        pos += 12 + length
    raise _BadPng("no end")


# Samples per pixel by PNG colour type, and which samples tell ink: (value, alpha) positions.
_LAYOUT = {0: (1, 0, None), 2: (3, 1, None), 4: (2, 0, 1), 6: (4, 1, 3)}


def _ink(raw: bytes) -> tuple[int, int]:
    """Return (ink pixels, columns with ink) of the PNG `raw`: a pixel is ink when it is opaque
    enough (alpha >= 128) and dark (grey or green sample < 160)."""
    chunks = list(_chunks(raw))
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise _BadPng("no header")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if depth != 8 or colour not in _LAYOUT or interlace or not 0 < width * height <= SIGNATURE_MAX_PIXELS:
        raise _BadPng("unsupported format")
    bpp, value_at, alpha_at = _LAYOUT[colour]
    stride = width * bpp + 1
    try:
        inflater = zlib.decompressobj()
        pixels = inflater.decompress(b"".join(d for k, d in chunks if k == b"IDAT"), stride * height)
    except zlib.error:
        raise _BadPng("damaged data") from None
    if len(pixels) != stride * height:
        raise _BadPng("wrong size")
    values = _unfilter(pixels, width, height, bpp, value_at)
    alphas = _unfilter(pixels, width, height, bpp, alpha_at) if alpha_at is not None else None
    ink, columns = 0, set()
    for y, row in enumerate(values):
        for x, v in enumerate(row):
            if v < 160 and (alphas is None or alphas[y][x] >= 128):
                ink += 1
                columns.add(x)
    return ink, len(columns)


def _unfilter(pixels: bytes, width: int, height: int, bpp: int, sample: int) -> list[list[int]]:
    """Undo the PNG row filters for one sample of every pixel (8-bit samples: a filter only ever
    combines a sample with the same sample of the pixel to the left, above and above-left)."""
    stride, prev, rows = width * bpp + 1, [0] * width, []
    for y in range(height):
        kind, start = pixels[y * stride], y * stride + 1 + sample
        raw = pixels[start : start + width * bpp : bpp]
        if kind == 0:
            cur = list(raw)
        elif kind == 2:
            cur = [(r + b) & 255 for r, b in zip(raw, prev, strict=True)]
        elif kind in (1, 3, 4):
            cur = _unfilter_row(kind, raw, prev)
        else:
            raise _BadPng("unknown filter")
        rows.append(cur)
        prev = cur
    return rows


def _unfilter_row(kind: int, raw: bytes, prev: list[int]) -> list[int]:
    cur: list[int] = []
    a = c = 0
    for r, b in zip(raw, prev, strict=True):
        if kind == 1:
            v = r + a
        elif kind == 3:
            v = r + (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            v = r + (a if pa <= pb and pa <= pc else b if pb <= pc else c)
        a, c = v & 255, b
        cur.append(a)
    return cur


# -- selectors -------------------------------------------------------------------------------------


def consent_for_course(course: Course) -> Consent | None:
    """Return the course's most recent signed consent (to whichever text version), or None.
    A signature stays valid when a newer text version is published later (see the module)."""
    return (
        Consent.objects.filter(course=course)
        .select_related("consent_text")
        .order_by("-signed_at", "-id")
        .first()
    )


def course_can_start(course: Course) -> bool:
    """True when the course is approved or under way and the patient has signed consent."""
    return course.status in SIGNABLE_STATUSES and consent_for_course(course) is not None


def require_consent(course: Course) -> Consent:
    """Return the course's signed consent; raise Blocked if there is none (no session may start
    without it)."""
    consent = consent_for_course(course)
    if consent is None:
        raise Blocked(
            "This course has no signed consent: the patient must sign the consent (in the "
            "portal or on the clinic's tablet) before the first session.",
            field="consent",
        )
    return consent
