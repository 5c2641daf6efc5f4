"""Settings for every environment; production differs only by environment variables.

Each variable carries the name of the Django setting it sets. See
https://docs.djangoproject.com/en/5.2/ref/settings/ for what each one means.
"""

import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
import ldap
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # the embedded default's database, mail and uploads

# ------------------------------------------------------------------------------
# Core
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
# ------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set (or DEBUG=1 for a local demo).")
    SECRET_KEY = "insecure-local-demo-key-never-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

ROOT_URLCONF = "newmedia.urls"
WSGI_APPLICATION = "newmedia.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_fsm",
    "django_fsm_log",
    "import_export",
    "audit.axes_names.AxesConfig",  # django-axes, its admin in Chinese
    "django_cas_ng",  # CAS sign-in: its session tickets serve single logout
    "csp",
    "audit",
    "registry",
    "cleanup",
    "approvals",
    "robots",
    "api",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: no CDN
    "newmedia",  # project-wide management commands (backup, restore)
]

MIDDLEWARE = [
    "newmedia.requests.RequestIdMiddleware",  # first: every later log line carries the id
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newmedia.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "newmedia.middleware.PrivatePagesMiddleware",
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "newmedia.sessions.SessionLifetimeMiddleware",  # after messages: it says why you left
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lockout into its 429 page
]

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
                "registry.context_processors.user_roles",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Database: SQLite by default, PostgreSQL (or any dj-database-url URL) from DATABASE_URL
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# ------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Seconds to wait for a database server that does not answer (the driver waits for the
    # operating system otherwise, minutes), so /readyz and pages fail fast instead of hanging.
    # DATABASE_URL's query string may set it (?connect_timeout=10).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web process and the worker write to one file. WAL lets readers run beside a writer;
    # IMMEDIATE takes the write lock at BEGIN, so a transaction that reads before it writes waits
    # out the busy timeout instead of failing with "database is locked" when another writer
    # committed in between (a deferred transaction cannot upgrade its stale read snapshot).
    # synchronous=NORMAL is durable across application crashes in WAL mode, and much faster.
    # Options given in DATABASE_URL's query string win.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "timeout": 20,  # seconds a writer waits for the lock before giving up
        **DATABASES["default"].get("OPTIONS", {}),
    }

