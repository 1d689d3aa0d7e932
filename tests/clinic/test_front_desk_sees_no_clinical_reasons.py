"""The front desk never reads a clinical reason: on a clinic whose patients have every kind of
finding (contraindicated, deferred with and without a date, waiting on a clearance, a clearance
revoked, an area no longer treatable, no consent), a walk of every page the front desk can
reach (every URL of the URL confs with the clinic's ids, the links found on the pages, the
booking searches, move and rebook previews, the waiting list's proposals and refused
bookings) finds no finding message and no clinical note. Clinical staff still read them."""

import datetime as dt
import html
import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from needlepoint.bookings.models import Appointment, AppointmentStatus
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.cancel import appointment_cancel
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.search import PROPOSAL_SALT, course_options
from needlepoint.clinic.models import (
    Clearance,
    Consent,
    Course,
    Inquiry,
    Patient,
    Screening,
    TreatmentSession,
)

NOTE = "Chart note: patient disclosed a family history the record must keep private"
BASIS = "Letter from Dr Adams on glucose control, seen by the practitioner"
BLEEDING = {"conditions": [{"code": "bleeding_disorder", "status": "active"}]}
DIABETES = {"conditions": [{"code": "diabetes", "status": "controlled"}]}
ISOTRETINOIN = {"medications": [{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}]}
FOREHEAD_CANCER = {"conditions": [{"code": "skin_cancer", "status": "active", "areas": ["forehead"]}]}
PREGNANT = {"pregnancy": "pregnant"}
MAX_PAGES = 600
PER_PATH = 4  # the same page with different query strings (calendar weeks, filters)
SKIP = ("/accounts/logout/", ".ics", "/static/", "/admin/logout/")


# ---- the clinic ---------------------------------------------------------------------------------


def _resources(personas: Any) -> None:
    from needlepoint.bookings.models import AppointmentKind, AppointmentType, Location, PractitionerProfile
    from needlepoint.clinic.models import Device, Room

    loc = Location.objects.create(
        name="Main clinic", time_zone="Europe/London", opening_hours="mon-fri 09:00-18:00; sat 09:00-13:00"
    )
    for n in (1, 2):
        Room.objects.create(name=f"Treatment room {n}", kind="treatment", location=loc)
        Room.objects.create(name=f"Numbing chair {n}", kind="numbing", location=loc)
        Device.objects.create(name=f"Pen {n}", kind="pen", serial=f"PEN-{n}", location=loc)
    Device.objects.create(name="Centrifuge", kind="centrifuge", serial="CEN-1", location=loc)
    PractitionerProfile.objects.create(
        user=personas.practitioner,
        location=loc,
        skills=["microneedling", "prp_draw"],
        working_hours="mon-fri 09:00-17:00",
    )
    PractitionerProfile.objects.create(
        user=personas.director,
        location=loc,
        skills=["microneedling"],
        working_hours="tue,thu,sat 09:00-13:00",
    )
    AppointmentType.objects.create(
        code="microneedling",
        name="Microneedling session",
        kind=AppointmentKind.TREATMENT,
        numbing_minutes=30,
        minutes=60,
    )
    AppointmentType.objects.create(
        code="microneedling-prp",
        name="Microneedling session with PRP",
        kind=AppointmentKind.TREATMENT_PRP,
        numbing_minutes=30,
        draw_minutes=10,
        spin_minutes=15,
        minutes=60,
    )


def _course(
    personas: Any, intake: dict[str, Any], patient: Patient, *, consent: bool = True, book: bool = True
) -> Course:
    from needlepoint.clinic.demo import signature_png
    from needlepoint.clinic.services.consent import consent_sign, ensure_default_consent_text
    from needlepoint.clinic.services.course_approval import course_approve
    from needlepoint.clinic.services.course_plan import course_propose
    from needlepoint.clinic.services.screening import intake_record

    intake_record(patient=patient, data=intake, actor=personas.practitioner)
    course = course_propose(patient=patient, actor=personas.practitioner, start_date=timezone.localdate())
    course = course_approve(course=course, actor=personas.director, expected_version=course.version)
    if consent:
        consent_sign(
            course=course,
            consent_text=ensure_default_consent_text(),
            channel="tablet",
            typed_name=f"{patient.first_name} {patient.last_name}",
            signature_png=signature_png(patient.pk),
            actor=personas.front_desk,
        )
    if book:
        found = course_options(course=course, actor=personas.front_desk, preferences=Preferences())
        assert found.best is not None, found.why_not or found.blockers
        course_book(course=course, actor=personas.front_desk, token=found.best.token)
    course.refresh_from_db()
    return course


