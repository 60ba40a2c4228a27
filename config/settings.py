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

from config.client_ip import parse_networks as _parse_networks
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
    # Two-factor sign-in (casework.two_factor): authenticator apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "casework",
    "workflows",
    "referrals",
    "notifications",
    "footage",
    "reports",
]

MIDDLEWARE = [
    # Outermost: no answer but a static file is cached (config/hardening.py, issue 17).
    "config.hardening.NoStoreMiddleware",
    # First, to answer every /api/ failure below it in JSON (config/api_middleware.py).
    "config.api_middleware.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy below (django-csp, issue 17).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A session without its second factor is signed out (issue 17, casework.two_factor).
    "casework.two_factor.TwoFactorMiddleware",
    # Changes of role, permission or flag are attributed to the request's user and held
    # to the separation of duties (casework/role_audit.py).
    "casework.role_audit.RoleAuditMiddleware",
    # NUL and other control characters in any input are a 400 (config/hardening.py).
    "config.hardening.ControlCharactersMiddleware",
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
            # Without a {% load %} (issue 19): one date format on every page (GOV.UK
            # style), |govuk_date and |govuk_datetime,
            # and case references that never break: |reference; a form's questions and a
            # list's pagination in GOV.UK markup, {% govuk_control %} and
            # {% govuk_pagination %} (casework/templatetags/govuk_forms.py).
            "builtins": [
                "casework.templatetags.govuk_dates",
                "casework.templatetags.references",
                "casework.templatetags.govuk_forms",
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
# No JIT compilation: PostgreSQL compiles a query whose estimated cost is high, which
# these short, indexed queries (a page of events, a page of cases) often are in the
# planner's eyes; at county scale it spent 315 ms compiling an audit search that ran in
# 160 ms (docs/performance.md). DATABASE_JIT=true leaves the server's own setting.
if not env.bool("DATABASE_JIT", default=False):
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# The lookups Safecase keeps prepared on the server (``casework.statements.
# prepared_cursor``: a session, a user, a case or person by its key) are prepared at their
# first use on a connection; nothing else ever is (Django's own statements are bound in
# the client, and this threshold is never reached by psycopg's count). A connection pooler
# that cannot carry prepared statements (PgBouncer in transaction mode before 1.21):
# DATABASE_PREPARED_STATEMENTS=false, and they are planned at every use as the rest are.
if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 1_000_000
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Django's ModelBackend, reading the signed-in user through a kept statement.
    "casework.session_store.ModelBackend",
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
    # "passwordpassword" and the like (casework/passwords.py, issue 17).
    {"NAME": "casework.passwords.RepeatedPatternValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: an idle timeout (the expiry is pushed on activity, by a page read at most once
# every SESSION_RENEW_SECONDS: casework/sessions.py) and secure cookies in production.
# Django's database sessions, their row read through a kept statement.
SESSION_ENGINE = "casework.session_store"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SAFECASE_SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=2 * 60)
SAFECASE_SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=10 * 60 * 60)
SAFECASE_SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: lock an account (per user name and address) after repeated failures, and
# an address after failures across any user names (password spraying; config/axes.py).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "config.axes.SafecaseAxesHandler"
SAFECASE_ADDRESS_FAILURE_LIMIT = env.int("SAFECASE_ADDRESS_FAILURE_LIMIT", default=20)
# The client's address: X-Forwarded-For only from these proxies (config/client_ip.py).
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
SAFECASE_TRUSTED_PROXIES = env.list("SAFECASE_TRUSTED_PROXIES", default=[])
try:
    _parse_networks(SAFECASE_TRUSTED_PROXIES)
except ValueError as _exc:
    raise ConfigError(f"SAFECASE_TRUSTED_PROXIES: {_exc}") from None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# Safecase is written in British English and has no translation catalogue, so Django's
# translation machinery is off: with it on, every lazy text, date and number on a page
# asked the request's language through a context-local lookup, about 0.5-1.5 ms of a
# page's CPU (docs/performance.md). Month and day names, and the en-GB date and number
# formats, are the same either way (LANGUAGE_CODE). A translation (Welsh, for a council
# in Wales) would turn it on again, with LocaleMiddleware and LOCALE_PATHS.
USE_I18N = False
USE_TZ = True

# The parts of every page's layout that depend on nothing but the keys they are kept
# under (templates/base.html: the navigation by role and page, the footer, the head's
# links), drawn once per worker; each worker keeps its own in memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "safecase-fragments",
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}

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
# Production talks to the mail relay over TLS unless told otherwise: STARTTLS
# (EMAIL_USE_TLS) by default, or implicit TLS when EMAIL_USE_SSL is chosen (the two are
# exclusive). Development writes files, so neither applies there.
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=PRODUCTION and not EMAIL_USE_SSL)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL are both true: choose one")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="safecase@localhost")

# Behind a TLS-terminating proxy that alone reaches the app (docker/compose.yml binds it to
# loopback) the proxy's X-Forwarded-Proto says whether the request came over HTTPS. Any
# other client could forge the header, so it is trusted only when the operator says the
# app sits behind such a proxy (docs/security-hardening.md).
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
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

