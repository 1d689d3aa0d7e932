"""Consent: the patient's signature on the current consent text for a course (typed name and a
drawn signature), given in the portal or on the clinic's tablet, with a copy of exactly what
they were shown (the text and the plan agreed) and its SHA-256 (`clinic.consent_copy`).

The texts themselves (drafts, publishing) are in `services.consent_texts`. Signed consents are
never changed: the database refuses an UPDATE or DELETE (migration 0002).

A signature stays valid for its course when a newer text is published later: the patient
agreed to the text in force when they signed, and the course they agreed to has not changed.
The clinic may ask them to sign the new version as well (one consent per course and version);
`selectors.consent_for_course` then returns the most recent one. The drawing itself is checked
in `clinic.signature`."""

import unicodedata
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from needlepoint.audit.services import audit_record
from needlepoint.clinic import consent_copy
from needlepoint.clinic.models import APPROVED_COURSE_STATUSES, Consent, ConsentChannel, ConsentText, Course
from needlepoint.clinic.plan_view import PlanView
from needlepoint.clinic.services import ServiceError, StaleEdit, validated
from needlepoint.clinic.services.consent_texts import (
    DEFAULT_CONSENT,
    consent_text_publish,
    current_consent_text,
    ensure_default_consent_text,
)
from needlepoint.clinic.signature import check_signature
from needlepoint.clinical.vocab import area_label

if TYPE_CHECKING:
    from needlepoint.accounts.models import User

__all__ = [
    "DEFAULT_CONSENT",
    "consent_shown",
    "consent_sign",
    "consent_text_publish",
    "current_consent_text",
    "ensure_default_consent_text",
    "normalise_name",
]


def consent_shown(*, course: Course, consent_text: ConsentText) -> tuple[dict[str, str], dict[str, Any]]:
    """Return (text shown, plan shown): what the consent page shows the patient before they
    sign `consent_text` for `course`, and what the signed record keeps."""
    text = consent_copy.text_shown(
        treatment=consent_text.treatment,
        version=consent_text.version,
        title=consent_text.title,
        body=consent_text.body,
    )
    plan = consent_copy.plan_shown(PlanView.of(course.plan), goal=area_label(course.goal).capitalize())
    return text, plan


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
    shown_sha256: str = "",
) -> Consent:
    """Record the patient's consent to `consent_text` for `course` and return it.

    Refused (ServiceError, with the field at fault) unless the course is approved or under way,
    the text is the current version, the course has no consent for it yet, the typed name is the
    patient's name and the signature is a real drawing. On the portal only the patient may sign;
    on the tablet a member of staff hands it over and is recorded as the witness.

    The consent keeps a copy of the text and plan shown (`consent_shown`) and its SHA-256.
    `shown_sha256`, the hash of what the page displayed, is compared with the copy: a text or
    plan changed since the page was opened is refused (StaleEdit) rather than signed unseen."""
    patient = course.patient
    _check_signer(course=course, channel=channel, actor=actor)
    _check_course(course)
    _check_text(course=course, consent_text=consent_text)
    _check_name(typed_name, expected=f"{patient.first_name} {patient.last_name}")
    check_signature(signature_png)
    text_shown, plan_shown = consent_shown(course=course, consent_text=consent_text)
    digest = consent_copy.content_sha256(text_shown, plan_shown)
    if shown_sha256 and shown_sha256 != digest:
        raise StaleEdit(
            "The treatment plan or the consent text changed after this page was opened. "
            "Read the page again, then sign.",
            field="consent_text",
        )
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
            text_shown=text_shown,
            plan_shown=plan_shown,
            content_sha256=digest,
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
        f"for course {course.pk} via {channel}, copy sha256 {digest[:12]}",
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
    if not consent_text.is_published:
        raise ServiceError(
            "This consent text is a draft: only a published text can be signed.", field="consent_text"
        )
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
