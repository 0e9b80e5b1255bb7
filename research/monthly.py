"""Monthly reports: the trial team's per-arm summary, and each implementation practice's month for its lead.

On the first of each month beat runs `research.tasks.send_monthly_reports`, which reports the month
that has just ended; `manage.py send_monthly_reports --month YYYY-MM` does the same for any past
month. Each report to each recipient is recorded once (research.MonthlyReport, unique per month,
kind, recipient and practice) in the same transaction as its email's outbox job, so running it again
sends nothing twice and a crash half-way sends the rest on the next run.

The figures come from the selectors every other surface reads: the per-arm summary is
`uptake_report()` for the month, the practice's month is `practice_staff_progress()`, so an email
can never disagree with the dashboards or the command.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.roles import ADMIN, RESEARCHER
from learning.selectors.learner import ModuleStatus
from learning.selectors.practice import practice_staff_progress
from learning.selectors.uptake import UptakeReport, uptake_report
from outbox.services import enqueue_email
from practices.models import Arm, Membership, Practice

from .models import MonthlyReport, MonthlyReportKind


def parse_month(text: str) -> date:
    """Return the first day of the month written as YYYY-MM, or raise ValueError saying why."""
    value = (text or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}", value) and 1 <= int(value[5:]) <= 12:
        return date(int(value[:4]), int(value[5:]), 1)
    raise ValueError(f"Give the month as YYYY-MM (for example 2026-11), not {value!r}.")


def previous_month(today: date) -> date:
    """Return the first day of the month before the one `today` is in."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(month: date) -> date:
    """Return the first day of the month after `month` (the report's exclusive end)."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1]) + timedelta(days=1)


def check_month_reportable(month: date, *, today: date) -> None:
    """Refuse a month that has not ended yet: its figures would change after the report was sent."""
    if month_end(month) > today:
        raise ValueError(
            f"{month:%B %Y} has not ended yet: monthly reports cover whole months, so the latest is "
            f"{previous_month(today):%Y-%m}."
        )


def _site_url(name: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(name)


@dataclass(frozen=True)
class StaffLine:
    """One person in a practice's month: who, their role, and what the line reports."""

    name: str
    role: str
    detail: str


@dataclass(frozen=True)
class PracticeMonth:
    """A practice's month for its lead: who completed a module, who is in progress, who joined."""

    practice: Practice
    month: date
    completed: tuple[StaffLine, ...]
    in_progress: tuple[StaffLine, ...]
    joined: tuple[StaffLine, ...]
    staff: int


def practice_month(practice: Practice, month: date) -> PracticeMonth:
    """Return the practice's month: completions in it, staff in progress at its end, members who joined in it."""
    end = month_end(month)
    last_day = end - timedelta(days=1)
    start_at = datetime.combine(month, time.min, tzinfo=UTC)
    end_at = datetime.combine(end, time.min, tzinfo=UTC)
    progress = practice_staff_progress(practice, on=last_day)
    completed, in_progress = [], []
    for row in progress.rows:
        role = row.membership.get_role_display()
        for cell in row.cells:
            if cell.completed_at is not None and start_at <= cell.completed_at < end_at:
                completed.append(StaffLine(row.name, role, f"{cell.module.title}, {cell.completed_at:%-d %B}"))
            elif cell.status == ModuleStatus.IN_PROGRESS:
                in_progress.append(StaffLine(row.name, role, f"{cell.module.title}, {cell.engagement_whole}%"))
    joined = [
        StaffLine(m.user.get_full_name() or m.user.email, m.get_role_display(), f"joined {m.started_on:%-d %B}")
        for m in Membership.objects.filter(practice=practice, started_on__gte=month, started_on__lt=end)
        .select_related("user")
        .order_by("started_on", "user__last_name", "user__first_name", "pk")
    ]
    return PracticeMonth(
        practice=practice, month=month, completed=tuple(completed), in_progress=tuple(in_progress),
        joined=tuple(joined), staff=len(progress.rows),
    )


