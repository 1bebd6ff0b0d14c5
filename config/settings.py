"""Gongmo settings: one module, driven by environment variables.

Embedded default (nothing set): DEBUG on, SQLite under var/, Celery tasks run eagerly.
Production: DEBUG=0, SECRET_KEY, DATABASE_URL=postgres://..., CELERY_BROKER_URL=redis://...
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


DEBUG = env_bool("DEBUG", True)

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
    "accounts",
    "competitions",
    "projects",
    "evaluation",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.bad_requests.RejectNulCharacters",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    "remind-reviewers": {"task": "evaluation.tasks.remind_reviewers", "schedule": 3600.0},
    "sweep-stale-exports": {"task": "audit.tasks.sweep_stale_exports", "schedule": 300.0},
}
# An export job whose worker stopped reporting progress for this long, or that waited in the
# queue for this long, is marked failed by the sweeper (its partial file is never served).
EXPORT_STALE_AFTER_SECONDS = int(os.environ.get("EXPORT_STALE_AFTER_SECONDS", str(15 * 60)))
EXPORT_QUEUE_TIMEOUT_SECONDS = int(os.environ.get("EXPORT_QUEUE_TIMEOUT_SECONDS", str(60 * 60)))

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
# A working day, not Django's two weeks: shared office computers.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))

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
# Sign-up POSTs per IP address (django-ratelimit, counted in the default cache: Django's
# RedisCache increments atomically; process memory only suits the single-process default).
SIGNUP_RATE = os.environ.get("SIGNUP_RATE", "10/h")
# Password reset POSTs, counted per IP address and per e-mail address asked for.
PASSWORD_RESET_RATE = os.environ.get("PASSWORD_RESET_RATE", "5/h")
# A reset link is valid for this long (Django's setting, in seconds): one hour.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", "3600"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
