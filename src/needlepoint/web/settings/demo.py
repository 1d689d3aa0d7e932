"""The local demo of `make run`: explicitly a demo. Runs on 127.0.0.1 over plain HTTP with an
embedded SQLite database and demo logins; the secret key is generated once per checkout and
kept in var/ (never in the repository). Staff two-factor is off so the printed logins work."""

import os
import secrets

from needlepoint.web.settings.base import *  # noqa: F403
from needlepoint.web.settings.base import VAR_DIR


def _demo_secret() -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "demo-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _demo_secret()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
NEEDLEPOINT_DEMO = True
NEEDLEPOINT_REQUIRE_STAFF_2FA = False
# The demo clinic's invented history has charted sessions and no photos.
NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED = False
# Demo email is written to files in var/outbox (one file per message, named by its Message-ID,
# written atomically), never sent.
MAILERS = {
    "default": {"BACKEND": "needlepoint.mailing.OutboxBackend", "OPTIONS": {"file_path": VAR_DIR / "outbox"}}
}
# The demo clinic's urgent contacts (a drama-range number, not a real one).
NEEDLEPOINT_CLINIC_PHONE = os.environ.get("NEEDLEPOINT_CLINIC_PHONE", "020 7946 0123")
NEEDLEPOINT_OUT_OF_HOURS_ADVICE = os.environ.get(
    "NEEDLEPOINT_OUT_OF_HOURS_ADVICE",
    "When the clinic is closed, call NHS 111 for urgent advice, or 999 in an emergency.",
)
NEEDLEPOINT_ON_CALL_EMAIL = os.environ.get("NEEDLEPOINT_ON_CALL_EMAIL", "on-call@demo-clinic.localhost")
DEFAULT_FROM_EMAIL = "demo-clinic@localhost"
# Serve static files uncompressed in the demo: compressing every file takes a minute per start.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
