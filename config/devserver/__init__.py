"""The development server of the embedded default: runserver that also runs Celery beat's schedule.

Installed by the dev settings only (config/settings/dev.py). Production runs a Celery beat process
(`celery -A config beat`); the embedded default has no broker and no beat, so without this nothing
would publish scheduled pages or sweep the outbox under `make run`.
"""
