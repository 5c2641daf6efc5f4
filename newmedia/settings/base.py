"""Settings for every environment; production differs only by environment variables.

Each variable carries the name of the Django setting it sets. See
https://docs.djangoproject.com/en/5.2/ref/settings/ for what each one means.
"""

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

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
    "registry",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

# ------------------------------------------------------------------------------
# Authentication
# https://docs.djangoproject.com/en/5.2/ref/settings/#auth
# ------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "approvals:dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newmedia@localhost")

# ------------------------------------------------------------------------------
# Celery: without a broker, tasks run in-process
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

# ------------------------------------------------------------------------------
# Third-party apps
# ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_FSM_LOG_STORAGE_METHOD = "django_fsm_log.backends.SimpleBackend"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# ------------------------------------------------------------------------------
# This project
# ------------------------------------------------------------------------------
# The school whose campaign this installation runs; it heads pages and forms.
NEWMEDIA_SCHOOL_NAME = env_str("NEWMEDIA_SCHOOL_NAME", "江西财经职业学院")
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
# Rows per page in the account list and the reviewer queue.
NEWMEDIA_PAGE_SIZE = env_int("NEWMEDIA_PAGE_SIZE", 50, minimum=1)

# The site's title, translated for the admin header.
NEWMEDIA_SITE_TITLE = _("New-media registry")
