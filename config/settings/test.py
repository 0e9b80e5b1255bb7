"""Test settings: the dev defaults with fast hashing and in-memory email."""

from __future__ import annotations

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
RESEARCH_PSEUDONYM_KEY = "test-pseudonym-key"  # noqa: S105
WAGTAILADMIN_BASE_URL = "http://testserver"
