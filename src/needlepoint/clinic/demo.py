"""The demo clinic: staff, rooms, devices and invented patients at every stage of their path.

Built through the same services the clinic uses, replayed at past dates (time-machine) so the
history reads like months of real use: the audit trail, bookings, messages sent, signatures,
charts and check-ins carry the dates they would have had, and nothing is dated after now.
Stages: visitors' inquiries (two with a consultation booked); consultations (eligible, needing a
clearance, deferred, pregnant); draft and approved plans, some without consent; courses booked
to start today; courses under way with charted sessions and check-ins (one with a warning sign,
flagged) and their next sessions booked; finished courses with outcomes.

Every session with a time is booked through the booking services (`course_options`,
`course_book`): it is on the calendar, in the feeds and has its messages, and it is charted at
its appointment's time, which marks the visit attended. The messages that fell due in the
replayed past are sent at their due times by the worker's own task, so none is left to go out
late."""

import base64
import datetime as dt
import math
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import time_machine
from django.db import transaction
from django.utils import timezone

from needlepoint.accounts.models import Role, User
from needlepoint.bookings.models import (
    Appointment,
    AppointmentKind,
    AppointmentType,
    Location,
    PractitionerProfile,
    Reminder,
    ReminderStatus,
)
from needlepoint.bookings.services.book import course_book
from needlepoint.bookings.services.consultations import consultation_book, consultation_options
from needlepoint.bookings.services.preferences import Preferences
from needlepoint.bookings.services.reminders import due_iso
from needlepoint.bookings.services.search import course_options, preparation_lead_days
from needlepoint.bookings.tasks import send_reminder
from needlepoint.clinic.models import Course, Device, Inquiry, Patient, Room, TreatmentSession
from needlepoint.clinic.services.aftercare import check_in_submit
from needlepoint.clinic.services.assessment import assessment_record
from needlepoint.clinic.services.chart_signing import chart_sign
from needlepoint.clinic.services.charting import AreaRow, ChartData, chart_save
from needlepoint.clinic.services.clearances import clearance_give
from needlepoint.clinic.services.consent import consent_sign, ensure_default_consent_text
from needlepoint.clinic.services.course_approval import course_approve
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.inquiries import inquiry_create
from needlepoint.clinic.services.outcomes import course_complete, outcome_record
from needlepoint.clinic.services.patients import patient_portal_account_create, patient_register
from needlepoint.clinic.services.plan_edit import course_edit
from needlepoint.clinic.services.rescreen import DayOfAnswers, session_rescreen
from needlepoint.clinic.services.screening import intake_record
from needlepoint.scheduling import AFTERNOONS, MORNINGS

STAFF = [
    ("maria", Role.MEDICAL_DIRECTOR, "Maria", "Moreau"),
    ("paula", Role.PRACTITIONER, "Paula", "Petrov"),
    ("peter", Role.PRACTITIONER, "Peter", "Nakamura"),
    ("frank", Role.FRONT_DESK, "Frank", "Okafor"),
]
FIRST = [
    "Amara",
    "Bilal",
    "Chloe",
    "Dario",
    "Elif",
    "Farah",
    "Gabriel",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Samir",
    "Tess",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dev",
]
LAST = [
    "Adeyemi",
    "Baker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Novak",
    "Olsen",
    "Patel",
    "Quint",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Wright",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Abbott",
    "Berg",
    "Chen",
    "Diaz",
]
PORTAL_PATIENT = 13  # the patient (by position) whose portal login is printed


@contextmanager
def _at(day: dt.date, hour: int = 10, minute: int = 0) -> Iterator[dt.datetime]:
    """Run the block as if it were `day` at hour:minute in the clinic's time zone."""
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    with time_machine.travel(when, tick=False):
        yield when