def _rescreen(personas: Any, intake: dict[str, Any], patient: Patient, changes: dict[str, Any]) -> None:
    from needlepoint.clinic.services.screening import intake_record

    intake_record(patient=patient, data={**intake, **changes}, actor=personas.practitioner)


def _patient(first: str, last: str) -> Patient:
    return Patient.objects.create(
        first_name=first,
        last_name=last,
        birth_date=dt.date(1990, 5, 17),
        email=f"{first.lower()}@example.com",
    )


@pytest.fixture
def clinic(personas: Any, intake_a: dict[str, Any]) -> dict[str, Course]:
    """Anna: booked, now contraindicated, her last session cancelled. Ben: booked, now pregnant
    (deferred, no date). Cara: booked, now deferred until 1 March 2027. Dan: booked, now waiting
    on a clearance. Eve: booked, the forehead no longer treatable. Finn: approved, no consent.
    Gus: waiting, his clearance revoked. Hana: waiting, contraindicated. An inquiry that needs
    a clearance, and a chart note on Anna's first session."""
    from needlepoint.clinic.services.clearances import clearance_give, clearance_revoke
    from needlepoint.clinic.services.inquiries import inquiry_create

    _resources(personas)
    people = {
        "anna": personas.record_a,
        "ben": personas.record_b,
        "cara": _patient("Cara", "Cole"),
        "dan": _patient("Dan", "Dorn"),
        "eve": _patient("Eve", "Ellis"),
        "finn": _patient("Finn", "Fox"),
        "gus": _patient("Gus", "Gray"),
        "hana": _patient("Hana", "Hill"),
    }
    courses = {
        name: _course(
            personas, intake_a, p, book=name in ("anna", "ben", "cara", "dan", "eve"), consent=name != "finn"
        )
        for name, p in people.items()
    }
    last = Appointment.objects.filter(course=courses["anna"]).order_by("-starts_at").first()
    appointment_cancel(
        appointment=last, actor=personas.front_desk, reason="Patient asked", expected_version=last.version
    )
    TreatmentSession.objects.filter(course=courses["anna"], number=1).update(notes=NOTE)
    for name, changes in (
        ("anna", BLEEDING),
        ("ben", PREGNANT),
        ("cara", ISOTRETINOIN),
        ("dan", DIABETES),
        ("eve", FOREHEAD_CANCER),
        ("gus", DIABETES),
        ("hana", BLEEDING),
    ):
        _rescreen(personas, intake_a, people[name], changes)
    clearance = clearance_give(
        patient=people["gus"], finding_code="diabetes", basis=BASIS, actor=personas.director
    )
    clearance_revoke(clearance=clearance, actor=personas.director)
    inquiry_create(
        first_name="Ida",
        last_name="Irwin",
        email="ida@example.com",
        consented=True,
        answers={**intake_a, **DIABETES},
    )
    return courses


def forbidden() -> list[str]:
    """Every finding message of every screening and inquiry, and every clinical note."""
    said = {f["message"] for s in Screening.objects.all() for f in s.result.get("findings", [])}
    said |= {f["message"] for i in Inquiry.objects.all() for f in (i.screening or {}).get("findings", [])}
    said |= set(Clearance.objects.values_list("basis", flat=True))
    said |= {n for n in TreatmentSession.objects.values_list("notes", flat=True) if n}
    return sorted(said)


# ---- the walk -----------------------------------------------------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    out = []
    for p in resolver.url_patterns:
        name = f"{prefix}{p.namespace}:" if isinstance(p, URLResolver) and p.namespace else prefix
        if isinstance(p, URLResolver):
            out += _patterns(p, name)
        elif p.name:
            out.append((prefix + p.name, p))
    return out


def _ids() -> dict[str, list[Any]]:
    return {
        "patient_id": list(Patient.objects.values_list("pk", flat=True)),
        "course_id": list(Course.objects.values_list("pk", flat=True)),
        "session_id": list(TreatmentSession.objects.values_list("pk", flat=True)),
        "appointment_id": list(Appointment.objects.values_list("pk", flat=True)),
        "inquiry_id": list(Inquiry.objects.values_list("pk", flat=True)),
        "consent_id": list(Consent.objects.values_list("pk", flat=True)),
        "clearance_id": list(Clearance.objects.values_list("pk", flat=True)),
        "finding_code": ["diabetes", "bleeding_disorder"],
        "day": [1, 3],
        "token_id": [1],
        "flag_id": [1],
        "user_id": [1, 2, 3],
        "object_id": [1],
        "content_type_id": [1],
    }


