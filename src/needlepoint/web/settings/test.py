"""Settings for the test suite: in-memory-fast hashing, local memory email, no 2FA by default
(tests of two-factor switch it on)."""

import os

from needlepoint.web.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-" + "x" * 50
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Tasks keep base's database backend: a test sees the queued task rows (run_after, arguments as
# they are stored) and runs them itself, through the worker's own code, once time has come.
NEEDLEPOINT_REQUIRE_STAFF_2FA = False
# Charting tests are not about photos; the photo tests switch the before-photo check on.
NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "photos": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    # One test database per test run (process), so that two runs on one server never drop
    # each other's database; NEEDLEPOINT_TEST_DB names it explicitly.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("NEEDLEPOINT_TEST_DB", f"needlepoint_test_{os.getpid()}")
    }

# Tests serve static files from the source folders (nothing is collected).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