# ------------------------------------------------------------------------------
# Authentication
# https://docs.djangoproject.com/en/5.2/ref/settings/#auth
# ------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "approvals:dashboard"
LOGOUT_REDIRECT_URL = "login"
# axes first: it refuses a locked-out username and address before any password is checked.
# The CAS backend answers only a CAS ticket, so it is inert while CAS_SERVER_URL is unset.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "newmedia.signin.StaffCASBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's, with the message its zh-hans catalogue translates (see newmedia/passwords.py).
    {"NAME": "newmedia.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in through the school's CAS (django-cas-ng, https://djangocas.dev/docs/latest/
# configuration.html), off while CAS_SERVER_URL is unset. The CAS user's staff number (the user
# name, or the attribute CAS_USERNAME_ATTRIBUTE names) is both the staff roster's 工号 and the
# account's user name; the name and department attributes name a refused person in the trail.
CAS_SERVER_URL = env_str("CAS_SERVER_URL", "")
CAS_VERSION = env_str("CAS_VERSION", "3")
if CAS_VERSION not in {"2", "3"}:
    raise ImproperlyConfigured(f"CAS_VERSION={CAS_VERSION!r} must be 2 or 3.")
CAS_USERNAME_ATTRIBUTE = env_str("CAS_USERNAME_ATTRIBUTE", "cas:user")
NEWMEDIA_CAS_NAME_ATTRIBUTE = env_str("NEWMEDIA_CAS_NAME_ATTRIBUTE", "cn")
NEWMEDIA_CAS_DEPARTMENT_ATTRIBUTE = env_str("NEWMEDIA_CAS_DEPARTMENT_ATTRIBUTE", "department")
# Someone in the roster (in post) with no account yet gets one at their first CAS sign-in, with
# no role: an administrator still grants it. Off: only existing accounts sign in.
CAS_CREATE_USER = env_bool("CAS_CREATE_USER", False)
CAS_REDIRECT_URL = LOGIN_REDIRECT_URL
CAS_IGNORE_REFERER = True
CAS_LOGIN_MSG = CAS_LOGGED_MSG = None  # the dashboard says who is signed in
# The password form for everyone, or only for administrators (is_staff) when off.
NEWMEDIA_LOCAL_LOGIN_FOR_ALL = env_bool("NEWMEDIA_LOCAL_LOGIN_FOR_ALL", True)

# The password form checked against the school's LDAP directory (django-auth-ldap,
# https://django-auth-ldap.readthedocs.io/en/latest/reference.html), off while
# AUTH_LDAP_SERVER_URI is unset. The directory's user name is the account's; local passwords
# (administrators) are tried first, so they work while the directory is down.
AUTH_LDAP_SERVER_URI = env_str("AUTH_LDAP_SERVER_URI", "")
if AUTH_LDAP_SERVER_URI:
    AUTHENTICATION_BACKENDS.insert(2, "newmedia.signin.RoleLDAPBackend")
AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN", "")
AUTH_LDAP_BIND_PASSWORD = env_str("AUTH_LDAP_BIND_PASSWORD", "")
AUTH_LDAP_USER_SEARCH = LDAPSearch(
    env_str("NEWMEDIA_LDAP_USER_BASE", ""),
    ldap.SCOPE_SUBTREE,
    env_str("NEWMEDIA_LDAP_USER_FILTER", "(uid=%(user)s)"),
)
AUTH_LDAP_USER_ATTR_MAP = {"first_name": env_str("NEWMEDIA_LDAP_NAME_ATTRIBUTE", "cn")}
AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
    env_str("NEWMEDIA_LDAP_GROUP_BASE", ""), ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
)
AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
# An account is made for someone the directory knows only when this is off.
AUTH_LDAP_NO_NEW_USERS = env_bool("AUTH_LDAP_NO_NEW_USERS", True)
# Seconds to wait for a directory that does not answer.
NEWMEDIA_LDAP_TIMEOUT = env_int("NEWMEDIA_LDAP_TIMEOUT", 5, minimum=1)
AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: NEWMEDIA_LDAP_TIMEOUT}
# The directory's groups (their DNs) that carry the campaign's roles (registry/roles.py): at
# each LDAP login the account gains the role of each group it is in and loses the others'. A role
# whose variable is unset is left to the administrators.
NEWMEDIA_LDAP_REVIEWER_GROUP = env_str("NEWMEDIA_LDAP_REVIEWER_GROUP", "")
NEWMEDIA_LDAP_FILER_GROUP = env_str("NEWMEDIA_LDAP_FILER_GROUP", "")
NEWMEDIA_LDAP_HEAD_GROUP = env_str("NEWMEDIA_LDAP_HEAD_GROUP", "")
NEWMEDIA_LDAP_LEADER_GROUP = env_str("NEWMEDIA_LDAP_LEADER_GROUP", "")

# Failed logins (django-axes, https://django-axes.readthedocs.io/en/latest/4_configuration.html):
# a username is locked from one client address after AXES_FAILURE_LIMIT failures in a row, for
# NEWMEDIA_LOGIN_COOLOFF_MINUTES; the same username from elsewhere still logs in, so nobody can
# lock a colleague out from their own desk. Reviewers unlock early on the lockouts page.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NEWMEDIA_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout neither count nor extend it, so the page can say when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "audit.client.client_ip"  # the same address as the audit trail's
AXES_LOCKOUT_CALLABLE = "audit.lockouts.lockout_response"
AXES_WHITELIST_CALLABLE = "newmedia.signin.axes_exempt"  # CAS tickets are not passwords
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit trail, with its retention
AXES_VERBOSE = False  # no banner on every start and no log line per login: the audit has them