# Content-Security-Policy (django-csp 4, docs/security-hardening.md): scripts and styles
# only from Safecase's own files (no inline <script>, style attribute or event handler
# anywhere in templates/), no plugins, no <base>, never framed, forms posted only here.
# The API docs pages alone allow the inline styles Swagger UI and Redoc write
# (config/api_urls.py); an attachment download sets its own stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The JSON API (shared/API.md, config/api_urls.py). Token first, so that a request without
# credentials is answered 401 with "WWW-Authenticate: Token"; sessions (with CSRF) work too.
# JSON in and out only; errors in the contract's shapes (config/api_errors.py).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casework.api_tokens.ApiTokenAuthentication",
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
    # Every operation may be 400 for a control character in its input (config/hardening.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.hardening.document_refused_input",
    ],
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
# reports (issue 21, docs/reports.md): the month a reporting year starts (4: April to
# March, the financial year most councils publish the Community Trigger figures for,
# §5.6), and the smallest count a published output (CSV, PDF, XLSX) shows exactly:
# counts from 1 to one less read "fewer than N".
SAFECASE_REPORTING_YEAR_START_MONTH = env.int("SAFECASE_REPORTING_YEAR_START_MONTH", default=4)
if not 1 <= SAFECASE_REPORTING_YEAR_START_MONTH <= 12:
    raise ConfigError("SAFECASE_REPORTING_YEAR_START_MONTH must be a month number from 1 to 12")
SAFECASE_SUPPRESS_BELOW = env.int("SAFECASE_SUPPRESS_BELOW", default=5)
if SAFECASE_SUPPRESS_BELOW < 0:
    raise ConfigError("SAFECASE_SUPPRESS_BELOW must be 0 or more (0 or 1: nothing suppressed)")
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

# Sign-in security (issue 17, docs/security-sign-in.md). API tokens stop working after this
# many hours without use, and this many days after they were made however much used.
SAFECASE_API_TOKEN_IDLE_HOURS = env.int("SAFECASE_API_TOKEN_IDLE_HOURS", default=8)
SAFECASE_API_TOKEN_MAX_DAYS = env.int("SAFECASE_API_TOKEN_MAX_DAYS", default=30)
# Two-factor sign-in is required for leads, auditors and administrators; for frontline
# staff only when this is on (otherwise they may set it up for themselves).
SAFECASE_2FA_FRONTLINE = env.bool("SAFECASE_2FA_FRONTLINE", default=False)
OTP_TOTP_ISSUER = SAFECASE_SERVICE_NAME

# Performance indicators (reports/, issue 21): the districts an indicator "by district" is
# reported for, in the committee report's order (local: the partnership's districts).
SAFECASE_DISTRICTS = env.list(
    "SAFECASE_DISTRICTS", default=["Corby", "East Northamptonshire", "Kettering", "Wellingborough"]
)

# The audit log's anchor (issue 17, docs/security.md). Each event's hash is an HMAC keyed
# with SAFECASE_AUDIT_KEY (held outside the database) and names SAFECASE_AUDIT_KEY_ID;
# keys retired by a rotation stay in SAFECASE_AUDIT_RETIRED_KEYS ("id=key,id=key") so
# older events still verify. A signed checkpoint (count and head hash) is written hourly,
# write-once, under SAFECASE_AUDIT_CHECKPOINT_DIR and emailed to the auditors.
if PRODUCTION:
    SAFECASE_AUDIT_KEY = require("SAFECASE_AUDIT_KEY", "production needs the audit log's key")
    if len(SAFECASE_AUDIT_KEY) < 32:
        raise ConfigError("SAFECASE_AUDIT_KEY is too short: use at least 32 random characters")
else:
    SAFECASE_AUDIT_KEY = env.str(
        "SAFECASE_AUDIT_KEY", default="development-only-audit-key-" + "x" * 20
    )
SAFECASE_AUDIT_KEY_ID = env.str("SAFECASE_AUDIT_KEY_ID", default="k1")
SAFECASE_AUDIT_RETIRED_KEYS = env.dict("SAFECASE_AUDIT_RETIRED_KEYS", default={})
if SAFECASE_AUDIT_KEY_ID in SAFECASE_AUDIT_RETIRED_KEYS:
    raise ConfigError("SAFECASE_AUDIT_KEY_ID must not also be a retired key's id")
# Events recorded before keys (plain SHA-256) are accepted at the start of the chain only
# outside production.
SAFECASE_AUDIT_ACCEPT_UNKEYED = env.bool("SAFECASE_AUDIT_ACCEPT_UNKEYED", default=not PRODUCTION)
SAFECASE_AUDIT_CHECKPOINT_DIR = env.str(
    "SAFECASE_AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints")
)
# The owner of the database's tables, for migrate and setup_database_roles only; the
# application itself connects as DATABASE_URL's role (casework/db_roles.py).
DATABASE_OWNER_URL = env.str("DATABASE_OWNER_URL", default="")