def signature_png(seed: int) -> str:
    """Return a drawn-looking signature (a dark wavy stroke on a transparent 600x200 canvas) as a
    PNG data URL."""
    width, height = 600, 200
    ink = {
        (x, int(100 + 40 * math.sin(x / (18 + seed % 7)) + dy)) for x in range(60, 520) for dy in range(-1, 2)
    }
    rows = b"".join(
        b"\x00" + b"".join(b"\x1d\x27\x33\xff" if (x, y) in ink else b"\x00" * 4 for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _intake(rng: random.Random, birth: dt.date, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "needlepoint.intake/1",
        "assessed_on": timezone.localdate().isoformat(),
        "patient": {"birth_date": birth.isoformat()},
        "goals": ["acne_scars"],
        "areas": rng.choice([["cheeks", "forehead"], ["cheeks", "chin"], ["cheeks", "temples"]]),
        "skin": {"fitzpatrick": rng.randint(1, 4)},
        "scars": {
            "icepick": rng.randint(0, 6),
            "boxcar": rng.randint(2, 10),
            "rolling": rng.randint(2, 12),
            "hypertrophic": 0,
            "goodman_baron_grade": rng.randint(2, 4),
        },
        "pregnancy": "no",
        "conditions": [],
        "medications": [],
        "procedures": [],
        "allergies": [],
    }
    data.update(extra)
    return data


class DemoClinic:
    """Builds the demo clinic step by step; `logins` collects what `seed_demo` prints."""

    def __init__(self, password: Callable[[str], str]):
        self.rng = random.Random(20261122)
        self.password = password
        self.logins: dict[str, dict[str, str]] = {}
        self.today = timezone.localdate()

    def staff(self) -> None:
        for username, role, first, last in STAFF:
            secret = self.password(username)
            User.objects.create_user(
                username=username,
                password=secret,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.invalid",
            )
            self.logins[username] = {"role": str(Role(role).label), "password": secret}
        self.director = User.objects.get(username="maria")
        self.practitioners = [User.objects.get(username="paula"), User.objects.get(username="peter")]
        self.front_desk = User.objects.get(username="frank")

    def resources(self) -> None:
        self.location = Location.objects.create(
            name="Needlepoint Clinic — demo",
            time_zone="Europe/London",
            opening_hours="mon-fri 09:00-18:00; sat 09:00-13:00",
            address="1 Example Street, London",
        )
        for name, kind in [
            ("Treatment room 1", "treatment"),
            ("Treatment room 2", "treatment"),
            ("Numbing lounge", "numbing"),
            ("Numbing lounge, chair 2", "numbing"),
            ("Consultation room", "consult"),
        ]:
            Room.objects.create(name=name, kind=kind, location=self.location)
        for name, kind, serial in [
            ("Microneedling pen A", "pen", "PEN-0001"),
            ("Microneedling pen B", "pen", "PEN-0002"),
            ("Centrifuge", "centrifuge", "CEN-0001"),
        ]:
            Device.objects.create(name=name, kind=kind, serial=serial, location=self.location)
        ensure_default_consent_text()

    def booking_resources(self) -> None:
        """Who treats when (Paula is PRP-trained; Peter is not and works Saturdays; Maria treats
        two mornings a week) and the three kinds of visit with their durations."""
        hours = {
            "paula": ("mon-fri 09:00-17:00", ["microneedling", "prp_draw"]),
            "peter": ("tue-fri 10:00-18:00; sat 09:00-13:00", ["microneedling"]),
            "maria": ("mon,wed 09:00-13:00", ["microneedling", "prp_draw"]),
        }
        for user in [*self.practitioners, self.director]:
            working, skills = hours[user.username]
            PractitionerProfile.objects.create(
                user=user, location=self.location, skills=skills, working_hours=working
            )
        for code, name, kind, numbing, draw, spin, minutes in [
            ("consultation", "Consultation", AppointmentKind.CONSULTATION, 0, 0, 0, 30),
            ("microneedling", "Microneedling session", AppointmentKind.TREATMENT, 30, 0, 0, 60),
            (
                "microneedling-prp",
                "Microneedling session with PRP",
                AppointmentKind.TREATMENT_PRP,
                30,
                10,
                15,
                60,
            ),
        ]:
            AppointmentType.objects.create(
                code=code,
                name=name,
                kind=kind,
                numbing_minutes=numbing,
                draw_minutes=draw,
                spin_minutes=spin,
                minutes=minutes,
            )

    def patient(self, i: int) -> Patient:
        birth = dt.date(self.rng.randint(1965, 2002), self.rng.randint(1, 12), self.rng.randint(1, 28))
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        return patient_register(
            first_name=first,
            last_name=last,
            birth_date=birth,
            email=f"{first.lower()}.{last.lower()}{i // 30 or ''}@demo.invalid",
            phone=f"+44 7700 9{i:05d}",
            actor=self.front_desk,
            duplicate_reason="An invented demo patient sharing another's name.",
        )

    def consult(self, patient: Patient, who: User, **extra: Any) -> None:
        intake_record(patient=patient, data=_intake(self.rng, patient.birth_date, **extra), actor=who)
        grade = self.rng.randint(2, 4)
        assessment_record(
            patient=patient,
            actor=who,
            phototype=self.rng.randint(1, 4),
            goodman_baron_grade=grade,
            scar_counts={"cheeks": {"icepick": 2, "boxcar": 6, "rolling": 8, "hypertrophic": 0}},
        )

    def approved_course(self, patient: Patient, who: User, *, consent: bool = True) -> Course:
        course = course_propose(patient=patient, actor=who, start_date=timezone.localdate())
        course = course_approve(course=course, actor=who, expected_version=course.version)
        if consent:
            consent_sign(
                course=course,
                consent_text=ensure_default_consent_text(),
                typed_name=f"{patient.first_name} {patient.last_name}",
                signature_png=signature_png(patient.pk),
                channel="tablet",
                actor=self.front_desk,
            )
        return course

    def book(self, course: Course, day: dt.date, preferences: Preferences | None = None) -> list[Appointment]:
        """Book the whole course as the front desk would on `day` (the earliest course for the
        patient's preferences); the first session leaves the plan's preparation time."""
        with _at(day, 9):
            options = course_options(
                course=course, actor=self.front_desk, preferences=preferences or Preferences()
            )
            if options.best is None:
                return []
            return course_book(course=course, actor=self.front_desk, token=options.best.token)

    def chart(self, session: TreatmentSession, who: User) -> dt.datetime:
        """Re-screen, chart and sign `session` at its appointment (numbing from the time the
        patient was asked to come, the treatment after it) as its practitioner, or `who`.
        Returns when the chart was signed. The messages due before then go out first."""
        appointment = Appointment.objects.select_related("appointment_type", "practitioner").get(
            session=session
        )
        numbing = dt.timedelta(minutes=appointment.appointment_type.numbing_minutes)
        when = appointment.starts_at + numbing + dt.timedelta(minutes=45)
        deliver_due(until=when, course=session.course_id)
        who = appointment.practitioner or who
        with time_machine.travel(when, tick=False):
            session_rescreen(session=session, answers=DayOfAnswers(), actor=who)
            session.refresh_from_db()
            plan = session.course.plan
            rows = tuple(
                AreaRow(area=a["area"], depth_mm=Decimal(str(a["depth_mm"]["max"])), passes=4)
                for a in plan["areas"]
            )
            data = ChartData(
                device=Device.objects.filter(kind="pen").first(),
                cartridge_lot=f"CART-{when:%y%m}-{session.pk:03d}",
                anaesthetic_on=appointment.starts_at,
                anaesthetic_off=appointment.starts_at + numbing,
                areas=rows,
                end_point="erythema",
                immediate_reactions="Even redness, as expected.",
            )
            session = chart_save(session=session, actor=who, expected_version=session.version, data=data)
            chart_sign(session=session, actor=who, expected_version=session.version)
        return when

    def check_ins(self, session: TreatmentSession, day: dt.date, *, warning_on_day1: bool = False) -> None:
        """The patient's day 1, 3 and 7 check-ins after `day`, in the evening, up to now (the
        patient sends them from the portal: give them a portal login first)."""
        patient_user = session.patient.user
        if patient_user is None:
            raise ValueError(f"{session.patient} has no portal login to send check-ins from.")
        for n, (red, swell, pain) in ((1, (5, 4, 2)), (3, (2, 1, 0)), (7, (0, 0, 0))):
            when = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=n), dt.time(19)))
            if when > timezone.now():
                return
            with time_machine.travel(when, tick=False):
                signs = ["fever"] if warning_on_day1 and n == 1 else []
                check_in_submit(
                    session=session,
                    day=n,
                    redness=red,
                    swelling=swell,
                    pain=pain,
                    warning_signs=signs,
                    note="",
                    actor=patient_user,
                )

    def portal_user(self, patient: Patient, *, printed: bool = False) -> User:
        user: User = patient_portal_account_create(patient=patient, actor=self.front_desk)
        if printed:
            secret = self.password(user.username)
            user.set_password(secret)
            user.save(update_fields=["password"])
            self.logins[user.username] = {"role": "Patient (portal)", "password": secret}
        patient.refresh_from_db()
        return user


