"""The demo learning activity: realistic, recorded through the services, and seeded once."""

from __future__ import annotations

import io

import pytest

from demo.learning import seed_demo_learning
from learning.models import EventType, LearningEvent, ModuleCompletion, ProtocolDeviation
from practices.models import Arm, Practice

pytestmark = pytest.mark.django_db


def test_nothing_is_seeded_without_the_demo_modules():
    out = io.StringIO()
    seed_demo_learning(out)
    assert "not published" in out.getvalue()
    assert LearningEvent.objects.count() == 0


def test_the_demo_activity_is_realistic_and_seeded_once():
    from demo.accounts import seed_demo_accounts
    from demo.modules import seed_demo_modules

    seed_demo_accounts()
    seed_demo_modules()
    seed_demo_learning()

    team = {c.user.email for c in ModuleCompletion.objects.filter(module__slug="team")}
    in_depth = {c.user.email for c in ModuleCompletion.objects.filter(module__slug="in-depth")}
    assert {"learner@example.org", "lead@example.org", "sian.pryce@example.org"} <= team
    assert in_depth == {"amara.okafor@example.org", "sian.pryce@example.org", "ruth.adeyemi@example.org"}
    # Part-way learners have events but no completion.
    assert LearningEvent.objects.filter(user__email="jo.bennett@example.org").exists()
    assert "jo.bennett@example.org" not in team
    assert LearningEvent.objects.filter(event_type=EventType.KNOWLEDGE_CHECK, detail__is_correct=False).exists()
    assert LearningEvent.objects.filter(event_type=EventType.RESOURCE_DOWNLOAD).exists()
    withdrawn = Practice.objects.get(withdrawn_on__isnull=False)
    assert LearningEvent.objects.filter(practice=withdrawn).exists()
    assert not LearningEvent.objects.filter(practice=withdrawn, occurred_at__date__gte=withdrawn.withdrawn_on).exists()
    assert not LearningEvent.objects.filter(practice__arm=Arm.CONTROL).exists()
    assert ProtocolDeviation.objects.filter(practice__arm=Arm.CONTROL).count() == 1

    counts = (LearningEvent.objects.count(), ModuleCompletion.objects.count(), ProtocolDeviation.objects.count())
    out = io.StringIO()
    seed_demo_learning(out)
    assert "left unchanged" in out.getvalue()
    assert (LearningEvent.objects.count(), ModuleCompletion.objects.count(), ProtocolDeviation.objects.count()) == counts
