"""Production settings: fail closed. A secret key, hosts and HTTPS are required from the
environment; DEBUG is never on; staff two-factor is always required."""

import os

from django.core.exceptions import ImproperlyConfigured

from needlepoint.web.settings.base import *  # noqa: F403


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment for production")
    return value


SECRET_KEY = _required("NEEDLEPOINT_SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("NEEDLEPOINT_SECRET_KEY must be a random string of 50+ characters")
ALLOWED_HOSTS = [h.strip() for h in _required("NEEDLEPOINT_ALLOWED_HOSTS").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("NEEDLEPOINT_ALLOWED_HOSTS must name at least one host")
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]

DEBUG = False
NEEDLEPOINT_REQUIRE_STAFF_2FA = True

SECURE_SSL_REDIRECT = os.environ.get("NEEDLEPOINT_SSL_REDIRECT", "1") != "0"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("NEEDLEPOINT_EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("NEEDLEPOINT_EMAIL_PORT", "587")),
            "username": os.environ.get("NEEDLEPOINT_EMAIL_USER", ""),
            "password": os.environ.get("NEEDLEPOINT_EMAIL_PASSWORD", ""),
            "use_tls": os.environ.get("NEEDLEPOINT_EMAIL_USE_TLS", "1") != "0",
            "timeout": 30,  # a stuck mail server must not hold the reminder worker for ever
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("NEEDLEPOINT_EMAIL_FROM", "clinic@localhost")
# Links in reminders: the public address of this deployment (default: its first host, HTTPS).
NEEDLEPOINT_SITE_URL = os.environ.get(
    "NEEDLEPOINT_SITE_URL", f"https://{ALLOWED_HOSTS[0].lstrip('.')}"
).rstrip("/")
