"""Test settings: the dev defaults with fast hashing and in-memory email."""

from __future__ import annotations

import os

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
RESEARCH_PSEUDONYM_KEY = "test-pseudonym-key"  # noqa: S105
WAGTAILADMIN_BASE_URL = "http://testserver"

# Parallel test processes (pytest-xdist) may share one Redis: each gets its own cache keys, so one
# process clearing the cache between tests leaves the other's rate-limit counters alone.
CACHES["default"]["KEY_PREFIX"] = CACHES["default"].get("KEY_PREFIX", "pl") + os.environ.get("PYTEST_XDIST_WORKER", "")  # noqa: F405