def deliver_due(*, until: dt.datetime, course: int | None = None) -> int:
    """Send, each at its due time, the messages due up to `until` (of one course, or all) that
    are still waiting, as the worker would have; returns how many it tried."""
    waiting = Reminder.objects.filter(status=ReminderStatus.SCHEDULED, due_at__lte=until)
    if course is not None:
        waiting = waiting.filter(appointment__course_id=course)
    tried = 0
    for reminder in waiting.order_by("due_at", "id"):
        with time_machine.travel(reminder.due_at + dt.timedelta(seconds=30), tick=False):
            send_reminder.call(reminder.pk, due_iso(reminder.due_at))
        tried += 1
    return tried


def _past_sessions(course: Course, today: dt.date) -> list[TreatmentSession]:
    """The course's sessions booked on a day before `today`, in order."""
    return [
        s
        for s in course.sessions.select_related("appointment").order_by("number")
        if s.visit_at is not None and timezone.localdate(s.visit_at) < today
    ]


def _inquiries(clinic: DemoClinic) -> None:
    """Four visitors ask for a consultation; the front desk books one for the first two (the
    first is registered as a patient by the booking itself)."""
    visitors: list[tuple[str, str, dict[str, Any]]] = [
        ("Iris", "Holm", {}),
        ("Jonas", "Weber", {"pregnancy": "breastfeeding"}),
        ("Kira", "Sato", {"medications": [{"name": "apixaban", "status": "current"}]}),
        ("Leo", "Marsh", {"goals": ["melasma"], "skin": {"fitzpatrick": 5}}),
    ]
    asked = []
    for k, (first, last, extra) in enumerate(visitors):
        with _at(clinic.today - dt.timedelta(days=6 - k), 20):
            answers = _intake(clinic.rng, dt.date(1990 + k, 5, 17), **extra)
            asked.append(
                inquiry_create(
                    first_name=first,
                    last_name=last,
                    answers=answers,
                    consented=True,
                    email=f"{first.lower()}@demo.invalid",
                )
            )
    for k, inquiry in enumerate(asked[:2]):
        with _at(clinic.today - dt.timedelta(days=2 - k), 9, 30):
            day = clinic.today + dt.timedelta(days=1 + k)
            options = consultation_options(
                actor=clinic.front_desk, day=day, inquiry=Inquiry.objects.get(pk=inquiry.pk)
            )
            if options.proposals:
                consultation_book(actor=clinic.front_desk, token=options.proposals[0].token)


