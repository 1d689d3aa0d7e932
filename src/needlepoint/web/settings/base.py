"""Settings shared by every deployment. Environment-driven; nothing secret lives here."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[4]
VAR_DIR = Path(os.environ.get("NEEDLEPOINT_VAR_DIR", BASE_DIR / "var"))

DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",  # clinic resources only, for the medical director (bookings/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # staff backup codes, for a lost phone
    "django_tasks_db",
    "axes",
    "needlepoint.accounts",
    "needlepoint.audit",
    "needlepoint.clinic",
    "needlepoint.bookings",
    "needlepoint.photos",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "needlepoint.web.middleware.NoStoreMiddleware",  # after WhiteNoise: static files stay cacheable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "needlepoint.accounts.middleware.StaffTwoFactorMiddleware",
    "needlepoint.audit.middleware.AuditContextMiddleware",
    "needlepoint.clinic.tablet.TabletLockMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its page
]

ROOT_URLCONF = "needlepoint.web.urls"
WSGI_APPLICATION = "needlepoint.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "needlepoint" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "needlepoint.web.context.clinic",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'needlepoint.sqlite3'}",
        conn_max_age=60,
    ),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Django's SQLite backend whose flush passes the append-only guards (any other DELETE of a
    # guarded row is refused by the database, as on PostgreSQL).
    DATABASES["default"]["ENGINE"] = "needlepoint.web.sqlite_backend"
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN, so
    # two requests racing to write are serialised instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# How long an emailed one-time link to choose a password works (a new portal login's invitation,
# "Forgot your password?"): three days, long enough for a patient to find the email, short enough
# that an old email is no standing key. A link also stops working once a password is set with it.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("NEEDLEPOINT_CLINIC_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT: Path | None = VAR_DIR / "static"  # None in tests: nothing is collected
STATICFILES_DIRS = [BASE_DIR / "src" / "needlepoint" / "static"]
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise as they are.
WHITENOISE_ROOT = BASE_DIR / "src" / "needlepoint" / "web_root"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "photos"},
    },
}
# Clinical photos: kept outside the web root (var/photos) and served only by the access-checked
# view (`needlepoint.photos.views.files`). With NEEDLEPOINT_PHOTO_S3_BUCKET set they go to an
# S3-compatible store through django-storages instead (private objects, never a public address).
if os.environ.get("NEEDLEPOINT_PHOTO_S3_BUCKET", "").strip():
    STORAGES["photos"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["NEEDLEPOINT_PHOTO_S3_BUCKET"].strip(),
            "endpoint_url": os.environ.get("NEEDLEPOINT_PHOTO_S3_ENDPOINT_URL", "").strip() or None,
            "region_name": os.environ.get("NEEDLEPOINT_PHOTO_S3_REGION", "").strip() or None,
            "access_key": os.environ.get("NEEDLEPOINT_PHOTO_S3_ACCESS_KEY_ID", "").strip() or None,
            "secret_key": os.environ.get("NEEDLEPOINT_PHOTO_S3_SECRET_ACCESS_KEY", "").strip() or None,
            "location": os.environ.get("NEEDLEPOINT_PHOTO_S3_PREFIX", "photos").strip(),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Whether the front desk may see clinical photos (a clinic's choice; off: only the medical
# director and practitioners see them, and each patient their own).
NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS = os.environ.get(
    "NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS", ""
).strip().lower() in (
    "1",
    "true",
    "yes",
)
# The first session of a course is charted only with its before photos (or the medical
# director's waiver for the patient). On unless set to 0.
NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED = os.environ.get("NEEDLEPOINT_BEFORE_PHOTOS_REQUIRED", "1").strip() != "0"
# An upload larger than this many bytes, or an image of more pixels than this, is refused before
# it is decoded (a decompression bomb expands a small file into gigabytes). 50 megapixels is
# above every phone camera in clinic use (12-48 MP); 30 MB above their largest JPEG or HEIC.
NEEDLEPOINT_PHOTO_MAX_PIXELS = int(os.environ.get("NEEDLEPOINT_PHOTO_MAX_PIXELS", str(50_000_000)))
NEEDLEPOINT_PHOTO_MAX_BYTES = int(os.environ.get("NEEDLEPOINT_PHOTO_MAX_BYTES", str(30 * 1024 * 1024)))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request size: a request with more fields or a bigger body is refused with the 400 page before
# any form reads it. The largest real ones: the intake editor with every section full (under 800
# fields) and a consent with its drawn signature (at most 200 KB of PNG, under 1 MB as posted).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# The clinical protocol the clinic runs on (its own copy, signed off by its medical director).
NEEDLEPOINT_PROTOCOL = os.environ.get("NEEDLEPOINT_PROTOCOL") or None
NEEDLEPOINT_CLINIC_NAME = os.environ.get("NEEDLEPOINT_CLINIC_NAME", "Needlepoint Clinic")
NEEDLEPOINT_DEMO = False
# Staff must confirm a TOTP device before reaching patient data (production always).
NEEDLEPOINT_REQUIRE_STAFF_2FA = True

OTP_TOTP_ISSUER = NEEDLEPOINT_CLINIC_NAME
# How long a staff invitation (or a new second-factor link) stays valid, in hours.
NEEDLEPOINT_STAFF_INVITATION_HOURS = int(os.environ.get("NEEDLEPOINT_STAFF_INVITATION_HOURS", "72"))

# Background work (reminders, staff alerts): Django's tasks framework on the database backend, run
# by `django-admin clinic_worker` (db_worker with the sweep inside it; `make run` starts one). Mail
# goes through MAILERS, set per deployment (demo: files in var/outbox; production: SMTP; tests: memory).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Urgent check-ins: the clinic's phone and what to do out of hours are shown to the patient with
# the urgent advice; the on-call clinician (one address or several, comma-separated; without it
# the medical directors) is emailed at once; a flag nobody acknowledges within the clinic's
# minutes is escalated to the medical directors by the worker's sweep.
NEEDLEPOINT_CLINIC_PHONE = os.environ.get("NEEDLEPOINT_CLINIC_PHONE", "").strip()
NEEDLEPOINT_OUT_OF_HOURS_ADVICE = os.environ.get("NEEDLEPOINT_OUT_OF_HOURS_ADVICE", "").strip()
NEEDLEPOINT_ON_CALL_EMAIL = os.environ.get("NEEDLEPOINT_ON_CALL_EMAIL", "").strip()


def _minutes(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= 24 * 60:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be a whole number of minutes from 1 to 1440, got {raw!r}")
    return int(raw)


NEEDLEPOINT_URGENT_ESCALATION_MINUTES = _minutes("NEEDLEPOINT_URGENT_ESCALATION_MINUTES", 30)
# The address links in emails point to (the portal's check-in pages), without a trailing slash.
NEEDLEPOINT_SITE_URL = os.environ.get("NEEDLEPOINT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The clinic's notice period for cancelling a visit (a clinic's choice): a visit cancelled less
# than this many hours before it starts is recorded as a late cancellation.
NEEDLEPOINT_LATE_CANCEL_HOURS = int(os.environ.get("NEEDLEPOINT_LATE_CANCEL_HOURS", "24"))


# ---- the client's address -----------------------------------------------------------------------
def _trusted_proxies() -> int:
    raw = os.environ.get("NEEDLEPOINT_TRUSTED_PROXIES", "").strip() or "0"
    if not raw.isdigit() or int(raw) > 10:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "NEEDLEPOINT_TRUSTED_PROXIES must be the number of reverse proxies in front of the "
            f"application, 0 to 10 (0 when clients connect directly, 1 behind one proxy), got {raw!r}"
        )
    return int(raw)


# How many reverse proxies in front of the application to believe. 0: the client is REMOTE_ADDR
# and X-Forwarded-For is ignored (anyone can write it). N: the client is the Nth address from the
# right of X-Forwarded-For, the one the outermost trusted proxy saw (audit.context.client_ip).
NEEDLEPOINT_TRUSTED_PROXIES = _trusted_proxies()

# ---- sign-in lockouts (django-axes; accounts/signin.py) -----------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked attempt before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "needlepoint.accounts.signin.PairAndAddressHandler"
# The client's address as the audit trail reads it (instead of axes' own AXES_IPWARE_* lookup).
AXES_CLIENT_IP_CALLABLE = "needlepoint.audit.context.client_ip"
AXES_USERNAME_CALLABLE = "needlepoint.accounts.signin.username_key"
AXES_LOCKOUT_CALLABLE = "needlepoint.accounts.signin.lockout_response"
# Five wrong passwords for one account from one address lock that account at that address only.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
# An address alone is locked (every account at it) after 40 failures across accounts within the
# cool-off. Far above what a clinic's staff mistype in a quarter of an hour even when they all
# share one address (a proxy counted wrongly, or the clinic's own network): 20 people making two
# typos each stay under it. A guesser trying many accounts from one address is held to 40
# guesses per quarter of an hour, each account to 5.
NEEDLEPOINT_ADDRESS_FAILURE_LIMIT = 40
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
# Attempts while locked are refused without being counted, so the time the page promises holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True  # a successful sign-in forgets that account's failures at that address
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail; no second log of them
AXES_ENABLE_ADMIN = False

# ---- the cache shared by every worker process ---------------------------------------------------
# The inquiry's rate limit counts in it, so every worker (and a restart) sees the same counts.
# Django's database cache: `migrate` makes its table (accounts migration 0002 runs
# createcachetable). Only the database cache is supported: the redis client is not a dependency.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "needlepoint_cache",
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
