"""Consent texts: the versions of the consent text per treatment, written by the medical
director. A draft can be edited (a stale edit is refused) and previewed; publishing makes it
the text that new consents for its treatment use (the latest published). A published text is
never changed or deleted: a change is a new version, and the database refuses an UPDATE or
DELETE of a published row (migration 0011)."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from needlepoint.audit.services import audit_record
from needlepoint.clinic.models import ConsentText
from needlepoint.clinic.services import ServiceError, StaleEdit, require_role, validated

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


def current_consent_text(treatment: str = "microneedling") -> ConsentText | None:
    """Return the most recently published consent text for `treatment`, or None if none is.
    Drafts never count."""
    return (
        ConsentText.objects.filter(treatment=treatment, published_at__isnull=False)
        .order_by("-published_at", "-id")
        .first()
    )


def _cleaned(*, treatment: str, version: str, title: str, body: str) -> dict[str, str]:
    """The four parts of a text, stripped; refused (ServiceError on the field) when one is empty."""
    parts = {
        "treatment": treatment.strip(),
        "version": version.strip(),
        "title": title.strip(),
        "body": body.strip(),
    }
    for field, value in parts.items():
        if not value:
            raise ServiceError(f"The consent text needs a {field}.", field=field)
    return parts


def _check_version_free(*, treatment: str, version: str, exclude: int | None = None) -> None:
    taken = ConsentText.objects.filter(treatment=treatment, version=version)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ServiceError(
            f"Version {version} of the {treatment} consent text already exists. "
            "Published texts are never changed: give the new text a new version.",
            field="version",
        )


@transaction.atomic
def consent_draft_create(
    *, treatment: str, version: str, title: str, body: str, actor: "User"
) -> ConsentText:
    """Write a new draft of the consent text for `treatment`; only the medical director may.
    The version label must be new for the treatment (drafts and published texts alike)."""
    require_role(actor, doing="write consent texts", director=True)
    parts = _cleaned(treatment=treatment, version=version, title=title, body=body)
    _check_version_free(treatment=parts["treatment"], version=parts["version"])
    text = validated(ConsentText(**parts, written_by=actor))
    text.save()
    audit_record(
        actor=actor,
        action="create",
        obj=text,
        summary=f"consent text {text.treatment} version {text.version} drafted",
    )
    return text


@transaction.atomic
def consent_draft_edit(
    *, text: ConsentText, version: str, title: str, body: str, actor: "User", expected_revision: int
) -> ConsentText:
    """Change a draft's version label, title or body. Refused once published (409) and when
    someone saved the draft since `expected_revision` was read (StaleEdit, 409)."""
    require_role(actor, doing="write consent texts", director=True)
    parts = _cleaned(treatment=text.treatment, version=version, title=title, body=body)
    _check_version_free(treatment=text.treatment, version=parts["version"], exclude=text.pk)
    del parts["treatment"]
    _conditional_update(text, expected_revision, **parts, written_by=actor)
    audit_record(
        actor=actor,
        action="change",
        obj=text,
        summary=f"consent text draft {text.treatment} version {text.version} edited",
    )
    return text


@transaction.atomic
def consent_draft_publish(*, text: ConsentText, actor: "User", expected_revision: int) -> ConsentText:
    """Publish a draft: from now on new consents for its treatment use it. Refused when the
    draft changed since the medical director read it (StaleEdit), so what is published is what
    they previewed."""
    require_role(actor, doing="publish consent texts", director=True)
    _conditional_update(text, expected_revision, published_at=timezone.now(), published_by=actor)
    audit_record(
        actor=actor,
        action="change",
        obj=text,
        summary=f"consent text {text.treatment} version {text.version} published",
    )
    return text


def _conditional_update(text: ConsentText, expected: int, **changes: object) -> None:
    """Save `changes` on the draft only if it is still a draft at revision `expected` (settled
    by the database); update `text` in memory."""
    for key, value in changes.items():
        setattr(text, key, value)
    validated(text, exclude=["revision"])
    updated = ConsentText.objects.filter(pk=text.pk, revision=expected, published_at__isnull=True).update(
        revision=expected + 1, **changes
    )
    if updated == 1:
        text.revision = expected + 1
        return
    if ConsentText.objects.filter(pk=text.pk, published_at__isnull=False).exists():
        error = StaleEdit(
            "This version has been published and can no longer be changed. Write a new version instead.",
            field="version",
        )
    else:
        error = StaleEdit(
            "Someone else changed this draft after you opened it. Reload the page to see "
            "their changes, then make yours again.",
            field="revision",
        )
    text.refresh_from_db()
    raise error


@transaction.atomic
def consent_text_publish(
    *, treatment: str, version: str, title: str, body: str, actor: "User | None"
) -> ConsentText:
    """Write and publish a new version in one step (the clinic's first text, made by the
    system when `actor` is None; otherwise only the medical director may). An existing version
    is never replaced: publishing the same version again is refused."""
    if actor is not None:
        require_role(actor, doing="publish consent texts", director=True)
    parts = _cleaned(treatment=treatment, version=version, title=title, body=body)
    _check_version_free(treatment=parts["treatment"], version=parts["version"])
    text = validated(ConsentText(**parts, written_by=actor, published_at=timezone.now(), published_by=actor))
    text.save()
    audit_record(
        actor=actor,
        action="create",
        obj=text,
        summary=f"consent text {text.treatment} version {text.version} published",
    )
    return text


def ensure_default_consent_text() -> ConsentText:
    """Return the current microneedling consent text, publishing `DEFAULT_CONSENT` (version 1)
    first if the clinic has none yet."""
    return current_consent_text(DEFAULT_CONSENT["treatment"]) or consent_text_publish(
        **DEFAULT_CONSENT, actor=None
    )
