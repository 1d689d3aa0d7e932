"""Fill a database with the demo clinic scaled up: N patients and M charted, signed sessions.

Run by bench_web.py in a subprocess with DJANGO_SETTINGS_MODULE and DATABASE_URL set. Rows are
bulk-inserted for speed (the services' one-at-a-time path is exercised by the test suite);
screenings are real results of the clinical core. Prints the staff login as JSON."""

import datetime as dt
import json
import random
import secrets
import sys

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402

from needlepoint.accounts.models import Role, User  # noqa: E402
from needlepoint.clinic import models as m  # noqa: E402
from needlepoint.clinic.protocol import clinic_protocol, planner, screener  # noqa: E402
from needlepoint.clinical.intake import intake_from_mapping  # noqa: E402

BATCH = 2000


def _templates(today: dt.date) -> list[tuple[dict, dict, dict]]:
    """A few real intakes with their real screening and plan documents."""
    voc = clinic_protocol().vocabulary_for_intake()
    out = []
    for goal, areas, grade in [
        ("acne_scars", ["cheeks", "forehead"], 3),
        ("melasma", ["cheeks"], None),
        ("fine_lines", ["forehead", "temples"], None),
        ("acne_scars", ["chin"], 4),
    ]:
        data = {
            "schema": "needlepoint.intake/1",
            "assessed_on": today.isoformat(),
            "patient": {"birth_date": "1990-01-01"},
            "goals": [goal],
            "areas": areas,
            "skin": {"fitzpatrick": 3},
            "pregnancy": "no",
        }
        if grade:
            data["scars"] = {"boxcar": 6, "rolling": 8, "goodman_baron_grade": grade}
        core = intake_from_mapping(data, voc)
        s = screener().screen(core)
        out.append((data, s.as_dict(), planner().plan(core, s, today).as_dict()))
    return out


def _signed_in_sessions(user: User, count: int) -> list[str]:
    """Session keys of `user`, signed in: the load test measures pages, not password hashing
    (Argon2 is deliberately slow and would dominate the first seconds)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    keys = []
    for _ in range(count):
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        keys.append(store.session_key)
    return keys


def main(patients: int, sessions: int) -> None:
    rng = random.Random(7)
    now = timezone.now()
    today = timezone.localdate()
    password = secrets.token_urlsafe(12)
    staff = User.objects.create_user(username="bench-practitioner", password=password, role=Role.PRACTITIONER)
    User.objects.create_user(username="bench-director", password=password, role=Role.MEDICAL_DIRECTOR)
    templates = _templates(today)
    per_patient = max(1, sessions // patients)
    course_len = 5 if per_patient >= 5 else per_patient
    courses_per_patient = max(1, per_patient // course_len)
    with transaction.atomic():
        pts = m.Patient.objects.bulk_create(
            [
                m.Patient(
                    first_name=f"Pat{i}",
                    last_name=f"Bench{i:05d}",
                    birth_date=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    email=f"p{i}@bench.invalid",
                )
                for i in range(patients)
            ],
            batch_size=BATCH,
        )
        intakes = m.Intake.objects.bulk_create(
            [
                m.Intake(patient=p, number=1, data=templates[i % 4][0], source="consultation")
                for i, p in enumerate(pts)
            ],
            batch_size=BATCH,
        )
        scr = m.Screening.objects.bulk_create(
            [
                m.Screening(
                    patient=p,
                    intake=it,
                    decision=templates[i % 4][1]["decision"],
                    earliest_date=today,
                    result=templates[i % 4][1],
                    protocol_id="default",
                    protocol_version=clinic_protocol().protocol.version,
                )
                for i, (p, it) in enumerate(zip(pts, intakes, strict=True))
            ],
            batch_size=BATCH,
        )
        courses = m.Course.objects.bulk_create(
            [
                m.Course(
                    patient=p,
                    screening=s,
                    status="active",
                    goal=templates[i % 4][2]["goal"],
                    plan=templates[i % 4][2],
                    start_date=today - dt.timedelta(days=300),
                    protocol_id="default",
                    protocol_version="bench",
                    created_by=staff,
                    approved_at=now - dt.timedelta(days=300),
                    approved_by=staff,
                )
                for i, (p, s) in enumerate(zip(pts, scr, strict=True))
                for _ in range(courses_per_patient)
            ],
            batch_size=BATCH,
        )
        text = m.ConsentText.objects.create(version="bench", title="Consent", body="Bench consent text.")
        m.Consent.objects.bulk_create(  # every course under way has its signed consent
            [
                m.Consent(
                    patient_id=c.patient_id,
                    course=c,
                    consent_text=text,
                    typed_name="Bench Patient",
                    signature_png="data:image/png;base64,",
                    channel="tablet",
                )
                for c in courses
            ],
            batch_size=BATCH,
        )
        rows = []
        for c in courses:
            for n in range(1, course_len + 1):
                when = now - dt.timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 8))
                rows.append(
                    m.TreatmentSession(
                        course=c,
                        patient_id=c.patient_id,
                        number=n,
                        scheduled_for=when,
                        practitioner=staff,
                        cartridge_lot=f"LOT{n}",
                        end_point="erythema",
                    )
                )
        sess = m.TreatmentSession.objects.bulk_create(rows[:sessions], batch_size=BATCH)
        m.AreaTreatment.objects.bulk_create(
            [
                m.AreaTreatment(session=s, area=a["area"], depth_mm=a["depth_mm"]["max"], passes=3)
                for s in sess
                for a in s.course.plan["areas"]
            ],
            batch_size=BATCH,
        )
        m.TreatmentSession.objects.filter(pk__in=[s.pk for s in sess]).update(
            status="signed", signed_at=F("scheduled_for"), signed_by=staff
        )
        m.CheckIn.objects.bulk_create(
            [
                m.CheckIn(
                    session=s,
                    patient_id=s.patient_id,
                    day=1,
                    redness=rng.randint(0, 6),
                    swelling=rng.randint(0, 5),
                    pain=rng.randint(0, 4),
                )
                for s in sess[::3]
            ],
            batch_size=BATCH,
        )
        m.Outcome.objects.bulk_create(
            [
                m.Outcome(
                    patient_id=c.patient_id,
                    course=c,
                    kind="visit",
                    recorded_by=staff,
                    goodman_baron_grade=rng.randint(1, 4),
                    gais=rng.randint(1, 4),
                )
                for c in courses
            ],
            batch_size=BATCH,
        )
        upcoming = [
            m.TreatmentSession(
                course=c,
                patient_id=c.patient_id,
                number=course_len + 1,
                scheduled_for=now.replace(hour=9) + dt.timedelta(minutes=20 * k),
                practitioner=staff,
            )
            for k, c in enumerate(courses[:24])
        ]
        m.TreatmentSession.objects.bulk_create(upcoming)
    print(
        json.dumps(
            {
                "username": "bench-practitioner",
                "password": password,
                "sessions": _signed_in_sessions(staff, 40),
                "patients": [p.pk for p in pts[:: max(1, patients // 500)]],
                "courses": [c.pk for c in courses[:: max(1, len(courses) // 500)]],
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
