"""Production settings fail closed; the deploy check is clean."""

import os
import subprocess
import sys

import pytest

GOOD = {
    "NEEDLEPOINT_SECRET_KEY": "k" * 20 + "Zq8!x" * 10,
    "NEEDLEPOINT_ALLOWED_HOSTS": "clinic.example",
    "NEEDLEPOINT_CLINIC_PHONE": "020 7946 0123",
    "NEEDLEPOINT_ON_CALL_EMAIL": "on-call@clinic.example",
    "NEEDLEPOINT_OUT_OF_HOURS_ADVICE": "When we are closed, call NHS 111.",
}


def _run(env_extra, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEEDLEPOINT_")}
    env |= {"DJANGO_SETTINGS_MODULE": "needlepoint.web.settings.production", **env_extra}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests; never in production
    env["NEEDLEPOINT_VAR_DIR"] = env.get("TMPDIR", "/tmp") + "/needlepoint-settings-test"
    return subprocess.run(
        [sys.executable, "-m", "django", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("missing", ["NEEDLEPOINT_SECRET_KEY", "NEEDLEPOINT_ALLOWED_HOSTS"])
def test_it_refuses_to_start_production_without_required_settings(missing):
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = _run(env, "check")
    assert result.returncode != 0
    assert missing in result.stderr


def test_it_refuses_a_weak_secret_key():
    result = _run({**GOOD, "NEEDLEPOINT_SECRET_KEY": "django-insecure-short"}, "check")
    assert result.returncode != 0
    assert "NEEDLEPOINT_SECRET_KEY" in result.stderr


def test_it_passes_the_deploy_check_in_production():
    result = _run(GOOD, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout


def test_it_warns_when_an_urgent_check_in_would_reach_nobody():
    bare = {k: v for k, v in GOOD.items() if k in ("NEEDLEPOINT_SECRET_KEY", "NEEDLEPOINT_ALLOWED_HOSTS")}
    result = _run(bare, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for check_id in ("needlepoint.W101", "needlepoint.W102", "needlepoint.W103"):
        assert check_id in result.stderr + result.stdout


def test_it_keeps_debug_off_and_two_factor_on_in_production():
    code = (
        "from django.conf import settings;"
        "print(settings.DEBUG, settings.NEEDLEPOINT_REQUIRE_STAFF_2FA, settings.SESSION_COOKIE_SECURE)"
    )
    result = _run(GOOD, "shell", "--no-imports", "-c", code)
    assert result.stdout.split() == ["False", "True", "True"], result.stderr
