"""Production: everything from the environment; refuses to start on a missing or weak secret."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, REDIS_URL, SECRET_KEY
from .env import env_bool

DEBUG = False
DEMO_DATA_ALLOWED = False

_WEAK_SECRETS = {"", "changeme", "secret", "django-insecure"}
if (
    len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.lower() in _WEAK_SECRETS
    or SECRET_KEY.startswith("django-insecure")
    # The placeholder in deploy/production.env.example is public.
    or "replace-me" in SECRET_KEY.lower()
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random string of at least 50 characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
if not os.environ.get("DATABASE_URL") or "postgres" not in DATABASES["default"]["ENGINE"]:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production (Celery broker and cache).")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the host names the site answers to.")
if not os.environ.get("DJANGO_BASE_URL", "").startswith("https://"):
    raise ImproperlyConfigured("DJANGO_BASE_URL must be the site's public https:// address (used in emailed links).")
RESEARCH_PSEUDONYM_KEY = os.environ.get("RESEARCH_PSEUDONYM_KEY", "")
if len(RESEARCH_PSEUDONYM_KEY) < 32 or "replace-me" in RESEARCH_PSEUDONYM_KEY.lower():
    raise ImproperlyConfigured("RESEARCH_PSEUDONYM_KEY must be set to at least 32 random characters.")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's hashed, gzip and brotli storage; see core/staticfiles.py for the one tolerance.
    "staticfiles": {"BACKEND": "core.staticfiles.StaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# Wagtail's preview marks its own responses SAMEORIGIN, so everything else can refuse framing.
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
CELERY_TASK_ALWAYS_EAGER = False
