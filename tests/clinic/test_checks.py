"""The clinic's deploy checks (`manage.py check --deploy`): each urgent-contact setting left empty
is warned about by its own id, and a deployment that sets all three gets no warning of the
clinic's own. Run in process through Django's check registry (the production-settings run in a
subprocess is tests/web/test_settings.py). No time is involved; the clock is frozen as always
(Monday 23 November 2026, 09:00 London)."""

import pytest
from django.core import checks

CONTACTS = {
    "NEEDLEPOINT_CLINIC_PHONE": "020 7946 0123",
    "NEEDLEPOINT_OUT_OF_HOURS_ADVICE": "When we are closed, call NHS 111.",
    "NEEDLEPOINT_ON_CALL_EMAIL": "on-call@clinic.example",
}
pytestmark = pytest.mark.django_db  # the model checks run with the clinic's

IDS = {
    "NEEDLEPOINT_CLINIC_PHONE": "needlepoint.W101",
    "NEEDLEPOINT_OUT_OF_HOURS_ADVICE": "needlepoint.W102",
    "NEEDLEPOINT_ON_CALL_EMAIL": "needlepoint.W103",
}


def clinic_warnings():
    """The clinic's own messages of the deploy checks (Django's security checks left out)."""
    return [m for m in checks.run_checks(include_deployment_checks=True) if m.id.startswith("needlepoint.")]


def test_it_warns_about_nothing_when_every_urgent_contact_is_set(settings):
    for name, value in CONTACTS.items():
        setattr(settings, name, value)
    assert clinic_warnings() == []


@pytest.mark.parametrize("missing", sorted(CONTACTS))
def test_it_warns_about_each_empty_urgent_contact_by_its_own_id(settings, missing):
    for name, value in CONTACTS.items():
        setattr(settings, name, "" if name == missing else value)
    warnings = clinic_warnings()
    assert [(w.id, w.level) for w in warnings] == [(IDS[missing], checks.WARNING)]
    assert (missing in warnings[0].msg, warnings[0].hint) == (True, f"Set {missing} in the environment.")


def test_it_says_what_goes_wrong_for_patients_when_nothing_is_set(settings):
    for name in CONTACTS:
        setattr(settings, name, "")
    messages = {w.id: w.msg for w in clinic_warnings()}
    assert sorted(messages) == ["needlepoint.W101", "needlepoint.W102", "needlepoint.W103"]
    assert "shown no number to call" in messages["needlepoint.W101"]
    assert "not told where to go" in messages["needlepoint.W102"]
    assert "emailed to the medical directors" in messages["needlepoint.W103"]


def test_it_runs_the_urgent_contact_checks_only_for_a_deployment(settings):
    for name in CONTACTS:
        setattr(settings, name, "")
    everyday = [m for m in checks.run_checks() if m.id.startswith("needlepoint.")]
    assert everyday == []
