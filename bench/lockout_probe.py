"""Probe: how sign-in lockouts behave against three kinds of guessing, on a throwaway SQLite
database with the clinic's real lockout settings (django-axes: 5 failures per account and
address, 40 per address, 15 minutes).

Each scenario sends 60 wrong passwords through the sign-in view (Django's test client), then
tries the right password of the targeted person from the same address and from another one,
and another person's right password from the attacker's address. Clients connect directly
(REMOTE_ADDR, no trusted proxy), except in the last scenario: everyone comes through one
reverse proxy (NEEDLEPOINT_TRUSTED_PROXIES=1), as in production, where the old throttle locked
the whole clinic. Prints one table; not part of the test suite.

    PYTHONPATH=src .venv/bin/python bench/lockout_probe.py
"""

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ATTEMPTS = 60
PASSWORD = "correct horse battery"
ATTACKER, ELSEWHERE, PROXY = "203.0.113.9", "192.0.2.200", "10.0.0.2"


def setup(var: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["NEEDLEPOINT_VAR_DIR"] = var
    os.environ["DJANGO_SETTINGS_MODULE"] = "needlepoint.web.settings.test"  # fast hashing, no 2FA
    os.environ.pop("DATABASE_URL", None)
    import logging

    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    call_command("migrate", verbosity=0)
    logging.disable(logging.WARNING)  # each failure and lockout is logged; the table says enough


def make_people(names: list[str]) -> None:
    from needlepoint.accounts.models import Role, User

    for name in names:
        User.objects.create_user(username=name, password=PASSWORD, role=Role.PRACTITIONER)


def forget_failures() -> None:
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def attempt(username: str, password: str, address: str) -> int:
    from django.conf import settings
    from django.test import Client

    data = {"username": username, "password": password}
    if settings.NEEDLEPOINT_TRUSTED_PROXIES:  # the proxy connects, and appends the client's address
        meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": address}
    else:
        meta = {"REMOTE_ADDR": address}
    return Client().post("/accounts/login/", data, **meta).status_code


def run(name: str, guess: Callable[[int], tuple[str, str]], other: str) -> dict[str, str]:
    """Send the guesses; return when the first refusal came and what the real people could do."""
    from axes.models import AccessAttempt
    from django.db.models import Sum

    forget_failures()
    first_refused = None
    for n in range(1, ATTEMPTS + 1):
        username, address = guess(n)
        if attempt(username, "wrong-guess", address) == 429 and first_refused is None:
            first_refused = n
    checked = AccessAttempt.objects.aggregate(n=Sum("failures_since_start"))["n"] or 0
    target, target_address = guess(ATTEMPTS)
    ok = {302: "signs in", 429: "refused (locked)", 200: "refused"}
    return {
        "scenario": name,
        "first lockout at attempt": str(first_refused or "never"),
        "passwords checked": f"{checked} of {ATTEMPTS}",
        "target, right password, same address": ok[attempt(target, PASSWORD, target_address)],
        "target, right password, elsewhere": ok[attempt(target, PASSWORD, ELSEWHERE)],
        "other person, attacker's address": ok[attempt(other, PASSWORD, target_address)],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as var:
        setup(var)
        accounts = [f"staff{n}" for n in range(10)]
        make_people([*accounts, "frank"])
        rows = [
            run("1 address x 1 account", lambda n: ("staff0", ATTACKER), "frank"),
            run("1 address x 10 accounts", lambda n: (accounts[n % 10], ATTACKER), "frank"),
            run("10 addresses x 1 account", lambda n: ("staff0", f"198.51.100.{n % 10 + 1}"), "frank"),
        ]
        from django.test import override_settings

        with override_settings(NEEDLEPOINT_TRUSTED_PROXIES=1):
            rows.append(
                run("1 address x 10 accounts, via 1 proxy", lambda n: (accounts[n % 10], ATTACKER), "frank")
            )
    columns = list(rows[0])
    widths = [max(len(c), *(len(r[c]) for r in rows)) for c in columns]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(row[c].ljust(w) for c, w in zip(columns, widths, strict=True)))


if __name__ == "__main__":
    main()
