"""The intake editor's translation between its forms and the intake document
(clinic/forms/intake_editor.py), tested directly: starting values, the "add a row" round trip,
showing the forms as typed without judging them (which writes Django's private error caches:
these tests fail first if a Django upgrade changes them), the document built from the forms and
a screening's error placed next to its field."""

from typing import Any

import pytest
from django.http import QueryDict
from test_consultation import intake_post

from needlepoint.clinic.forms import intake_editor as editor
from needlepoint.clinic.services import ServiceError

pytestmark = pytest.mark.django_db  # the protocol's vocabulary is read through the clinic settings


def _post(data: dict[str, Any]) -> QueryDict:
    post = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            post.setlist(key, [str(v) for v in value])
        else:
            post[key] = str(value)
    return post


def _bound(data: dict[str, Any]) -> tuple[editor.IntakeForm, editor.Rows]:
    return editor.intake_forms(_post(intake_post(data)), None)


def test_it_starts_a_new_version_from_the_last_one_assessed_today(intake_a):
    intake_a |= {
        "goals": ["acne_scars", "texture"],
        "allergies": ["lidocaine", "nickel"],
        "conditions": [{"code": "eczema", "status": "controlled", "areas": ["cheeks", "chin"]}],
        "medications": [{"atc": "B01AA03", "status": "current"}],
    }
    initial, rows = editor.intake_initial(intake_a)
    assert (initial["assessed_on"], initial["goal"], initial["other_goals"]) == (
        "2026-11-23",
        "acne_scars",
        ["texture"],
    )
    assert (initial["fitzpatrick"], initial["allergies"]) == (3, "lidocaine, nickel")
    assert rows["conditions"] == [{"code": "eczema", "status": "controlled", "areas": "cheeks, chin"}]
    # a medicine recorded by its code only is shown by the protocol's name, its code kept aside
    assert rows["medications"] == [
        {"status": "current", "name": "warfarin", "atc": "B01AA03", "atc_name": "warfarin"}
    ]
    assert editor.intake_initial(None) == ({"assessed_on": "2026-11-23"}, {k: [] for k in editor.ROWS})


def test_it_adds_one_row_with_its_defaults_up_to_the_limit():
    post = _post({"medications-TOTAL_FORMS": "1", "medications-0-name": "warfarin"})
    longer = editor.with_row(post, "medications")
    assert longer["medications-TOTAL_FORMS"] == "2" and longer["medications-1-status"] == "current"
    assert longer["medications-0-name"] == "warfarin" and post["medications-TOTAL_FORMS"] == "1"
    full = _post({"conditions-TOTAL_FORMS": str(editor.MAX_ROWS)})
    assert editor.with_row(full, "conditions")["conditions-TOTAL_FORMS"] == str(editor.MAX_ROWS)
    assert (
        editor.with_row(_post({"procedures-TOTAL_FORMS": "x"}), "procedures")["procedures-TOTAL_FORMS"] == "1"
    )


def test_it_shows_the_forms_as_typed_without_judging_them(intake_a):
    typed = intake_a | {
        "assessed_on": "not a date",
        "medications": [{"name": "", "status": "current", "last_taken": "2026-01-01"}],
    }
    form, rows = _bound(typed)
    assert not form.is_valid() and not rows["medications"].is_valid()  # judged, these fail
    form, rows = _bound(typed)
    editor.without_errors(form, rows)
    assert form.errors == {} and form.non_field_errors() == []
    medications = rows["medications"]
    assert medications.errors == [] and medications.non_form_errors() == []
    assert [row.errors for row in medications.forms] == [{}]
    html = str(form) + "".join(str(row) for row in medications.forms)
    assert "errorlist" not in html
    assert 'value="not a date"' in html and 'value="2026-01-01"' in html  # as typed


def test_it_builds_the_document_the_editor_started_from(intake_a):
    intake_a |= {
        "conditions": [{"code": "eczema", "status": "controlled", "severity": "mild", "areas": ["cheeks"]}],
        "medications": [{"name": "warfarin", "status": "current"}],
        "procedures": [{"code": "chemical_peel", "date": "2026-09-01", "depth": "superficial"}],
        "allergies": ["lidocaine"],
    }
    post = intake_post(intake_a)
    post |= {"medications-TOTAL_FORMS": "2", "medications-1-status": "current"}  # a blank row, left out
    form, rows = editor.intake_forms(_post(post), None)
    assert form.is_valid() and all(f.is_valid() for f in rows.values())
    data, positions = editor.intake_data(form, rows)
    expected = {k: v for k, v in intake_a.items() if k != "scars"}
    assert data == expected | {"patient": {}}
    assert positions == {"conditions": [0], "medications": [0], "procedures": [0]}


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("medications.0.last_taken", ("medications", 1, "last_taken")),
        ("medications.0", ("medications", 1, "__all__")),
        ("goals", ("form", None, "goal")),
        ("goals.1", ("form", None, "other_goals")),
        ("skin.fitzpatrick", ("form", None, "fitzpatrick")),
        ("patient.birth_date", ("form", None, "__all__")),
    ],
)
def test_it_places_a_screening_error_next_to_the_field_its_path_names(intake_a, field, where):
    intake_a["medications"] = [{"name": "warfarin", "status": "current"}]
    post = intake_post(intake_a)
    post |= {"medications-TOTAL_FORMS": "2", "medications-0-name": "", "medications-0-status": "current"}
    post |= {"medications-1-name": "warfarin", "medications-1-status": "current"}
    form, rows = editor.intake_forms(_post(post), None)
    assert form.is_valid() and all(f.is_valid() for f in rows.values())
    _, positions = editor.intake_data(form, rows)
    editor.place_intake_error(ServiceError("Not so.", field=field), form, rows, positions)
    section, index, name = where
    target = form if section == "form" else rows[section].forms[index]
    assert target.errors == {name: ["Not so."]}
