"""`manage.py seed_demo`: refuses outside the demo settings; otherwise builds the demo clinic,
keeps the generated logins in var/demo-logins.txt (owner-only) and prints them; `--if-empty`
prints the kept logins without building a second clinic over the first.

The clinic itself is built by `build_demo_clinic` (tests/clinic/test_demo.py); here it is
replaced by a stand-in that creates one login, so the command's own behaviour is what is
tested. The clock is frozen as always (Monday 23 November 2026, 09:00 London)."""

import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command

from needlepoint.clinic.management.commands import seed_demo


@pytest.fixture
def built(monkeypatch, db):
    """Stand in for the demo build: one medical director login; records each build's arguments."""
    from needlepoint.accounts.models import Role, User

    calls = []

    def build(*, patients, password):
        calls.append(patients)
        secret = password("maria")
        User.objects.create_user(username="maria", password=secret, role=Role.MEDICAL_DIRECTOR)
        return {"maria": {"role": "medical_director", "password": secret}}

    monkeypatch.setattr(seed_demo, "build_demo_clinic", build)
    return calls


@pytest.fixture
def demo(settings, tmp_path):
    settings.NEEDLEPOINT_DEMO = True
    settings.VAR_DIR = tmp_path
    return tmp_path


def run(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_outside_the_demo_settings(built, settings, tmp_path):
    settings.NEEDLEPOINT_DEMO = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="demo settings"):
        run()
    assert (built, list(tmp_path.iterdir())) == ([], [])


def test_it_builds_the_clinic_and_prints_the_logins_with_a_warning(built, demo):
    printed = run("--patients", "12")
    logins = json.loads((demo / "demo-logins.txt").read_text())
    assert built == [12]
    assert "invented patients, not for real care" in printed
    assert f"maria        password: {logins['maria']['password']}" in printed


def test_it_keeps_the_logins_readable_by_the_owner_only(built, demo):
    run()
    mode = stat.S_IMODE((demo / "demo-logins.txt").stat().st_mode)
    assert mode == 0o600


def test_it_generates_a_different_password_on_each_build(built, demo):
    from needlepoint.accounts.models import User

    def password():
        run()
        return json.loads((demo / "demo-logins.txt").read_text())["maria"]["password"]

    first = password()
    User.objects.all().delete()
    second = password()
    assert (len(first) >= 12, first != second) == (True, True)


def test_it_builds_thirty_patients_unless_told(built, demo):
    run()
    assert built == [30]


def test_it_prints_the_kept_logins_and_builds_nothing_when_users_exist(built, demo):
    run()
    kept = json.loads((demo / "demo-logins.txt").read_text())
    printed = run("--if-empty")
    assert built == [30]
    assert kept["maria"]["password"] in printed


def test_it_prints_no_logins_when_users_exist_but_none_were_kept(built, demo, personas):
    printed = run("--if-empty")
    assert (built, "password:" in printed, (demo / "demo-logins.txt").exists()) == ([], False, False)


def test_it_builds_with_if_empty_on_an_empty_database(built, demo):
    run("--if-empty")
    assert (built, (demo / "demo-logins.txt").exists()) == ([30], True)