# ------------------------------------------------------------------------------
# Sessions: a new key at login (Django's login() cycles it), gone from the server at logout
# https://docs.djangoproject.com/en/5.2/ref/settings/#sessions
# ------------------------------------------------------------------------------
# The absolute lifetime of a login, in seconds: newmedia.sessions enforces it from the login time
# (the cookie's age alone would slide with every save).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60, minimum=60)
# Seconds without a request after which a login ends (checked to the minute).
NEWMEDIA_SESSION_IDLE_TIMEOUT = env_int("NEWMEDIA_SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
# Office computers are shared: closing the browser ends the login too.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True

# ------------------------------------------------------------------------------
# Language and time: Simplified Chinese first, source strings in English
# https://docs.djangoproject.com/en/5.2/ref/settings/#language-code
# ------------------------------------------------------------------------------
# Every user sees this language whatever their browser asks for (no LocaleMiddleware): the
# campaign's forms and messages are official Chinese text. LANGUAGE_CODE=en shows the sources.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# Our zh_Hans date input formats (newmedia/formats/zh_Hans/formats.py).
FORMAT_MODULE_PATH = ["newmedia.formats"]
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static files and uploads
# https://docs.djangoproject.com/en/5.2/ref/settings/#static-files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
# Where collectstatic gathers files for production; the demo serves them from the apps instead.
STATIC_ROOT = env_str("STATIC_ROOT", "") or None
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the apps: no collectstatic for the demo
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: downloads go through permission-checked views
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# ------------------------------------------------------------------------------
# Email: written to files by default
# https://docs.djangoproject.com/en/5.2/ref/settings/#email-backend
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a mail server that stopped answering counts as a failed send (Django waits
# forever by default, holding the worker).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newmedia@localhost")

# ------------------------------------------------------------------------------
# The REST API (api/, docs/integrations.md): per-user tokens made in the admin, JSON only
# https://www.django-rest-framework.org/api-guide/settings/
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the API page, when logged in
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.settings_objects.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    # Requests per user (or per address without a token), counted in each web process.
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("NEWMEDIA_API_RATE", "120/minute"),
        "anon": env_str("NEWMEDIA_API_ANON_RATE", "30/minute"),
    },
    "EXCEPTION_HANDLER": "api.settings_objects.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "新媒体登记系统 API",
    "DESCRIPTION": "账号、登记备案步骤、专项行动、登记表报送和清理检查结果。"
    "在请求头中携带 Authorization: Token <令牌>（令牌由管理员在管理后台创建）。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Each operation shows its own request and answer; the page does not list them again.
    "SWAGGER_UI_SETTINGS": {"defaultModelsExpandDepth": -1},
    "ENUM_NAME_OVERRIDES": {
        "FilingStateEnum": "approvals.models.filing.FilingState",
        "ReturnStateEnum": "approvals.models.campaign.ReturnState",
        "DispositionEnum": "registry.models.Disposition",
    },
}

# ------------------------------------------------------------------------------
# Celery: without a broker, tasks run in-process
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL", "")
# In-process tasks need no broker; "memory://" keeps Celery from looking for one on localhost.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when done, and put back if its worker dies: every task is idempotent
# through the database. Redis redelivers an unacknowledged task after the visibility timeout, so
# no task waits (ETA, countdown, retry back-off) longer than it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=10),
    "socket_connect_timeout": 2,  # a broker that is down answers quickly: pages do not hang
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False  # the outbox flush retries what could not be queued
# Seconds a refused email waits before its first retry; each retry waits up to twice as long
# (with jitter), at most 30 minutes, so a waiting retry stays well inside the visibility timeout.
NEWMEDIA_MAIL_RETRY_BACKOFF = env_int("NEWMEDIA_MAIL_RETRY_BACKOFF", 30, minimum=1)
# A request hands its tasks to the broker after the commit, waiting at most this long
# (milliseconds); after a failure the process stops publishing for NEWMEDIA_PUBLISH_PAUSE_SECONDS
# and leaves the work to the outbox flush (newmedia/publishing.py).
NEWMEDIA_PUBLISH_TIMEOUT_MS = env_int("NEWMEDIA_PUBLISH_TIMEOUT_MS", 500, minimum=10)
NEWMEDIA_PUBLISH_PAUSE_SECONDS = env_int("NEWMEDIA_PUBLISH_PAUSE_SECONDS", 30, minimum=1)
# An email queued (or being sent) this long ago and still unsent is queued again by the flush and
# the sweep; a claim to send it this old is taken as its worker's death.
NEWMEDIA_OUTBOX_REQUEUE_SECONDS = env_int("NEWMEDIA_OUTBOX_REQUEUE_SECONDS", 900, minimum=60)
# Group robots (robots/): at most this many messages a minute per robot (both platforms allow
# 20), each post waiting at most NEWMEDIA_ROBOT_TIMEOUT seconds. A webhook must be the platform's
# own https address; NEWMEDIA_ROBOT_EXTRA_ORIGINS (comma-separated, like http://127.0.0.1:8765)
# admits others: the tests' local server, or a relay of one's own.
NEWMEDIA_ROBOT_PER_MINUTE = env_int("NEWMEDIA_ROBOT_PER_MINUTE", 20, minimum=1)
NEWMEDIA_ROBOT_TIMEOUT = env_int("NEWMEDIA_ROBOT_TIMEOUT", 5, minimum=1)
NEWMEDIA_ROBOT_EXTRA_ORIGINS = env_list("NEWMEDIA_ROBOT_EXTRA_ORIGINS", [])
# The reminder sweep's first run of the day (Asia/Shanghai), editable without a code change;
# beat repeats it hourly until 17:00.
NEWMEDIA_REMINDER_TIME = env_str("NEWMEDIA_REMINDER_TIME", "09:00")
# A step waiting longer than this many working days reminds its assignees once a day; longer
# than the second, the signing leaders get the day's digest of them (approvals/services/
# escalations.py).
NEWMEDIA_ESCALATE_AFTER_DAYS = env_int("NEWMEDIA_ESCALATE_AFTER_DAYS", 3, minimum=1)
NEWMEDIA_ESCALATE_TO_LEADERS_AFTER_DAYS = env_int(
    "NEWMEDIA_ESCALATE_TO_LEADERS_AFTER_DAYS", 5, minimum=1
)
# The facts of a registered account that a department changes without review (变更备案 asks a
# reviewer for the others): field names of registry.Account, comma-separated.
NEWMEDIA_CHANGE_IMMEDIATE_FIELDS = env_list(
    "NEWMEDIA_CHANGE_IMMEDIATE_FIELDS", ["member_count", "last_active_on"]
)
try:
    _hour, _minute = (int(part) for part in NEWMEDIA_REMINDER_TIME.split(":"))
    # Every hour of the working day from then on: the sweep is idempotent, so a run lost with
    # its worker or its message is redone within the hour, and the others find nothing owed.
    _reminder_at = crontab(hour=f"{_hour}-{max(_hour, 17)}", minute=_minute)
