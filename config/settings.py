"""Safecase settings: one module, driven by environment variables.

``SAFECASE_ENV`` is ``development`` (the default: a laptop with ``make run``) or
``production``. Production refuses to start without ``SECRET_KEY`` and
``ALLOWED_HOSTS``. Without ``DATABASE_URL`` the project cannot start: ``make run``
and ``make test`` set it to the embedded PostgreSQL (see ``config/embedded.py``).
Without ``REDIS_URL`` Celery uses the kombu filesystem transport under ``var/``.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from config.env import BASE_DIR, VAR_DIR, ConfigError, database_config, env, require

SAFECASE_ENV = env.str("SAFECASE_ENV", default="development")
if SAFECASE_ENV not in {"development", "production"}:
    raise ConfigError(f"SAFECASE_ENV must be 'development' or 'production', got {SAFECASE_ENV!r}")
PRODUCTION = SAFECASE_ENV == "production"
RUNSERVER = sys.argv[1:2] == ["runserver"]

if PRODUCTION:
    SECRET_KEY = require("SECRET_KEY", "production needs a long random secret key")
    if len(SECRET_KEY) < 50:
        raise ConfigError("SECRET_KEY is too short: production needs at least 50 characters")
    ALLOWED_HOSTS = [
        h.strip()
        for h in require("ALLOWED_HOSTS", "production needs the host names it serves").split(",")
        if h.strip()
    ]
    DEBUG = env.bool("DEBUG", default=False)
    if DEBUG:
        raise ConfigError("DEBUG must not be true in production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key-" + "x" * 30)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
    DEBUG = env.bool("DEBUG", default=True)

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The "form has expired" page in the layout (templates/403_csrf.html).
CSRF_FAILURE_VIEW = "casework.pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_fsm",
    "guardian",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "pgtrigger",
    "pghistory",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "casework",
    "workflows",
    "referrals",
    "notifications",
    "footage",
    "reports",
]

MIDDLEWARE = [
    # First, to answer every /api/ failure below it in JSON (config/api_middleware.py).
    "config.api_middleware.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "casework.sessions.AbsoluteSessionLimitMiddleware",
    # Requests for a case the user may not see are recorded for auditors (issue 20).
    "casework.access_log.AccessDeniedMiddleware",
    # Every successful read of case content writes one read event (casework/reads.py).
    "casework.reads.CaseReadAuditMiddleware",
    # Row history (pghistory) records which user and request made each change.
    "pghistory.middleware.HistoryMiddleware",
    # Last, so that an /api/ write's transaction holds the view and its rendered answer
    # and is rolled back for any answer of 400 or more.
    "config.api_middleware.ApiAtomicWritesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casework.context_processors.safecase",
                "notifications.context_processors.notifications",
            ],
        },
    },
]

_database_url = env.str("DATABASE_URL", default="")
if not _database_url:
    raise ConfigError(
        "DATABASE_URL is not set: point it at PostgreSQL, or use 'make run' / 'make test', "
        "which start the embedded PostgreSQL"
    )
DATABASES = {"default": database_config(_database_url)}
# Persistent connections suit servers with a fixed set of threads (gunicorn's workers,
# Celery's pool). runserver starts a thread per connection and never closes what each
# kept, so there every request closes its own (it once held 67 of 100 server slots).
DATABASES["default"]["CONN_MAX_AGE"] = (
    0 if RUNSERVER else env.int("DATABASE_CONN_MAX_AGE", default=60)
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
    "DATABASE_CONNECT_TIMEOUT", default=5
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: an idle timeout (the expiry is pushed on each request) and secure cookies in
# production.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SAFECASE_SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=2 * 60)
SAFECASE_SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: lock an account (per user name and address) after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_build" / "collected"
STATICFILES_DIRS = [BASE_DIR / "static_build" / "assets"]
# Outside production whitenoise serves the built assets straight from STATICFILES_DIRS.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Celery: Redis when REDIS_URL is set, else the kombu filesystem transport under var/,
# which (unlike memory://) works across the web, worker and beat processes.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.filebased.EmailBackend"
    ),
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="safecase@localhost")

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Container and load-balancer probes speak plain HTTP to the app itself; a redirect to
    # https://<public host>/ would make a healthy container look dead.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# The JSON API (shared/API.md, config/api_urls.py). Token first, so that a request without
# credentials is answered 401 with "WWW-Authenticate: Token"; sessions (with CSRF) work too.
# JSON in and out only; errors in the contract's shapes (config/api_errors.py).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["config.api_parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Safecase API",
    "DESCRIPTION": "Cases, their workflows, steps, history and deadlines: shared/API.md v1.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Like the workflow pages, the schema and docs are for signed-in users.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # "limited" tells a full case (false) from one known only as received (true).
    "ENUM_NAME_OVERRIDES": {
        "LimitedTrueEnum": [(True, True)],
        "LimitedFalseEnum": [(False, False)],
    },
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Safecase's own settings.
SAFECASE_SERVICE_NAME = env.str("SAFECASE_SERVICE_NAME", default="Safecase")
SAFECASE_PHASE = env.str("SAFECASE_PHASE", default="beta")
SAFECASE_DEMO_PASSWORD = env.str("SAFECASE_DEMO_PASSWORD", default="")
# The address staff reach Safecase at, for links in emails.
SAFECASE_BASE_URL = env.str("SAFECASE_BASE_URL", default="http://127.0.0.1:8000")
# Local practice, set per deployment (RULES.md marks these local or unconfirmed):
# events after this time start working-day clocks from the next working day (§0.3);
SAFECASE_WORKING_DAY_CUTOFF = env.str("SAFECASE_WORKING_DAY_CUTOFF", default="17:00")
# qualifying complaints that meet the Community Trigger threshold automatically (s104(4)
# allows fewer than 3; §5.1);
SAFECASE_COMMUNITY_TRIGGER_THRESHOLD = env.int("SAFECASE_COMMUNITY_TRIGGER_THRESHOLD", default=3)
# the names of places in the council's own area (its towns and districts, as written in
# addresses): not treated as identifying a person in an anonymous Duty to Notify, since
# the council's own name holds them (RULES.md §1.5, issue 15);
SAFECASE_AREA_PLACE_NAMES = env.list("SAFECASE_AREA_PLACE_NAMES", default=[])
# case types in a need-to-know compartment (§4.5).
SAFECASE_RESTRICTED_CASE_TYPES = env.list("SAFECASE_RESTRICTED_CASE_TYPES", default=["prevent"])
# case types whose compartment is the people named to each case, and auditors given its
# clearance (§6; casework.permissions).
SAFECASE_NAMED_CASE_TYPES = env.list("SAFECASE_NAMED_CASE_TYPES", default=["dhr"])

# CCTV footage requests (footage/, local practice): the margin before the overwrite by
# which footage must be exported, the reminder before it, and how long the council keeps
# an exported copy before destroying it.
SAFECASE_FOOTAGE_SAFETY_MARGIN_HOURS = env.int("SAFECASE_FOOTAGE_SAFETY_MARGIN_HOURS", default=48)
SAFECASE_FOOTAGE_REMIND_HOURS = env.int("SAFECASE_FOOTAGE_REMIND_HOURS", default=24)
SAFECASE_FOOTAGE_EXPORT_RETENTION_DAYS = env.int(
    "SAFECASE_FOOTAGE_EXPORT_RETENTION_DAYS", default=90
)

# Deadline reminders and escalations (workflows/reminders.py, docs/reminders.md). The
# timings are local practice (RULES.md §0.3, §7.3), so each deployment may change them.
SAFECASE_REMINDER_TIME = env.str("SAFECASE_REMINDER_TIME", default="09:00")
SAFECASE_REMIND_BEFORE_WORKING_DAYS = env.int("SAFECASE_REMIND_BEFORE_WORKING_DAYS", default=1)
SAFECASE_ESCALATE_MANAGER_AFTER_WORKING_DAYS = env.int(
    "SAFECASE_ESCALATE_MANAGER_AFTER_WORKING_DAYS", default=1
)
# Members of this Django group get the second escalation, for the cases they can open.
SAFECASE_SERVICE_MANAGER_GROUP = env.str(
    "SAFECASE_SERVICE_MANAGER_GROUP", default="Service managers"
)
SAFECASE_DIGEST_WORKING_DAYS = env.int("SAFECASE_DIGEST_WORKING_DAYS", default=5)
# /readyz says "unavailable" when no worker recorded a heartbeat for this long (beat asks
# for one every minute).
SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS = env.int(
    "SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS", default=180
)
# An outbox message still pending after this long has its delivery task sent again.
SAFECASE_OUTBOX_STALE_MINUTES = env.int("SAFECASE_OUTBOX_STALE_MINUTES", default=10)

# Intake drafts (workflows/drafts.py): unfinished concerns are deleted this many days
# after they were last saved.
SAFECASE_DRAFT_RETENTION_DAYS = env.int("SAFECASE_DRAFT_RETENTION_DAYS", default=30)
# The accessibility statement (/accessibility/): who to tell about a problem, and the
# date the statement was prepared (ISO date; review it when the service changes).
SAFECASE_ACCESSIBILITY_CONTACT = env.str(
    "SAFECASE_ACCESSIBILITY_CONTACT", default="your service desk"
)
SAFECASE_ACCESSIBILITY_PREPARED = env.str("SAFECASE_ACCESSIBILITY_PREPARED", default="2026-11-26")

# Case attachments (casework/notes.py): kept under this private directory with random
# names and sent only by the download view, which checks access; never served directly.
SAFECASE_MEDIA_ROOT = env.path("SAFECASE_MEDIA_ROOT", default=str(VAR_DIR / "media"))
SAFECASE_ATTACHMENT_MAX_BYTES = env.int("SAFECASE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# File types staff may attach, by extension; each is checked by its content too.
SAFECASE_ATTACHMENT_TYPES = env.list(
    "SAFECASE_ATTACHMENT_TYPES",
    default=["pdf", "jpg", "png", "docx", "xlsx", "odt", "txt", "eml", "msg"],
)
