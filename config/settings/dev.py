"""Local development: the embedded default (SQLite, tasks in-process, email to the console)."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS

DEBUG = True
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-only-insecure-key-never-used-in-production"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
# Demonstration data (seed_demo) lives in its own app, installed here and in the test settings
# (which build on these) only: production never loads its code, commands or published passwords.
# config.devserver comes first so its runserver (the server plus Celery beat's schedule in-process,
# when there is no broker) replaces staticfiles' own.
INSTALLED_APPS = ["config.devserver", *INSTALLED_APPS, "demo"]
DEMO_DATA_ALLOWED = True
RESEARCH_PSEUDONYM_KEY = os.environ.get("RESEARCH_PSEUDONYM_KEY") or "dev-only-pseudonym-key"
STATICFILES_DIRS = [BASE_DIR / "static"]

# The embedded beat (config.devserver) would log each task it sends and runs, every minute; errors still show.
from .base import LOGGING  # noqa: E402

LOGGING["loggers"]["celery.beat"] = {"level": "WARNING"}
LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}

# runserver and the test live server serve static files themselves; WhiteNoise is for production.
from .base import MIDDLEWARE  # noqa: E402

MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]