def _consultations(clinic: DemoClinic, patients: list[Patient]) -> None:
    """Consultations only: eligible, needs a clearance, deferred by isotretinoin, pregnant."""
    who = clinic.practitioners[0]
    variants: list[dict[str, Any]] = [
        {},
        {"medications": [{"name": "warfarin", "status": "current"}]},
        {
            "medications": [
                {
                    "name": "isotretinoin",
                    "status": "stopped",
                    "last_taken": (clinic.today - dt.timedelta(days=60)).isoformat(),
                }
            ]
        },
        {"pregnancy": "pregnant"},
    ]
    for k, patient in enumerate(patients):
        with _at(clinic.today - dt.timedelta(days=3 + k), 11):
            clinic.consult(patient, who, **variants[k % len(variants)])


def _plans(clinic: DemoClinic, cleared: list[Patient], unsigned: list[Patient], ready: list[Patient]) -> None:
    """Draft plans after a clearance; approved plans still waiting for consent (to book once
    signed); and consented courses booked by the front desk to start today."""
    who = clinic.practitioners[1]
    for k, patient in enumerate(cleared):  # a clearance given, a draft plan waiting
        with _at(clinic.today - dt.timedelta(days=9 + k), 12):
            clinic.consult(patient, who, medications=[{"name": "aspirin", "status": "current"}])
            clearance_give(
                patient=patient,
                finding_code="antithrombotic_medication",
                actor=clinic.director,
                basis="Cardiologist letter: low-dose aspirin may continue; minor bleeding expected.",
            )
            course_propose(patient=patient, actor=who, start_date=clinic.today)
    for k, patient in enumerate(unsigned + ready):  # approved; the first ones still lack consent
        with _at(clinic.today - dt.timedelta(days=30 + k), 15):
            clinic.consult(patient, who)
            course = clinic.approved_course(patient, who, consent=patient in ready)
        if patient in ready:  # booked when the preparation time before today began
            clinic.book(course, clinic.today - dt.timedelta(days=preparation_lead_days(course.plan)))


def _under_way(clinic: DemoClinic, patients: list[Patient]) -> None:
    """Courses under way: booked whole, their first one or two sessions charted at their
    appointments (about a month apart) with check-ins after each; the next ones booked."""
    for k, patient in enumerate(patients):
        who = clinic.practitioners[k % 2]
        done = 1 + k % 2
        last = clinic.today - dt.timedelta(days=2 if k < 2 else 5 + 3 * k)
        with _at(last - dt.timedelta(days=21 + 30 * (done - 1)), 11):
            clinic.consult(patient, who)
            course = clinic.approved_course(patient, who)
        booked_on = last - dt.timedelta(days=preparation_lead_days(course.plan) + 28 * (done - 1))
        clinic.book(course, booked_on)
        clinic.portal_user(patient, printed=(k == PORTAL_PATIENT - 12))
        sessions = _past_sessions(course, clinic.today)
        for n, session in enumerate(sessions):
            clinic.chart(session, who)
            session.refresh_from_db()
            clinic.check_ins(
                session,
                timezone.localdate(session.visit_at),
                warning_on_day1=(k == 0 and n == len(sessions) - 1),
            )


