"""Settings behaviour: the embedded SQLite default, DATABASE_URL, and production's refusals."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler

from config.settings.env import database_from_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = ROOT / "deploy" / "production.env.example"


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (the env-file format of systemd and docker), skipping comments."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def production_env(**overrides: str) -> dict[str, str]:
    """Return the example environment with its public placeholders replaced by fresh secrets."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(ROOT))}
    for key, value in read_env_file(EXAMPLE_ENV).items():
        env[key] = secrets.token_urlsafe(48) if value.startswith("replace-me") else value
    env["DATABASE_URL"] = env["DATABASE_URL"].replace("replace-me", "pw")
    env.update(overrides)
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py with fixed arguments)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )


def test_sqlite_default_uses_wal_a_busy_timeout_and_no_request_transactions(tmp_path, monkeypatch, django_db_blocker):
    # A file database (the test database itself may be in memory, where WAL does not apply).
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = database_from_env(str(tmp_path / "db.sqlite3"))
    handler = ConnectionHandler({"default": config})
    connection = handler["default"]
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
        assert connection.settings_dict["ATOMIC_REQUESTS"] is False
        assert connection.transaction_mode == "IMMEDIATE"
    finally:
        connection.close()


def test_sqlite_connections_stay_open_between_requests(tmp_path, monkeypatch, django_db_blocker):
    # Closing the last connection to a WAL database checkpoints it: per request, that was most of a
    # tracked view's cost under gunicorn.
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = database_from_env(str(tmp_path / "db.sqlite3"))
    assert config["CONN_MAX_AGE"] == 600
    handler = ConnectionHandler({"default": config})
    connection = handler["default"]
    try:
        with django_db_blocker.unblock():
            connection.ensure_connection()
            opened = connection.connection
            connection.close_if_unusable_or_obsolete()  # what request_finished runs
            assert connection.connection is opened
    finally:
        connection.close()


def test_a_sqlite_database_url_gets_the_same_options(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite3'}")
    config = database_from_env("unused")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] == 20
    assert config["CONN_MAX_AGE"] == 600


def test_postgres_keeps_connections_with_health_checks(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/learning")
    config = database_from_env("unused")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["CONN_MAX_AGE"] == 600
    assert config["CONN_HEALTH_CHECKS"] is True
    assert not config.get("ATOMIC_REQUESTS")


def test_the_test_run_database_has_no_request_transactions():
    assert settings.DATABASES["default"].get("ATOMIC_REQUESTS", False) is False


def test_check_deploy_passes_with_the_documented_example_environment():
    result = run_manage(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "short-secret"}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "DJANGO_SECRET_KEY must be set"),
        ({"DJANGO_SECRET_KEY": read_env_file(EXAMPLE_ENV)["DJANGO_SECRET_KEY"]}, "DJANGO_SECRET_KEY must be set"),
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": ""}, "REDIS_URL must be set"),
        ({"RESEARCH_PSEUDONYM_KEY": "too-short"}, "RESEARCH_PSEUDONYM_KEY must be set"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS must list"),
    ],
)
def test_production_refuses_to_start_with_missing_or_weak_settings(overrides, message):
    result = run_manage(production_env(**overrides), "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_never_installs_demo_data():
    result = run_manage(production_env(), "seed_demo")
    assert result.returncode != 0
    assert "Unknown command: 'seed_demo'" in result.stderr
    installed = run_manage(
        production_env(), "shell", "--no-imports", "-c", "from django.apps import apps; print(apps.is_installed('demo'))"
    )
    assert installed.stdout.strip() == "False", installed.stderr


def test_wagtail_background_tasks_run_in_process_in_every_environment():
    # Wagtail's own tasks (reference and search index) must not wait for a worker that may not exist.
    result = run_manage(
        production_env(), "shell", "-c", "from django.conf import settings; print(settings.TASKS['default']['BACKEND'])"
    )
    assert result.stdout.strip().endswith("django_tasks.backends.immediate.ImmediateBackend"), result.stderr
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks.backends.immediate.ImmediateBackend"
