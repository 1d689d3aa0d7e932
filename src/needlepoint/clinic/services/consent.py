"""Consent: versioned consent texts per treatment, and the patient's signature on one of them
for a course (typed name and a drawn signature), given in the portal or on the clinic's tablet.

Published texts are never edited: a change is a new version (there is no edit service).
Signed consents are never changed either; the database refuses an UPDATE (migration 0002).

A signature stays valid for its course when a newer text is published later: the patient
agreed to the text in force when they signed, and the course they agreed to has not changed.
The clinic may ask them to sign the new version as well (one consent per course and version);
`selectors.consent_for_course` then returns the most recent one. The drawing itself is checked
in `clinic.signature`."""

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import APPROVED_COURSE_STATUSES, Consent, ConsentChannel, ConsentText, Course
from needlepoint.clinic.services import ServiceError, validated
from needlepoint.clinic.signature import check_signature

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

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
def consent_text_publish(
    *, treatment: str, version: str, title: str, body: str, actor: "User | None"
) -> ConsentText:
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
    validated(text).save()
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
    actor: "User",
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
    consent = validated(
        Consent(
            patient=patient,
            course=course,
            consent_text=consent_text,
            typed_name=" ".join(typed_name.split()),
            signature_png=signature_png,
            ip=ip or None,
            channel=channel,
            witnessed_by=actor if channel == ConsentChannel.TABLET else None,
        )
    )
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


def _check_signer(*, course: Course, channel: str, actor: "User") -> None:
    if channel == ConsentChannel.PORTAL:
        if not actor.is_patient or actor.pk != course.patient.user_id:
            raise ServiceError("Only the patient can sign their consent in the portal.", field="channel")
    elif channel == ConsentChannel.TABLET:
        if not actor.is_clinic_staff:
            raise ServiceError(
                "Signing on the clinic's tablet needs a member of staff to hand it over.", field="channel"
            )
    else:
        raise ServiceError(f"Unknown signing channel {channel!r}.", field="channel")


def _check_course(course: Course) -> None:
    if course.status not in APPROVED_COURSE_STATUSES:
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