def _finished(clinic: DemoClinic, patients: list[Patient]) -> None:
    """Finished courses: booked whole, every session charted and signed at its appointment,
    outcomes at each visit and three months after the last (or yesterday, if sooner)."""
    for k, patient in enumerate(patients):
        who = clinic.practitioners[k % 2]
        start = clinic.today - dt.timedelta(days=300 - 9 * k)
        with _at(start - dt.timedelta(days=20), 11):
            clinic.consult(patient, who)
            course = clinic.approved_course(patient, who)
        clinic.book(course, start - dt.timedelta(days=19))
        clinic.portal_user(patient)
        assessed = course.assessment.goodman_baron_grade if course.assessment else None
        grade = 3 if assessed is None else assessed
        sessions = _past_sessions(course, clinic.today)
        if not sessions or len(sessions) < course.sessions.count():
            continue
        for n, session in enumerate(sessions):
            signed = clinic.chart(session, who)
            session.refresh_from_db()
            clinic.check_ins(session, timezone.localdate(session.visit_at))
            with time_machine.travel(signed + dt.timedelta(minutes=10), tick=False):
                outcome_record(
                    course=course,
                    session=session,
                    kind="visit",
                    goodman_baron_grade=max(1, grade - n // 2),
                    scar_counts=None,
                    mmasi=None,
                    gais=max(1, 3 - n // 2) if n else None,
                    actor=who,
                )
        last = timezone.localdate(sessions[-1].visit_at)
        end = min(last + dt.timedelta(days=90), clinic.today - dt.timedelta(days=1))
        with _at(end, 14):
            outcome_record(
                course=course,
                kind="course_end",
                goodman_baron_grade=max(1, grade - 2),
                scar_counts=None,
                mmasi=None,
                gais=2,
                actor=who,
            )
            course_complete(course=Course.objects.get(pk=course.pk), actor=who)


def _booked(clinic: DemoClinic, patients: list[Patient]) -> None:
    """Approved, consented courses booked whole by the front desk through the booking services
    (the earliest course for the patient's preferences): one with PRP, one on Saturdays."""
    wishes = [
        Preferences(),
        Preferences(weekdays=frozenset({5}), times=(MORNINGS,)),
        Preferences(weekdays=frozenset({1, 3}), times=(AFTERNOONS,)),
    ]
    for k, patient in enumerate(patients):
        who = clinic.practitioners[k % 2]
        with _at(clinic.today - dt.timedelta(days=8 - k), 14):
            clinic.consult(patient, who)
            course = course_propose(patient=patient, actor=who, start_date=timezone.localdate())
            if k == 0:
                course = course_edit(
                    course=course, actor=who, expected_version=course.version, changes={"adjuncts": ["prp"]}
                )
            course = course_approve(course=course, actor=clinic.director, expected_version=course.version)
            consent_sign(
                course=course,
                consent_text=ensure_default_consent_text(),
                typed_name=str(patient),
                signature_png=signature_png(patient.pk),
                channel="tablet",
                actor=clinic.front_desk,
            )
        clinic.book(course, clinic.today - dt.timedelta(days=7 - k), wishes[k % len(wishes)])


@transaction.atomic
def build_demo_clinic(*, patients: int, password: Callable[[str], str]) -> dict[str, dict[str, str]]:
    """Create the demo clinic; return {username: {"role", "password"}} for the printed logins."""
    clinic = DemoClinic(password)
    now = timezone.now()
    with _at(clinic.today - dt.timedelta(days=400), 8):
        clinic.staff()
        clinic.resources()
        clinic.booking_resources()
        people = [clinic.patient(i) for i in range(max(patients, 27))]
    _inquiries(clinic)
    _consultations(clinic, people[0:4])
    _plans(clinic, cleared=people[4:6], unsigned=people[6:8], ready=people[8:11])
    _under_way(clinic, people[11:21])
    _booked(clinic, people[21:24])
    _finished(clinic, people[24:])
    deliver_due(until=now)
    return clinic.logins
