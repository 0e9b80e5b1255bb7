"""Settings shared by every environment; environment-specific modules import and adjust these."""

from __future__ import annotations

import os
from pathlib import Path

from celery.schedules import crontab

from .env import database_from_env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DJANGO_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
# seed_demo refuses to run unless a settings module turns this on (dev and test do).
DEMO_DATA_ALLOWED = False
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Our apps first so their templates override the libraries'.
    "content",
    "accounts",
    "practices",
    "modules",
    "learning",
    "certificates",
    "research",
    "outbox",
    # Infrastructure: template tags for the page skeleton's forms (core/templatetags).
    "core",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "wagtailnhsukfrontend",
    # allauth
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # API
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Content-Security-Policy (its system checks; the middleware is ours, core/csp.py)
    "csp",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
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
                "content.context_processors.site_navigation",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(str(BASE_DIR / "db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's database sessions, read through SQL compiled once per process (core/sessions.py).
SESSION_ENGINE = "core.sessions"
# Django's and allauth's backends, reading the session's user from SQL compiled once (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "static_collected"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Redis serves as cache and Celery broker. They can live apart: DJANGO_CACHE_URL and
# CELERY_BROKER_URL each default to REDIS_URL. Neither being down may fail a request.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_URL = os.environ.get("DJANGO_CACHE_URL", REDIS_URL)
if CACHE_URL:
    # Shared by all processes, so rate limits hold across workers. While Redis is unreachable each
    # process serves from its own memory (core.cache) and tries Redis again every RETRY_AFTER seconds;
    # the short socket timeouts and no client retries keep a dead Redis from adding seconds per request.
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "pl"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "RETRY_AFTER": 10,
                "CONNECTION_POOL_KWARGS": {"retry": None},
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: JSON only, bounded broker waits. Every job and email that follows a change is recorded
# in the outbox (outbox.services.enqueue_after_commit) and handed to the broker after commit with
# one short connection attempt; beat's outbox sweep delivers whatever the broker missed.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2, "socket_timeout": 3, "max_retries": 1, "interval_start": 0, "interval_step": 0.2,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
# Two beat processes (e.g. one per host) must not both schedule: the second waits on a PostgreSQL
# advisory lock and takes over when the first stops (core/beat.py).
CELERY_BEAT_SCHEDULER = "core.beat.SingleBeatScheduler"
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["publish-scheduled"] = {"task": "modules.tasks.publish_scheduled_pages", "schedule": 60}
# Uptake rollups (learning.rollups): readers take anything newer from the raw events, so a
# missed or slow run changes no figure, only how much is read raw.
CELERY_BEAT_SCHEDULE["fill-uptake-rollups"] = {"task": "learning.tasks.fill_uptake_rollups", "schedule": 60}
# Delivers outbox jobs and emails whose hand-over to the broker failed, and retries failed ones.
CELERY_BEAT_SCHEDULE["outbox-sweep"] = {"task": "outbox.tasks.sweep_outbox", "schedule": 60}
# The month that has just ended, to researchers (per-arm summary) and implementation-practice leads
# (their practice's month), at 06:00 UK time on the first; idempotent per month and recipient.
CELERY_BEAT_SCHEDULE["monthly-reports"] = {
    "task": "research.tasks.send_monthly_reports",
    "schedule": crontab(minute=0, hour=6, day_of_month=1),
}

# Wagtail's own background tasks (reference index, search index) run in-process, so they work
# without a worker in every environment.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Wagtail
WAGTAIL_SITE_NAME = "Practice asthma learning"
WAGTAILADMIN_BASE_URL = os.environ.get("DJANGO_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_LOGIN_URL = "account_login"
# Private pages ("signed-in users only") send visitors to the same sign-in as everyone else.
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "txt", "csv"]
# Documents are module resources, private to content staff at /documents/ and served to learners by
# the gated view (modules/resources.py): never hand out a direct storage URL.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Nothing is fetched from other hosts: no Gravatar images for admin avatars, no release check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# Content-Security-Policy, sent in every environment so the browser tests run under it
# (tests/browser.py fails a test on any violation). The site loads only its own files: no inline
# scripts, no style attributes, no fonts or frames from elsewhere (video blocks link out).
# data: images are the authenticator QR code on the two-factor set-up page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The Wagtail admin (core.csp sends this under /admin/) needs more, and only there: Wagtail 7.4
# writes inline <script> elements into its listing and editing pages (and inline panels, choosers,
# date widgets), its bundled editor code (vendor.js) inserts <script> and <style> elements and style
# attributes as it runs, it shows image previews from data: and blob: URLs while uploading, and it
# frames the page preview inside the editor. Under the site's policy all of these are refused (seen
# with tests/config/test_admin_csp_browser.py). It still loads nothing from another host, runs no
# eval, and is reached only by staff signed in with a second factor.
WAGTAIL_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "frame-ancestors": ["'self'"],
    }
}

