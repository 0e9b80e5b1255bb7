"""Settings for the site and worker processes the outage test starts: test settings, real broker mode."""

from __future__ import annotations

import os

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("OUTAGE_TEST_QUEUE", "celery")
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["DJANGO_EMAIL_FILE_PATH"]
MEDIA_ROOT = os.environ["DJANGO_MEDIA_ROOT"]
