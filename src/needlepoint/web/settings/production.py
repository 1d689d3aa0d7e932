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

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("NEEDLEPOINT_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("NEEDLEPOINT_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("NEEDLEPOINT_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("NEEDLEPOINT_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = True
DEFAULT_FROM_EMAIL = os.environ.get("NEEDLEPOINT_EMAIL_FROM", "clinic@localhost")