# allauth: email is the login, verified before use; one login path for site and admin.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The names come from accounts; practices adds the join code and holds the practice until verification.
ACCOUNT_SIGNUP_FORM_CLASS = "practices.forms.SignupForm"
ACCOUNT_FORMS = {"login": "accounts.allauth_forms.LoginForm", "signup": "accounts.allauth_forms.SignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# One address per person: changing it replaces the old one once the new one is verified.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Practice asthma learning] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Imported staff set their first password through a reset link; sign them straight in after.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_SESSION_REMEMBER = None
# Behind a reverse proxy: how many proxies we run in front of the site (0 = none, the default).
# With N > 0 the client address is the Nth entry from the right of X-Forwarded-For; with 0 the
# header is ignored (anyone can send one) and REMOTE_ADDR is used. Every rate limit, allauth's and
# ours (core/ratelimit.py), keys on this one rule.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", default=0, minimum=0)
# Read by allauth and by core.ratelimit, the one rate-limit helper. Rates are checked in the
# order written and counting stops at the first exhausted, so a key (account) limit written
# first stops counting that account's attempts against the shared address.
ACCOUNT_RATE_LIMITS = {
    # Failed sign-ins: 5 per account per 5 minutes before anything per address, and a much
    # higher figure per address, because a whole practice often shares one NHS network address
    # and one person's typos (or one guessed account) must not lock their colleagues out.
    "login_failed": "5/5m/key,100/5m/ip",
    "login": "100/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
    # Guessing practice join codes (practices.views.join_with_code).
    "join_practice": "10/h/user,30/h/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Practice asthma learning"

DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "learning@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The transport a worker uses to send outbox emails (console by default; production uses SMTP).
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("DJANGO_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# The research API (research/api/): its views set their own authentication (hashed research
# tokens), permission (researchers and admins) and per-token throttle; these defaults are the
# strict fallback for any other DRF view.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["research.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["research.api.permissions.IsResearcher"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Practice asthma learning research API",
    "DESCRIPTION": (
        "Read-only uptake figures, the practice registry (without names), data cuts and pseudonymised events "
        "for the trial team. Send a research API token as 'Authorization: Bearer <token>'; see docs/research.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The Wagtail admin has DRF views of its own; they are not part of our published API.
    "PREPROCESSING_HOOKS": ["config.api_schema.only_public_api"],
    # Swagger UI from drf-spectacular-sidecar's static files: nothing is loaded from another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No token kept in the browser's storage; no schema sent to Swagger's public validator (which
    # Swagger UI otherwise calls for any site not on localhost).
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "tryItOutEnabled": False, "validatorUrl": None},
    # One name per set of choices, whichever field uses it.
    "ENUM_NAME_OVERRIDES": {
        "ArmEnum": "practices.models.Arm",
        "NationEnum": "practices.models.Nation",
        "ModuleKindEnum": "modules.models.ModuleKind",
        "RoleEnum": "accounts.roles.PracticeRole",
        "EventTypeEnum": "learning.models.EventType",
        "CutStatusEnum": "research.models.CutStatus",
    },
}
# Requests per research API token (DRF's rate format).
RESEARCH_API_THROTTLE_RATE = os.environ.get("RESEARCH_API_THROTTLE_RATE", "1200/hour")

# Research: the key for pseudonymous participant IDs (keyed HMAC). Empty outside production
# means exports refuse to run rather than use a guessable key.
RESEARCH_PSEUDONYM_KEY = os.environ.get("RESEARCH_PSEUDONYM_KEY", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Certificate codes, invitation tokens and allauth keys in logged URLs become "[redacted]"
    # (core/log_redaction.py): on every handler, and first thing on the loggers that log URLs.
    "filters": {"redact_secrets": {"()": "core.log_redaction.RedactSecretsFilter"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["redact_secrets"]},
        "django.security.csrf": {"filters": ["redact_secrets"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False, "filters": ["redact_secrets"]},
        "django.db.backends": {"level": "INFO"},
        # One line per background task run is noise; failures are still logged as errors.
        "django_tasks": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every PDF at INFO; keep their warnings only.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
