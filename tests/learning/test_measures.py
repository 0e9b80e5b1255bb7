"""The measure rules in learning/measures.py, and every page showing the same figure from them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from learning import measures, services
from learning.models import EventType, LearningEvent, ModuleCompletion

from .factories import build_module, learner, sections_of

TODAY = "2026-03-02 10:00:00+00:00"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (Decimal("0"), 0),
        (0, 0),  # a progress row created in this request still holds the field's int default
        (Decimal("33.33"), 33),
        (Decimal("79.55"), 79),
        (Decimal("79.99"), 79),
        (Decimal("80.00"), 80),
        (Decimal("99.99"), 99),
        (Decimal("100.00"), 100),
    ],
)
def test_engagement_is_shown_in_whole_percent_rounded_down(stored, shown):
    assert measures.shown_percent(stored) == shown


@pytest.mark.parametrize("threshold", [1, 50, 80, 99, 100])
def test_a_shown_percent_reaches_the_threshold_only_when_the_engagement_does(threshold):
    rule = measures.CompletionRule(threshold=threshold)
    for hundredths in range(0, 10001):
        engagement = Decimal(hundredths) / 100
        reached = rule.is_met(engagement=engagement, check_ids=(), correct_check_ids=())
        assert (measures.shown_percent(engagement) >= threshold) == reached


def test_the_visit_rule_starts_a_new_visit_at_thirty_minutes_not_before():
    start = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert measures.starts_new_visit(None, start)
    assert not measures.starts_new_visit(start, start + timedelta(minutes=29, seconds=59))
    assert measures.starts_new_visit(start, start + timedelta(minutes=30))
    assert str(measures.VISIT_GAP_MINUTES) in measures.VISIT_RULE


def test_only_module_and_section_views_are_page_views():
    assert set(measures.VIEW_EVENT_TYPES) == {EventType.MODULE_VIEW, EventType.SECTION_VIEW}
    assert set(measures.VIEW_EVENT_TYPES) <= set(EventType.values)


def test_the_window_ends_at_utc_midnight_weeks_after_randomisation():
    end = measures.window_ends_at(date(2026, 1, 5), weeks=12)
    assert end == datetime(2026, 3, 30, tzinfo=UTC)
    assert measures.within_window(end, end - timedelta(microseconds=1)) is True
    assert measures.within_window(end, end) is False
    assert measures.within_window(end, None) is False
    assert measures.within_window(None, end) is None
    assert measures.window_ends_at(None, weeks=12) is None


@pytest.mark.parametrize(
    ("threshold", "pass_mark", "wording"),
    [
        (80, None, "work through at least 80% of the module"),
        (100, 70, "work through at least 100% of the module and answer at least 70% of its knowledge checks correctly"),
    ],
)
def test_the_completion_rule_says_what_it_asks(threshold, pass_mark, wording):
    assert measures.CompletionRule(threshold=threshold, pass_mark=pass_mark).requirement == wording


def _figure(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found, f"{pattern!r} not on the page"
    return found.group(1)


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_a_learner_just_below_the_threshold_sees_the_same_figure_below_it_on_every_page(client):
    # Weights 35 and 9: viewing the first section undertakes 35/44 = 79.545...%, stored as 79.55%.
    module = build_module(slug="team", sections=[(35, 0), (9, 0)], threshold=80)
    member = learner(is_lead=True)
    services.record_access(membership=member, module=module, section=sections_of(module)[0])
    assert not ModuleCompletion.objects.exists()
    client.force_login(member.user)

    module_page = client.get(module.url).content.decode()
    completion_page = client.get(reverse("learning:module_completion", kwargs={"slug": module.slug})).content.decode()
    index_page = client.get("/modules/").content.decode()
    record_page = client.get(reverse("learning:record")).content.decode()
    dashboard = client.get(reverse("learning:practice_dashboard")).content.decode()

    shown = {
        "module page": _figure(r"\((\d+)% of the module\)", module_page),
        "completion page": _figure(r"You have worked through (\d+)% of", completion_page),
        "module list": _figure(r"In progress (\d+)%", index_page),
        "record status": _figure(r"In progress (\d+)%", record_page),
        "record engagement": _figure(r">([\d.]+)% of the module<", record_page),
        "practice dashboard": _figure(r"In progress (\d+)%", dashboard),
    }
    assert shown == dict.fromkeys(shown, "79")
    assert "To complete it, work through at least 80% of the module." in completion_page
    assert "Work through at least 80% of the module<" in module_page


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_a_completer_sees_their_engagement_at_completion_in_whole_percent(client):
    # Weights 2 and 1 with a 60% threshold: the first section alone completes at 66.67%.
    module = build_module(slug="team", sections=[(2, 0), (1, 0)], threshold=60)
    member = learner()
    services.record_access(membership=member, module=module, section=sections_of(module)[0])
    completion = ModuleCompletion.objects.get()
    assert completion.engagement_percent == Decimal("66.67")
    client.force_login(member.user)

    page = client.get(reverse("learning:module_completion", kwargs={"slug": module.slug})).content.decode()

    assert _figure(r"Your engagement</dt>\s*<dd[^>]*>([\d.]+)%", page) == "66"
    # The record keeps the exact stored value for the trial; the event's detail is not a display.
    event = LearningEvent.objects.get(event_type=EventType.COMPLETION)
    assert event.detail["engagement_percent"] == "66.67"