except ValueError:
    raise ImproperlyConfigured(
        f"NEWMEDIA_REMINDER_TIME={NEWMEDIA_REMINDER_TIME!r} is not a time of day like 09:00."
    ) from None
CELERY_BEAT_SCHEDULE = {
    "reminders-hourly-in-the-working-day": {
        "task": "approvals.tasks.sweep_reminders",
        "schedule": _reminder_at,
    },
    "escalations-working-days": {
        "task": "approvals.tasks.escalate_waiting",
        "schedule": crontab(hour=_hour, minute=_minute, day_of_week="mon-fri"),
    },
    "outbox-every-ten-minutes": {
        "task": "approvals.tasks.flush_outbox",
        "schedule": crontab(minute="*/10"),
    },
    "audit-purge-daily": {
        "task": "audit.tasks.purge_audit_trail",
        "schedule": crontab(hour=3, minute=15),
    },
    "imports-purge-every-ten-minutes": {
        "task": "registry.tasks.purge_pending_imports",
        "schedule": crontab(minute="*/10"),
    },
    "sessions-clear-daily": {
        "task": "newmedia.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
    "tallies-compact-every-minute": {
        "task": "newmedia.tasks.compact_tallies",
        "schedule": crontab(),
    },
    "findings-nightly": {
        "task": "cleanup.tasks.evaluate_findings",
        "schedule": crontab(hour=2, minute=30),
    },
}

# ------------------------------------------------------------------------------
# Third-party apps
# ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_FSM_LOG_STORAGE_METHOD = "django_fsm_log.backends.SimpleBackend"
# The library's own escaping drops a leading "=" from the data: the admin exports through
# registry.formats instead, which writes formula-like text whole, as text.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Import and export are permissions of their own (registry's import_<model> / export_<model>):
# by default the library lets everyone who may add or view a model import or export it.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# The admin keeps an upload awaiting confirmation under MEDIA_ROOT/imports/, purged after
# NEWMEDIA_IMPORT_PENDING_SECONDS like the site's own (registry.tasks).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "registry.uploads.PendingUploadStorage"

# One format for every line: when, how bad, which logger, which user and request (the id the
# error page shows and gunicorn's access log prints), then the message.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "newmedia.requests.RequestContextFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s user=%(user_id)s "
            "request=%(request_id)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Tasks run in the web process on the embedded default: one line per task would drown it.
    "loggers": {"celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"}},
}

