"""The consultation's intake editor storing what the rows say: a condition with its severity,
areas and date, and a procedure with its day, laser kind and areas, each kept in the stored
intake exactly as entered (areas split on commas), so the screening reads the details the
practitioner wrote and the next version starts from them.

The clock is frozen (ticking) at Monday 23 November 2026, 09:00 in London (GMT); the intake is
assessed on 22 November 2026."""

from django.urls import reverse

from needlepoint.clinic.models import Intake


def editor_post(*, conditions=(), procedures=()):
    """The intake editor's POST: an adult with acne scars on the cheeks and forehead, and the rows."""
    post = {
        "assessed_on": "2026-11-22",
        "goal": "acne_scars",
        "areas": ["cheeks", "forehead"],
        "fitzpatrick": "3",
        "pregnancy": "no",
        "allergies": "",
        "medications-TOTAL_FORMS": "0",
        "medications-INITIAL_FORMS": "0",
    }
    for key, rows in (("conditions", conditions), ("procedures", procedures)):
        post[f"{key}-TOTAL_FORMS"], post[f"{key}-INITIAL_FORMS"] = str(len(rows)), "0"
        for i, row in enumerate(rows):
            post |= {f"{key}-{i}-{name}": value for name, value in row.items()}
    return post


def save(client_for, personas, **rows):
    response = client_for(personas.practitioner).post(
        reverse("clinic:consultation_intake", args=[personas.record_a.pk]), editor_post(**rows)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Intake.objects.get(patient=personas.record_a).data


def test_it_keeps_a_conditions_severity_areas_and_date(client_for, personas):
    data = save(
        client_for,
        personas,
        conditions=[
            {
                "code": "tattoo",
                "status": "active",
                "severity": "moderate",
                "areas": "forehead, cheeks",
                "date": "2025-03-01",
            }
        ],
    )
    assert data["conditions"] == [
        {
            "code": "tattoo",
            "status": "active",
            "severity": "moderate",
            "areas": ["forehead", "cheeks"],
            "date": "2025-03-01",
        }
    ]


def test_it_keeps_a_procedures_day_laser_kind_and_areas(client_for, personas):
    data = save(
        client_for,
        personas,
        procedures=[
            {"code": "laser", "date": "2026-05-02", "depth": "", "kind": "non_ablative", "areas": "cheeks"}
        ],
    )
    assert data["procedures"] == [
        {"code": "laser", "date": "2026-05-02", "kind": "non_ablative", "areas": ["cheeks"]}
    ]


def test_it_leaves_out_the_details_a_row_does_not_give(client_for, personas):
    data = save(
        client_for,
        personas,
        conditions=[{"code": "tattoo", "status": "history", "severity": "", "areas": " , ", "date": ""}],
        procedures=[{"code": "laser", "date": "2026-05-02", "depth": "", "kind": "", "areas": ""}],
    )
    assert (data["conditions"], data["procedures"]) == (
        [{"code": "tattoo", "status": "history"}],
        [{"code": "laser", "date": "2026-05-02"}],
    )
