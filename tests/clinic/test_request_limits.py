"""What one request may cost: a row set builds at most its rows whatever count a request
claims (a forged `conditions-TOTAL_FORMS` of ten million is refused with a message, after
building no more than the editor offers), and a request with more fields or more data than the
largest real form is refused with a plain 400 page before any form reads it. The largest real
requests still fit: the intake editor with every section full, a consent with the largest
drawing the signature check accepts.

Personas: practitioner (writes the intake), patient B (refused). The clock is frozen as always
(Monday 23 November 2026, 09:00 London)."""

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.urls import reverse
from test_intake_editor_rows import editor_post

from needlepoint.clinic.forms import intake_editor
from needlepoint.clinic.forms.charting import AreaFormSet, EventFormSet
from needlepoint.clinic.models import Intake
from needlepoint.clinic.signature import SIGNATURE_MAX_BYTES

CLAIMED = str(10**7)
TOO_MANY = "At most 30 rows can be sent: remove some, or reload the page."


@pytest.fixture
def built(monkeypatch):
    """Count the condition rows the editor builds."""
    count = {"rows": 0}
    original = intake_editor.ConditionRow.__init__

    def counting(self, *args, **kwargs):
        count["rows"] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(intake_editor.ConditionRow, "__init__", counting)
    return count


def intake_url(personas):
    return reverse("clinic:consultation_intake", args=[personas.record_a.pk])


@pytest.mark.parametrize("button", [{}, {"add_row": "conditions"}], ids=["save", "add a row"])
def test_it_refuses_a_forged_row_count_after_building_no_more_rows_than_offered(
    client_for, personas, built, button
):
    post = editor_post() | {"conditions-TOTAL_FORMS": CLAIMED} | button
    response = client_for(personas.practitioner).post(intake_url(personas), post)
    assert built["rows"] <= intake_editor.MAX_ROWS
    assert not Intake.objects.exists()
    if not button:
        assert (response.status_code, TOO_MANY in response.content.decode()) == (400, True)


def test_it_still_saves_an_intake_with_every_section_full(client_for, personas):
    row = {"code": "", "status": "active"}
    post = editor_post(
        conditions=[row] * intake_editor.MAX_ROWS, procedures=[{"code": ""}] * intake_editor.MAX_ROWS
    )
    response = client_for(personas.practitioner).post(intake_url(personas), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Intake.objects.filter(patient=personas.record_a).count() == 1


def test_it_still_refuses_the_intake_editor_to_a_patient(client_for, personas):
    post = editor_post() | {"conditions-TOTAL_FORMS": CLAIMED}
    assert client_for(personas.patient_b).post(intake_url(personas), post).status_code == 404


@pytest.mark.parametrize(("rows", "prefix"), [(AreaFormSet, "areas"), (EventFormSet, "events")])
def test_it_builds_at_most_thirty_chart_rows_whatever_is_claimed(rows, prefix):
    formset = rows({f"{prefix}-TOTAL_FORMS": CLAIMED, f"{prefix}-INITIAL_FORMS": "0"}, prefix=prefix)
    assert (len(formset.forms), formset.is_valid(), formset.non_form_errors()) == (30, False, [TOO_MANY])


def test_it_refuses_a_request_with_more_fields_than_any_form_with_a_plain_page(client_for, personas):
    post = editor_post() | {f"extra{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}
    response = client_for(personas.practitioner).post(intake_url(personas), post)
    page = response.content.decode()
    assert (response.status_code, "The request could not be read" in page, "Traceback" in page) == (
        400,
        True,
        False,
    )
    assert not Intake.objects.exists()


def test_it_refuses_a_request_with_more_data_than_any_form(client_for, personas):
    post = editor_post() | {"allergies": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    response = client_for(personas.practitioner).post(intake_url(personas), post)
    assert (response.status_code, "The request could not be read" in response.content.decode()) == (400, True)


def test_the_largest_real_requests_fit_the_limits():
    """A full intake (every row of every section, every goal and area ticked) has fewer fields
    than the limit; the largest signature the check accepts, posted as a form (every base64
    character that a form encodes taking three), is smaller than the data limit."""
    rows = sum(
        len(formset.form.base_fields) * intake_editor.MAX_ROWS + 4 for formset in intake_editor.ROWS.values()
    )
    form = intake_editor.IntakeForm()
    ticks = sum(len(getattr(f, "choices", ())) for f in form.fields.values())
    assert rows + len(form.fields) + ticks + 5 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    signature = "data:image/png;base64," + "+" * ((SIGNATURE_MAX_BYTES + 2) // 3 * 4)
    body = urlencode(
        {
            "signature_png": signature,
            "typed_name": "x" * 200,
            "consent_text": "1",
            "csrfmiddlewaretoken": "x" * 64,
        }
    )
    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
