"""Bench-only settings: the production stack's shape on a throwaway database, plus two bench hooks.

Never used by the site or the tests. Adds a bare view (bench.urls), a plain Wagtail page type served by
Wagtail's own serve view (bench.models, the reference), and a request header,
X-Bench-Untracked, that makes the section page skip learning.services.record_access so the
same page can be measured tracked and untracked side by side (bench.middleware).
"""

from __future__ import annotations

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import INSTALLED_APPS, MIDDLEWARE

DEBUG = False
SECRET_KEY = "bench-only-" + "x" * 60  # noqa: S105  (throwaway database, loopback only)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
# The reference page type (bench.models.PlainPage) lives in the bench app, never in the product.
INSTALLED_APPS = [*INSTALLED_APPS, "bench", "demo"]
DEMO_DATA_ALLOWED = True
RESEARCH_PSEUDONYM_KEY = "bench-only-pseudonym-key-0123456789abcdef"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files are not part of the measurement; WhiteNoise would only warn about a missing STATIC_ROOT.
MIDDLEWARE = ["bench.middleware.UntrackedSwitchMiddleware"] + [
    m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"
]
# The cache may be Redis (REDIS_URL, as in production); tasks never go to a broker in the bench.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
