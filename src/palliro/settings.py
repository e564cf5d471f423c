"""Palliro settings: every value comes from an environment variable with a safe default.

PALLIRO_MODE selects the mode: ``production`` (the default: strict checks), ``development`` or ``demo``.
Unsafe production settings are refused by the system checks in ``palliro.accounts.checks``.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PALLIRO_MODE = os.environ.get("PALLIRO_MODE", "production").strip().lower()
RELAXED_MODE = PALLIRO_MODE in {"demo", "development"}

DATA_DIR = Path(os.environ.get("PALLIRO_DATA_DIR", Path.cwd() / "var")).resolve()

# The insecure fallback key exists so that management commands can start; the system checks refuse
# it outside demo and development mode.
INSECURE_SECRET_KEY = "palliro-insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_SECRET_KEY

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if RELAXED_MODE else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_NAME = os.environ.get("SITE_NAME", "Palliro")
SITE_ROOT = os.environ.get("SITE_ROOT", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "palliro.accounts",
    "palliro.clinic",
    "palliro.instruments",
    "palliro.followup",
    "palliro.triage",
    "palliro.calculators",
    "palliro.research",
    "palliro.evidence",
    "palliro.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "palliro.urls"
WSGI_APPLICATION = "palliro.wsgi.application"

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
                "django.template.context_processors.i18n",
                "palliro.accounts.context_processors.palliro",
            ],
        },
    }
]


def database_config() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
        if config["ENGINE"] == "django.db.backends.postgresql":
            options = config.setdefault("OPTIONS", {})
            config["CONN_HEALTH_CHECKS"] = True
            # Parameters bound in the server, and a statement run this many times on one connection prepared
            # once: the server then skips parsing and planning it (the link lookup's join alone took 0.6 ms to
            # plan; bench/README.md). 0 turns preparing off, as a transaction-mode pooler may need.
            threshold = env_int("PALLIRO_PG_PREPARE_THRESHOLD", 2, minimum=0)
            if threshold:
                options.update(server_side_binding=True, prepare_threshold=threshold)
        return config
    # The default database lives in the data directory, which must exist before Django connects.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "palliro.sqlite3",
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing with
            # "database is locked" half-way through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
        "TEST": {"NAME": os.environ.get("PALLIRO_TEST_SQLITE_NAME") or None},
    }


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ALLOW_SQLITE_IN_PRODUCTION = env_bool("PALLIRO_ALLOW_SQLITE_IN_PRODUCTION", False)
# Unauthenticated write endpoints for bench/bench_submit.py (followup/bench_views.py); refused in production.
BENCH_ENDPOINTS = env_bool("PALLIRO_BENCH", False)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Two-factor authentication is required for staff outside demo and development mode.
REQUIRE_TWO_FACTOR = env_bool("PALLIRO_REQUIRE_2FA", not RELAXED_MODE)
OTP_TOTP_ISSUER = SITE_NAME

# django-axes: lock a username coming from one address after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("PALLIRO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("PALLIRO_LOGIN_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = int(os.environ.get("PALLIRO_SESSION_SECONDS", str(8 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "palliro.followup.patient_views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not RELAXED_MODE and not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("PALLIRO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("PALLIRO_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = int(os.environ.get("PALLIRO_HSTS_SECONDS", "0"))
    if env_bool("PALLIRO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Django 6.1 mail configuration. The demo and development modes print e-mail to the console.
EMAIL_BACKEND_NAME = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if RELAXED_MODE else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_NAME}}
if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
elif EMAIL_BACKEND_NAME.endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {"file_path": str(DATA_DIR / "mail")}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "palliro@localhost")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("PALLIRO_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Follow-up messaging: the SMS sender is pluggable; the logging sender writes links to the log (demo only).
#: Research reports read columnar copies kept current by a change journal (palliro.research.store); off: every
#: report queries the database directly (same results, slower on large departments).
PALLIRO_ANALYSIS_STORE = env_bool("PALLIRO_ANALYSIS_STORE", True)
PALLIRO_SMS_SENDER = os.environ.get("PALLIRO_SMS_SENDER", "palliro.followup.notifications.LoggingSmsSender")
PALLIRO_REMINDER_DAYS = tuple(int(day) for day in env_list("PALLIRO_REMINDER_DAYS", "2,5"))
# Daytime in each site's time zone, as "from-until" whole hours: the worker sends invitations and reminders only
# from the first hour up to (not including) the second; at night they wait for the morning (followup/tasks.py).
PALLIRO_SEND_WINDOW = tuple(int(hour) for hour in os.environ.get("PALLIRO_SEND_WINDOW", "8-21").split("-"))
# Minutes a draft holding a "call your care team now" answer may stay unchanged and unsent before the worker
# alerts the team (triage/unsent.py); at most a day (checked when the worker starts).
PALLIRO_UNSENT_RED_FLAG_MINUTES = env_int("PALLIRO_UNSENT_RED_FLAG_MINUTES", 15, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
