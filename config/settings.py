"""Gongmo settings: one module, driven by environment variables.

Fail closed: production unless DEBUG=1 is asked for (`make run`, `make tour` and the tests ask),
so a forgotten variable never brings a development secret key or cookies without Secure.
Development (DEBUG=1): SQLite under var/, Celery tasks run eagerly, the demo's published logins.
Production: SECRET_KEY, DATABASE_URL=postgres://..., CELERY_BROKER_URL=redis://..., and
TRUSTED_PROXIES for the proxy in front (docs/operations.md).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGMO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "django_fsm_log",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "competitions",
    "projects",
    "evaluation",
    "audit",
    # The smart-city schemes (smartcity/): above evaluation, imported by nothing below.
    "smartcity",
    # The REST API (api/): the top floor, imported by nothing.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]
# The state log (django-fsm-log: who, when, from, to and why of every transition) is written by
# an INSERT compiled once per process: every submission of a deadline burst writes an entry.
DJANGO_FSM_LOG_STORAGE_METHOD = "projects.state_log.CompiledBackend"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CSP, Permissions-Policy, no-store for private pages and downloads (not static files).
    "config.security_headers.SecurityHeaders",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body (the NUL guard below; CSRF's check runs in process_view).
    "config.security_headers.LimitRequestBody",
    # request.user.otp_device: the device the second factor was verified with, or None.
    "django_otp.middleware.OTPMiddleware",
    # Staff and auditors (and whoever turned two-factor on) go no further until verified.
    "accounts.two_factor.RequireTwoFactorMiddleware",
    "config.bad_requests.RejectNulCharacters",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The access log: every download served to someone logged in, and who changes roles.
    "audit.access.AccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Refuses log-in POSTs from an address with too many failures across accounts.
    "accounts.throttling.LoginAddressThrottleMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
            # config is no app: its template filters (Korean particles) are named here.
            "libraries": {"korean": "config.templatetags.korean", "a11y": "config.templatetags.a11y"},
        },
    },
]

FORM_RENDERER = "config.krds.KRDSFormRenderer"
# A refused CSRF token is shown as the KRDS 403 page, with what to do (config/errors.py).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gongmo.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A persistent connection the server dropped (restart, failover, terminated backend)
        # is tested before a request reuses it and replaced, so only one request can fail.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked"; with the
    # write-ahead log, readers (a long workbook export) no longer block writers, nor they them.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The statements a submission runs on every request are prepared on each connection
    # (projects.compiled_reads.statement_cursor): PostgreSQL plans them once per connection, not
    # once a request. Django leaves prepared statements off (prepare_threshold None) for the sake
    # of connection poolers: PgBouncer in transaction mode keeps them from version 1.21, with
    # max_prepared_statements above 0; behind an older one set DATABASE_PREPARED_STATEMENTS=0.
    # (Only those statements are prepared: Django's own cursors bind on the client and never are.)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out (e-mail, IP) pair is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "projects:dashboard"
LOGOUT_REDIRECT_URL = "competitions:call_list"

# --- Language and time ----------------------------------------------------------------------
# Korean first: this is a Korean public service; the browser's Accept-Language or the
# language switcher choose English.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static files (KRDS comes from npm into node_modules/, never from a CDN) ----------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
KRDS_DIR = BASE_DIR / "node_modules" / "krds-uiux" / "resources"
STATICFILES_DIRS = [BASE_DIR / "static", ("krds", KRDS_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "config.staticfiles.GongmoStaticFilesStorage"
        )
    },
}
# Uploaded documents live outside any web root and are served only through views that
# check permission.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- Object storage (S3-compatible; several instances share it) -----------------------------
# Unset: files on the local disk (MEDIA_ROOT). Set GONGMO_S3_BUCKET: every stored file (uploads,
# spending evidence, indicator evidence, receipts and letters, built workbooks) goes to that
# bucket through django-storages. The bucket stays private: no public URL is ever handed out,
# and every download still goes through a view that checks the permission and streams the file.
S3_BUCKET = os.environ.get("GONGMO_S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("GONGMO_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("GONGMO_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("GONGMO_S3_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("GONGMO_S3_REGION") or None,
            "location": os.environ.get("GONGMO_S3_PREFIX", ""),
            "default_acl": "private",
            "querystring_auth": True,
            # A name once used is never overwritten: a new upload gets a new name.
            "file_overwrite": False,
        },
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A request never waits long on a broker that is down (its e-mail waits in the outbox): one
# quick retry, bounded socket timeouts. A task unacknowledged by a worker that died is handed
# to another worker after the visibility timeout.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat sweeps the outbox too, so mail queued while the broker was down still goes out. The
# reminder tasks run hourly; each remembers whom it reminded, so nobody gets more than one a day.
OUTBOX_SWEEP_SECONDS = float(os.environ.get("OUTBOX_SWEEP_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "send-outbox": {"task": "projects.tasks.send_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    "remind-due-reports": {"task": "projects.tasks.remind_due_reports", "schedule": 24 * 3600.0},
    "follow-up-reports": {"task": "projects.tasks.follow_up_reports", "schedule": 24 * 3600.0},
    "close-ended-receptions": {"task": "competitions.tasks.close_ended_receptions", "schedule": 60.0},
    "return-overdue-corrections": {"task": "projects.tasks.return_overdue_corrections", "schedule": 60.0},
    "check-unchecked-duplicates": {"task": "projects.tasks.check_unchecked_duplicates", "schedule": 60.0},
    "remind-reviewers": {"task": "evaluation.tasks.remind_reviewers", "schedule": 3600.0},
    # After a change of a whole call the next preview would rank 20,000 sheets afresh (about
    # 0.1 s); a worker does it first, so that staff read the ranking kept.
    "rank-ahead": {"task": "evaluation.tasks.rank_ahead", "schedule": 60.0},
    "sweep-stale-exports": {"task": "audit.tasks.sweep_stale_exports", "schedule": 300.0},
    "sweep-stale-imports": {"task": "competitions.tasks.sweep_stale_imports", "schedule": 300.0},
    "prune-access-log": {"task": "audit.tasks.prune_access_log", "schedule": 24 * 3600.0},
}
# The access log (audit/access.py) keeps entries this many days, then the daily sweep deletes
# them (its only deletion). Two years by default: the personal-information safety standard asks
# for at least one, two for systems holding many people's or sensitive data.
ACCESS_LOG_RETENTION_DAYS = int(os.environ.get("ACCESS_LOG_RETENTION_DAYS", str(2 * 365)))
# An export job whose worker stopped reporting progress for this long, or that waited in the
# queue for this long, is marked failed by the sweeper (its partial file is never served).
EXPORT_STALE_AFTER_SECONDS = int(os.environ.get("EXPORT_STALE_AFTER_SECONDS", str(15 * 60)))
EXPORT_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("EXPORT_QUEUE_TIMEOUT_SECONDS", str(60 * 60)))
# Likewise an import job (competitions.import_jobs) checked or written for this long, or waiting
# for a worker this long; a 20,000-row file took under 8 minutes on a loaded machine.
IMPORT_STALE_AFTER_SECONDS = int(os.environ.get("IMPORT_STALE_AFTER_SECONDS", str(60 * 60)))
IMPORT_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("IMPORT_QUEUE_TIMEOUT_SECONDS", str(60 * 60)))

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where django.core.mail.backends.filebased.EmailBackend writes (one file per connection).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "gongmo@localhost")

# --- Imports and exports --------------------------------------------------------------------
# A failed import writes no rows.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Exports drop a leading "=" (StrictResource quotes the other formula starters too), and
# characters illegal in xlsx (control characters) are replaced instead of failing the export.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
# Without these any staff account may import or export every model with the buttons; with them
# importing needs the model's change permission and exporting its view permission (so auditors
# export what they may read, import nothing, and never see reviewer identities).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Staff imports (competitions/imports.py): bigger files or more rows are refused with a message.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
# A confirmed import above either of these is written by a Celery worker, with a progress page
# (competitions/import_jobs.py); smaller ones in the request.
IMPORT_BACKGROUND_BYTES = int(os.environ.get("IMPORT_BACKGROUND_BYTES", str(1024 * 1024)))
IMPORT_BACKGROUND_ROWS = int(os.environ.get("IMPORT_BACKGROUND_ROWS", "2000"))
# The file between the preview and the confirm step goes through Django's storage API (local
# disk or the object store), so the confirm may reach another instance and a worker can read it.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
# A preview never confirmed expires this many hours after it was made: the sweeper marks a
# background preview "expired" (the job is kept, logged) and deletes its stored upload, and
# deletes a small preview's upload too; confirming it is then refused (competitions.import_jobs).
IMPORT_PREVIEW_TTL_HOURS = int(os.environ.get("IMPORT_PREVIEW_TTL_HOURS", "24"))

# --- Security (production values when DEBUG is off) -----------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy in production; SECURE_SSL_REDIRECT=0 turns the redirect off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
# Lax keeps cross-site POSTs (forged forms) from carrying the session; no script reads the
# CSRF cookie (forms carry the token), so it can be HttpOnly too.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Content-Security-Policy: scripts, styles, fonts and images from this site only (KRDS and the
# admin are served by WhiteNoise), no inline script, no inline style, no plugins, no framing.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
# No page needs the camera, microphone, location, payment or the like.
PERMISSIONS_POLICY = os.environ.get(
    "PERMISSIONS_POLICY",
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), fullscreen=(self), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), usb=(), xr-spatial-tracking=()",
)
# Request bodies (config/security_headers.py): refused from Content-Length alone, before being
# read. Anonymous visitors only send log-in, sign-up and reset forms; logged-in people send at
# most a form with a few 20 MB documents (indicator evidence, call-specific answers). The proxy
# in front should refuse the same sizes (docs/operations.md).
ANONYMOUS_MAX_BODY_BYTES = int(os.environ.get("ANONYMOUS_MAX_BODY_BYTES", str(64 * 1024)))
MAX_REQUEST_BODY_BYTES = int(os.environ.get("MAX_REQUEST_BODY_BYTES", str(100 * 1024 * 1024)))
# A working day, not Django's two weeks: shared office computers.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))

# --- Two-factor log-in (accounts/two_factor.py, django-otp) --------------------------------
# The issuer shown in authenticator apps, beside the e-mail address.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Gongmo")
# Codes one step (30 s) either side of the server's clock are accepted, and a code is never
# accepted twice; the window stays centred on the server's clock (no drift learnt from a code).
OTP_TOTP_SYNC = False
# The demo accounts' published passwords (and staff's known TOTP secret) are set by seed_demo
# only when debug was asked for at start (the test runner turns settings.DEBUG off later).
DEMO_LOGINS_ALLOWED = DEBUG

# --- Client address (throttles, consent records) --------------------------------------------
# REMOTE_ADDR is the client unless the request comes from one of these proxies (addresses or
# networks, comma-separated); only then is X-Forwarded-For read, from the right, skipping the
# trusted proxies. Nothing set: X-Forwarded-For is never believed (accounts/client_address.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# --- Caches and throttling (README "Login throttling") --------------------------------------
# DESIGN.md §6: rate-limit counters live in Redis when one is configured (shared by every
# gunicorn worker); the embedded default keeps them in process memory.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gongmo"}
    )
}
# Log-in failures: per (e-mail, IP) pair, so a guesser cannot lock other people out and one
# person's typos do not block a shared office address. Without Redis they are counted in the
# database, which every worker shares and which survives a restart.
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler" if CACHE_URL else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form's field, and the key axes gives the e-mail under in its own calls.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"
# Failed log-ins from one address across all accounts (a guesser spreading tries over many
# e-mail addresses stays under the per-pair limit): this many in LOGIN_ADDRESS_WINDOW_MINUTES
# block further log-ins from that address until the window ends (accounts/throttling.py).
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
LOGIN_ADDRESS_WINDOW_MINUTES = int(os.environ.get("LOGIN_ADDRESS_WINDOW_MINUTES", "15"))
# django-ratelimit's key="ip" is the same client address.
RATELIMIT_IP_META_KEY = "accounts.client_address.client_address"
# Sign-up POSTs per IP address (django-ratelimit, counted in the default cache: Django's
# RedisCache increments atomically; process memory only suits the single-process default).
SIGNUP_RATE = os.environ.get("SIGNUP_RATE", "10/h")
# Password reset POSTs, counted per IP address and per e-mail address asked for.
PASSWORD_RESET_RATE = os.environ.get("PASSWORD_RESET_RATE", "5/h")
# A reset link is valid for this long (Django's setting, in seconds): one hour.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", "3600"))

# --- The REST API (api/, docs/api.md) ------------------------------------------------------
# Personal access tokens only (no session: a script never carries a browser's cookies, and no
# CSRF hole opens); throttled per token's user and, for the public calls, per address.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.PersonalAccessTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.Authenticated", "api.permissions.TokenScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "60/min"),
        "user": os.environ.get("API_USER_RATE", "600/min"),
    },
    "EXCEPTION_HANDLER": "api.handlers.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gongmo API",
    "DESCRIPTION": "Calls, applications, eligibility, assignments, selection and ledgers (docs/api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from the drf-spectacular-sidecar package: served here, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CallStateEnum": "competitions.models.call.CallState",
        "ApplicationStateEnum": "projects.models.application.ApplicationState",
        "ProjectStateEnum": "projects.models.award.ProjectState",
        "ExpenditureStateEnum": "projects.models.award.Expenditure.State",
        "AssignmentStateEnum": "evaluation.models.review.Assignment.State",
        "OrganisationKindEnum": "projects.models.organisation.OrganisationKind",
        "DocumentKindEnum": "competitions.models.document_kind.DocumentKind",
        "DisbursementKindEnum": "projects.models.award.DisbursementEntry.Kind",
        "CorrectionItemKindEnum": "projects.models.correction.CorrectionItemKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