def every_url() -> list[str]:
    """Every named URL of the URL confs, once per id of the clinic its parameters take."""
    ids, urls = _ids(), []
    for name, pattern in _patterns(get_resolver()):
        params = list(pattern.pattern.regex.groupindex)
        if name.startswith("admin:") and params:
            continue  # the clinic's resources (rooms, devices) carry no clinical text
        if any(p not in ids for p in params):
            continue
        combos: list[dict[str, Any]] = [{}]
        for p in params:
            combos = [{**c, p: v} for c in combos for v in ids[p]]
        for kwargs in combos:
            urls.append(reverse(name, kwargs=kwargs))
    return urls


def previews() -> list[str]:
    """The move preview of every booked session (at its own time) and the rebook preview of
    every cancelled one."""
    urls = []
    for a in Appointment.objects.select_related("location"):
        local = timezone.localtime(a.starts_at)
        query = f"?date={local:%Y-%m-%d}&time={local:%H:%M}"
        if a.status == AppointmentStatus.BOOKED:
            urls.append(reverse("bookings:appointment_reschedule", args=[a.pk]) + query)
        elif a.session_id:
            urls.append(reverse("bookings:session_rebook", args=[a.session_id]) + query)
    return urls


LINK = re.compile(r"""(?:href|action|hx-get)=["'](/[^"'#]*)""")


def _visible(response: Any) -> str:
    return html.unescape(response.content.decode(errors="replace"))


def walk(client: Any, seeds: list[str]) -> dict[str, str]:
    """GET every seed and every same-site link found on the pages; return {url: page text}."""
    seen: dict[str, str] = {}
    per_path: dict[str, int] = {}
    queue = deque(seeds)
    while queue and len(seen) < MAX_PAGES:
        url = html.unescape(queue.popleft())
        path = urlsplit(url).path
        if url in seen or any(s in url for s in SKIP) or per_path.get(path, 0) >= PER_PATH:
            continue
        per_path[path] = per_path.get(path, 0) + 1
        response = client.get(url)
        seen[url] = _visible(response) if response.status_code < 500 else f"HTTP {response.status_code}"
        assert response.status_code < 500, url
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            queue.extend(LINK.findall(response.content.decode(errors="replace")))
    return seen


def leaks(pages: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    return [(url, s[:60]) for url, page in pages.items() for s in secrets if s in page]


def _post_pages(client: Any) -> dict[str, str]:
    """The waiting list's proposals, and a booking refused for each blocked course (a token of
    a bookable course signed for it), as the front desk sees them."""
    from django.core import signing

    from needlepoint.bookings.models import AppointmentType, Location

    start = timezone.now() + dt.timedelta(days=1)
    session = {
        "number": 1,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(hours=1)).isoformat(),
        "window": [start.date().isoformat()] * 2,
        "holds": [],
    }
    plan_url = reverse("bookings:waiting_list_plan")
    pages = {f"POST {plan_url}": _visible(client.post(plan_url, {}))}
    for course in Course.objects.all():
        token = signing.dumps(
            {
                "course": course.pk,
                "version": course.version,
                "sessions": [session],
                "location": Location.objects.get().pk,
                "type": AppointmentType.objects.first().pk,
            },
            salt=PROPOSAL_SALT,
            compress=True,
        )
        url = reverse("bookings:course_book", args=[course.pk])
        pages[f"POST {url}"] = _visible(client.post(url, {"token": token}))
    return pages


def test_it_walks_every_front_desk_page_without_a_finding_or_a_clinical_note(clinic, personas, client_for):
    secrets = forbidden()
    assert len(secrets) >= 7  # the findings of every kind, the clearance's basis, the chart note
    client = client_for(personas.front_desk)
    pages = walk(client, every_url() + previews())
    pages.update(_post_pages(client))
    assert len([p for p in pages.values() if not p.startswith("HTTP")]) > 40
    assert leaks(pages, secrets) == []
    shown = " ".join(pages.values())
    for words in (
        "Needs clinical review — ask the practitioner.",
        "Not before 1 March 2027.",
        "Waiting for a doctor's clearance",
        "The treatment plan needs clinical review",
        "has not signed the consent",
    ):
        assert words in shown, words


def test_it_still_tells_clinical_staff_the_reasons(clinic, personas, client_for):
    client = client_for(personas.practitioner)
    page = _visible(client.get(reverse("bookings:course_book", args=[clinic["hana"].pk])))
    assert "The latest screening rules microneedling out for this patient." in page
    assert "bleeding disorder" in page
    moved = (
        Appointment.objects.filter(course=clinic["cara"], status=AppointmentStatus.BOOKED)
        .order_by("starts_at")
        .first()
    )
    local = timezone.localtime(moved.starts_at)
    page = _visible(
        client.get(
            reverse("bookings:appointment_reschedule", args=[moved.pk])
            + f"?date={local:%Y-%m-%d}&time={local:%H:%M}"
        )
    )
    assert "cannot be before 1 March 2027" in page and "isotretinoin" in page.lower()
