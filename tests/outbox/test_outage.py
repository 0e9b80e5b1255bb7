"""A Redis outage on PostgreSQL: the site keeps serving and recording; once Redis and a worker are back,
every email created meanwhile arrives exactly once.

The site runs under gunicorn with its cache and broker at a port where nothing listens; afterwards a
real Celery worker on the real Redis runs beat's sweep and sends mail to files the test counts.
"""

from __future__ import annotations

import email
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from accounts.roles import PracticeRole
from certificates.models import Certificate
from learning.models import EventType, LearningEvent, ModuleCompletion
from outbox.models import Job, JobStatus
from practices.models import Invitation
from tests.accounts.factories import PASSWORD
from tests.learning.factories import build_module, check_option_ids, sections_of
from tests.practices.factories import make_member

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
DEAD_REDIS = "redis://127.0.0.1:6391/0"  # nothing listens here
SECTION_VIEWS = 200


def _free_port() -> int:
    for port in range(8301, 8400):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 8301-8399")


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(tmp_path: Path, *, redis_url: str, queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.outbox.outage_settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "OUTAGE_TEST_QUEUE": queue,
        "DJANGO_EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONPATH": str(ROOT),
    }


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _emails(folder: Path) -> list[email.message.Message]:
    messages = []
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        for chunk in re.split(r"^-{79}$", path.read_text(), flags=re.MULTILINE):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip() + "\n"))
    return messages


def _csrf(session: requests.Session) -> dict[str, str]:
    return {"X-CSRFToken": session.cookies["csrftoken"]}


def _sign_in(base: str, address: str) -> requests.Session:
    session = requests.Session()
    assert session.get(f"{base}/accounts/login/", timeout=10).status_code == 200
    response = session.post(
        f"{base}/accounts/login/", data={"login": address, "password": PASSWORD}, headers=_csrf(session),
        allow_redirects=False, timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"
    return session


@pytest.fixture
def outage_site(tmp_path):
    """Serve the site under gunicorn with cache and broker both at a dead port."""
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "60"],
        cwd=ROOT, env=_env(tmp_path, redis_url=DEAD_REDIS, queue="unused"), stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{base}/accounts/login/", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            # Not answering yet (a worker still starting on a busy machine), or gone.
            return process.poll() is not None and pytest.fail((tmp_path / "gunicorn.log").read_text())

    try:
        _wait_for(up, timeout=60, what="gunicorn")
        yield base
    finally:
        _stop(process)
        log.close()


def test_the_site_survives_a_redis_outage_and_every_email_arrives_once_afterwards(outage_site, tmp_path):
    base = outage_site
    module = build_module(slug=f"team-{uuid.uuid4().hex[:6]}", sections=[(1, 0), (1, 1), (1, 0)])
    first, second, third = sections_of(module)
    learner = make_member(role=PracticeRole.PRACTICE_NURSE)
    lead = make_member(is_lead=True)

    # A learner signs in and reads: every view answers and is recorded.
    reader = _sign_in(base, learner.user.email)
    started = time.monotonic()
    statuses = [reader.get(f"{base}{first.url}", timeout=10).status_code for _ in range(SECTION_VIEWS)]
    elapsed = time.monotonic() - started
    assert statuses == [200] * SECTION_VIEWS
    assert LearningEvent.objects.filter(
        user=learner.user, section_id=first.pk, event_type=EventType.SECTION_VIEW
    ).count() == SECTION_VIEWS
    # A dead Redis costs a connection attempt now and then, not one per request.
    assert elapsed < SECTION_VIEWS * 0.5

    # Answers and completion are recorded; the certificate is issued and verifiable.
    assert reader.get(f"{base}{second.url}", timeout=10).status_code == 200
    answered = reader.post(
        f"{base}/learning/checks/{second.pk}/{second.body[1].id}/",
        data={"answer": check_option_ids(second, correct=True)}, headers=_csrf(reader), allow_redirects=False, timeout=10,
    )
    assert answered.status_code == 302
    for section in (second, third):
        assert reader.get(f"{base}{section.url}", timeout=10).status_code == 200
    assert ModuleCompletion.objects.filter(user=learner.user, module=module).count() == 1
    certificate = Certificate.objects.get(user=learner.user)
    verify = requests.get(f"{base}/certificates/verify/{certificate.display_code}/", timeout=10)
    assert verify.status_code == 200
    assert certificate.module_title in verify.text

    # A lead invites a colleague and is told it went.
    inviter = _sign_in(base, lead.user.email)
    inviter.get(f"{base}/practice/invite/", timeout=10)
    invited = inviter.post(
        f"{base}/practice/invite/",
        data={"email": "invited@example.org", "first_name": "Ivy", "last_name": "Vited", "role": "gp"},
        headers=_csrf(inviter), timeout=10,
    )
    assert invited.status_code == 200
    assert "Invitation sent to invited@example.org" in invited.text

    # Someone new signs up; allauth's verification email waits in the outbox too.
    newcomer = requests.Session()
    newcomer.get(f"{base}/accounts/signup/", timeout=10)
    signed_up = newcomer.post(
        f"{base}/accounts/signup/",
        data={"email": "newcomer@example.org", "password1": PASSWORD, "password2": PASSWORD,
              "first_name": "New", "last_name": "Comer"},
        headers=_csrf(newcomer), allow_redirects=False, timeout=10,
    )
    assert signed_up.status_code == 302

    mail_dir = tmp_path / "mail"
    assert _emails(mail_dir) == []
    assert sorted(Job.objects.filter(status=JobStatus.PENDING).values_list("task", flat=True)) == [
        "certificates.tasks.prepare_certificate", "outbox.tasks.deliver_email", "practices.tasks.send_invitation_email",
    ]

    # Redis is back and a real worker starts; beat's sweep (sent here rather than waiting a minute) delivers.
    from config.celery import app

    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # this process only sends to the real broker from here on
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    redis_url = os.environ["REDIS_URL"]
    worker_log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(  # noqa: S603 - fixed arguments
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool", "solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env=_env(tmp_path, redis_url=redis_url, queue=queue), stdout=worker_log, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(2):  # a second sweep, and a duplicate delivery of every job, send nothing more
            app.send_task("outbox.tasks.sweep_outbox", queue=queue)
        for job_id in Job.objects.values_list("pk", flat=True):
            app.send_task("outbox.tasks.run_job", args=[job_id], queue=queue)
        _wait_for(
            lambda: not Job.objects.exclude(status=JobStatus.DONE).exists() and len(_emails(mail_dir)) >= 3,
            timeout=90, what=f"the worker to deliver ({(tmp_path / 'worker.log')})",
        )
        app.send_task("outbox.tasks.sweep_outbox", queue=queue)
        time.sleep(3)
    finally:
        app.conf.task_always_eager = was_eager
        _stop(worker)
        worker_log.close()

    delivered = [(m["To"], m["Subject"]) for m in _emails(mail_dir)]
    assert len(delivered) == 3, delivered
    subjects = dict(delivered)
    assert set(subjects) == {"invited@example.org", learner.user.email, "newcomer@example.org"}
    assert subjects[learner.user.email] == f"Your certificate is ready: {module.title}"
    assert lead.practice.name in subjects["invited@example.org"]
    assert "confirm your email" in subjects["newcomer@example.org"].lower()
    assert Invitation.objects.get(email="invited@example.org").sent_at is not None
    certificate.refresh_from_db()
    assert certificate.pdf
    assert set(Job.objects.values_list("status", "attempts")) == {(JobStatus.DONE, 1)}