def researcher_recipients():
    """Return the active researchers and admins, who receive the per-arm summary."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model().objects.filter(is_active=True, groups__name__in=[RESEARCHER, ADMIN])
        .distinct().order_by("pk")
    )


def lead_recipients(month: date) -> list[Membership]:
    """Return the lead memberships current at the month's end in implementation-arm practices still in the trial.

    Control-arm practices get no feedback (it is part of the intervention), nor do practices
    withdrawn by the month's end.
    """
    last_day = month_end(month) - timedelta(days=1)
    return list(
        Membership.objects.active(last_day)
        .filter(is_lead=True, user__is_active=True, practice__arm=Arm.IMPLEMENTATION)
        .exclude(practice__withdrawn_on__lte=last_day)
        .select_related("user", "practice")
        .order_by("practice__trial_id", "practice__pk", "user__pk")
    )


def _summary_rows(report: UptakeReport) -> list[dict]:
    """Return the per-arm summary as rows for the email: arm, module and the module's figures."""
    titles = {module.slug: module.title for module in report.modules}
    rows = []
    for arm in report.arms:
        for slug, figures in arm.modules.items():
            rows.append({
                "arm": dict(Arm.choices).get(arm.arm, arm.arm), "practices": arm.practices,
                "module": titles.get(slug, slug), "figures": figures,
            })
    return rows


def _email(*, to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"{template}.txt", context), to=[to],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


@dataclass(frozen=True)
class SendResult:
    """What one run did: reports queued now, reports already sent earlier, for the month."""

    month: date
    queued: tuple[str, ...]
    already_sent: tuple[str, ...]


def _record_once(*, month: date, kind: str, recipient, practice: Practice | None, message) -> bool:
    """Record the report and queue its email in one transaction; False if it was recorded before."""
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                month=month, kind=kind, recipient=recipient, practice=practice,
                practice_key=practice.pk if practice else 0,
            )
            report.job = enqueue_email(message=message)
            report.save(update_fields=["job"])
    except IntegrityError:
        return False
    return True


def send_monthly_reports(*, month: date, dry_run: bool = False, today: date | None = None) -> SendResult:
    """Queue the month's reports to every researcher and implementation-practice lead not yet sent them."""
    today = today or timezone.localdate()
    check_month_reportable(month, today=today)
    sent_before = set(
        MonthlyReport.objects.filter(month=month).values_list("kind", "recipient_id", "practice_key")
    )
    queued, already = [], []
    label = f"{month:%B %Y}"

    summary = None
    for user in researcher_recipients():
        line = f"per-arm summary to user {user.pk}"
        if (MonthlyReportKind.RESEARCHER, user.pk, 0) in sent_before:
            already.append(line)
            continue
        if summary is None:
            report = uptake_report(start=month, end=month_end(month))
            summary = {"report": report, "rows": _summary_rows(report), "month": month, "label": label,
                       "dashboard_url": _site_url("research_uptake:index")}
        if dry_run:
            queued.append(line)
            continue
        message = _email(to=user.email, subject=f"Asthma modules uptake, {label}: summary by arm",
                         template="research/email/monthly_summary", context=summary | {"recipient": user})
        (queued if _record_once(month=month, kind=MonthlyReportKind.RESEARCHER, recipient=user, practice=None,
                                message=message) else already).append(line)

    for membership in lead_recipients(month):
        practice = membership.practice
        line = f"practice month to user {membership.user_id} for practice {practice.trial_id or practice.ods_code}"
        if (MonthlyReportKind.PRACTICE_LEAD, membership.user_id, practice.pk) in sent_before:
            already.append(line)
            continue
        if dry_run:
            queued.append(line)
            continue
        context = {"month": practice_month(practice, month), "label": label, "recipient": membership.user,
                   "dashboard_url": _site_url("learning:practice_dashboard")}
        message = _email(to=membership.user.email, subject=f"Your practice's asthma learning, {label}",
                         template="research/email/monthly_practice", context=context)
        (queued if _record_once(month=month, kind=MonthlyReportKind.PRACTICE_LEAD, recipient=membership.user,
                                practice=practice, message=message) else already).append(line)
    return SendResult(month=month, queued=tuple(queued), already_sent=tuple(already))