# ------------------------------------------------------------------------------
# This project
# ------------------------------------------------------------------------------
# The school whose campaign this installation runs; it heads pages and forms.
NEWMEDIA_SCHOOL_NAME = env_str("NEWMEDIA_SCHOOL_NAME", "江西财经职业学院")
# Its short names: an imported account whose name holds the name or one of these is taken to be
# built in the school's name (以学校名义) unless the file says otherwise.
NEWMEDIA_SCHOOL_SHORT_NAMES = env_list("NEWMEDIA_SCHOOL_SHORT_NAMES", ["江财职院", "江西财经职院"])
# R1: names matching any of these regular expressions are flagged and cannot be approved.
NEWMEDIA_FORBIDDEN_NAME_PATTERNS = env_list("NEWMEDIA_FORBIDDEN_NAME_PATTERNS", ["财政厅"])
for _pattern in NEWMEDIA_FORBIDDEN_NAME_PATTERNS:
    try:
        re.compile(_pattern)
    except re.error as exc:
        raise ImproperlyConfigured(
            f"NEWMEDIA_FORBIDDEN_NAME_PATTERNS: {_pattern!r} is not a regular expression ({exc})."
        ) from None
# Largest closure evidence (a screenshot) accepted, in bytes.
NEWMEDIA_EVIDENCE_MAX_BYTES = env_int("NEWMEDIA_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
# Largest scan of a stamped registration form accepted, in bytes.
NEWMEDIA_SCAN_MAX_BYTES = env_int("NEWMEDIA_SCAN_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# Largest request body accepted, uploads included (413 above it); keep the reverse proxy's
# client_max_body_size the same.
NEWMEDIA_MAX_REQUEST_BYTES = env_int("NEWMEDIA_MAX_REQUEST_BYTES", 16 * 1024 * 1024, minimum=1)
if NEWMEDIA_MAX_REQUEST_BYTES <= max(NEWMEDIA_EVIDENCE_MAX_BYTES, NEWMEDIA_SCAN_MAX_BYTES):
    raise ImproperlyConfigured(
        "NEWMEDIA_MAX_REQUEST_BYTES must be larger than NEWMEDIA_EVIDENCE_MAX_BYTES and "
        "NEWMEDIA_SCAN_MAX_BYTES, or no file of the largest accepted size could be uploaded."
    )
# Spreadsheet imports (the registration form, the staff roster): the largest file, the most data
# rows, and the most bytes a zip-based workbook may unpack to (a zip bomb stops there); an upload
# awaiting confirmation is deleted after NEWMEDIA_IMPORT_PENDING_SECONDS.
NEWMEDIA_IMPORT_MAX_BYTES = env_int("NEWMEDIA_IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
NEWMEDIA_IMPORT_MAX_ROWS = env_int("NEWMEDIA_IMPORT_MAX_ROWS", 20_000, minimum=1)
NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES = env_int(
    "NEWMEDIA_IMPORT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024, minimum=1
)
NEWMEDIA_IMPORT_PENDING_SECONDS = env_int("NEWMEDIA_IMPORT_PENDING_SECONDS", 3600, minimum=60)
if NEWMEDIA_MAX_REQUEST_BYTES <= NEWMEDIA_IMPORT_MAX_BYTES:
    raise ImproperlyConfigured(
        "NEWMEDIA_MAX_REQUEST_BYTES must be larger than NEWMEDIA_IMPORT_MAX_BYTES, or no "
        "spreadsheet of the largest accepted size could be uploaded."
    )
# The site's address, for links in emails and notifications. Unset, links use the address the
# site is being served on (the demo's: newmedia/requests.py), which a worker of its own cannot
# know: `check --deploy` warns.
NEWMEDIA_SITE_URL = env_str("NEWMEDIA_SITE_URL", "")
# Reminders on Saturdays and Sundays; when off, a weekend milestone goes out on the Friday.
NEWMEDIA_REMIND_ON_WEEKENDS = env_bool("NEWMEDIA_REMIND_ON_WEEKENDS", False)
# Reverse proxies in front of the site that append to X-Forwarded-For (0: none, trust the
# socket). Decides the client address of audit rows and of login lockouts.
NEWMEDIA_TRUSTED_PROXY_COUNT = env_int("NEWMEDIA_TRUSTED_PROXY_COUNT", 0)
# Days the audit trail is kept before the daily purge; never less than 180 (等保2.0).
NEWMEDIA_AUDIT_RETENTION_DAYS = env_int("NEWMEDIA_AUDIT_RETENTION_DAYS", 180, minimum=180)
# Seconds a bulk action (the review queue) may spend before it leaves the remaining rows
# unattempted and lists them: keep it well below gunicorn's --timeout.
NEWMEDIA_BULK_SECONDS = env_int("NEWMEDIA_BULK_SECONDS", 20, minimum=1)
# Rows per page in the account list and the reviewer queue.
NEWMEDIA_PAGE_SIZE = env_int("NEWMEDIA_PAGE_SIZE", 50, minimum=1)
# Up to this many departments, the lists' department filter is a plain drop-down; a user who
# sees more gets a search box that looks departments up as they type (approvals.filters).
NEWMEDIA_DEPARTMENT_SELECT_MAX = env_int("NEWMEDIA_DEPARTMENT_SELECT_MAX", 50, minimum=0)
# The clean-up checks' thresholds (cleanup.rules); their sources are in docs/cleanup.md.
# R3: a public account with no post for this many days fails the national inspection.
NEWMEDIA_CLEANUP_PUBLIC_INACTIVE_DAYS = env_int(
    "NEWMEDIA_CLEANUP_PUBLIC_INACTIVE_DAYS", 14, minimum=1
)
# R3: a group silent this long is a zombie group; unused this long, it is dissolved.
NEWMEDIA_CLEANUP_ZOMBIE_DAYS = env_int("NEWMEDIA_CLEANUP_ZOMBIE_DAYS", 90, minimum=1)
NEWMEDIA_CLEANUP_UNUSED_DAYS = env_int("NEWMEDIA_CLEANUP_UNUSED_DAYS", 365, minimum=1)
if NEWMEDIA_CLEANUP_UNUSED_DAYS <= NEWMEDIA_CLEANUP_ZOMBIE_DAYS:
    raise ImproperlyConfigured(
        "NEWMEDIA_CLEANUP_UNUSED_DAYS must be larger than NEWMEDIA_CLEANUP_ZOMBIE_DAYS."
    )
# R4: official work groups (in the department's own name) a department may keep.
NEWMEDIA_CLEANUP_WORK_GROUP_CAP = env_int("NEWMEDIA_CLEANUP_WORK_GROUP_CAP", 2, minimum=1)
# R5: a work group whose name matches one of these regular expressions, or whose current roster
# is more than this percentage non-staff, looks like a chat group.
NEWMEDIA_CLEANUP_CHAT_NAME_PATTERNS = env_list(
    "NEWMEDIA_CLEANUP_CHAT_NAME_PATTERNS", ["聊天", "闲聊", "吹水", "灌水", "交友", "老乡"]
)
for _pattern in NEWMEDIA_CLEANUP_CHAT_NAME_PATTERNS:
    try:
        re.compile(_pattern)
    except re.error as exc:
        raise ImproperlyConfigured(
            f"NEWMEDIA_CLEANUP_CHAT_NAME_PATTERNS: {_pattern!r} is not a regular expression "
            f"({exc})."
        ) from None
NEWMEDIA_CLEANUP_CHAT_NON_STAFF_PERCENT = env_int(
    "NEWMEDIA_CLEANUP_CHAT_NON_STAFF_PERCENT", 50, minimum=0
)
# Member rosters: the largest file and the most members accepted in one upload.
NEWMEDIA_ROSTER_MAX_BYTES = env_int("NEWMEDIA_ROSTER_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
NEWMEDIA_ROSTER_MAX_MEMBERS = env_int("NEWMEDIA_ROSTER_MAX_MEMBERS", 10_000, minimum=1)

# The site's title, translated for the admin header.
NEWMEDIA_SITE_TITLE = _("New-media registry")

# ------------------------------------------------------------------------------
# HTTPS and security headers: off for the local demo over http, on with NEWMEDIA_HTTPS=1;
# each can still be set on its own under its Django name. `manage.py check --deploy` checks them.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
# ------------------------------------------------------------------------------
NEWMEDIA_HTTPS = env_bool("NEWMEDIA_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", NEWMEDIA_HTTPS)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", NEWMEDIA_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", NEWMEDIA_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60 if NEWMEDIA_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", NEWMEDIA_HTTPS)
# The preload list takes only registrable domains, so on a school's sub-domain this is inert.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", NEWMEDIA_HTTPS)
# The scheme the proxy saw. A proxy trusted for the client address (NEWMEDIA_TRUSTED_PROXY_COUNT)
# is trusted for this header too; it must overwrite it (docs/operations.md has the nginx lines).
if env_bool("SECURE_PROXY_SSL_HEADER", NEWMEDIA_TRUSTED_PROXY_COUNT > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env_str("SECURE_REFERRER_POLICY", "same-origin")
X_FRAME_OPTIONS = "DENY"

# Content security policy (django-csp 4, https://django-csp.readthedocs.io/en/latest/): the pages
# load only this site's scripts, styles and images and run no inline script. Bootstrap's CSS
# draws some icons from data: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
