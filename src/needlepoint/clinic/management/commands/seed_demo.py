"""Load the demo clinic into an empty database and print the demo logins.

Only for the demo settings (it refuses otherwise). Passwords are generated at random on the
first run, kept in var/demo-logins.txt (readable by the owner only) and printed every run."""

import json
import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from needlepoint.accounts.models import User
from needlepoint.clinic.demo import build_demo_clinic


class Command(BaseCommand):
    help = "Load the demo clinic (staff, rooms, devices, ~30 patients at every stage)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the logins) when users already exist",
        )
        parser.add_argument("--patients", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "NEEDLEPOINT_DEMO", False):
            raise CommandError(
                "seed_demo only runs with the demo settings "
                "(DJANGO_SETTINGS_MODULE=needlepoint.web.settings.demo)"
            )
        logins_file = settings.VAR_DIR / "demo-logins.txt"
        if options["if_empty"] and User.objects.exists():
            self._print(json.loads(logins_file.read_text()) if logins_file.exists() else {})
            return
        logins = build_demo_clinic(patients=options["patients"], password=self._password)
        logins_file.write_text(json.dumps(logins, indent=2))
        logins_file.chmod(0o600)
        self._print(logins)

    @staticmethod
    def _password(_username: str) -> str:
        return secrets.token_urlsafe(9)

    def _print(self, logins: dict[str, dict[str, str]]) -> None:
        self.stdout.write("\nDEMO CLINIC — invented patients, not for real care.")
        self.stdout.write("Open http://127.0.0.1:8000/ and sign in as:\n")
        for username, info in logins.items():
            self.stdout.write(f"  {info['role']:<18} {username:<12} password: {info['password']}")
        self.stdout.write("")
