"""The trial's measures as the services record them: visits, engagement, threshold, completion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from learning import services
from learning.access import Outcome, learner_eligibility
from learning.models import (
    EventType,
    KnowledgeCheckAttempt,
    LearningEvent,
    ModuleCompletion,
    ModuleProgress,
    ProtocolDeviation,
    SectionProgress,
)
from learning.selectors.learner import learner_module_state
from learning.signals import completion_recorded
from modules.services import record_module_version
from practices.models import Arm

from .factories import build_module, learner, practice, sections_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_views_less_than_30_minutes_apart_are_one_visit():
    module = build_module()
    member = learner()
    first, second, third, fourth = sections_of(module)[:4]
    assert services.record_access(membership=member, module=module, at=T0).event.visit_number == 1
    assert services.record_access(membership=member, module=module, section=first, at=T0 + timedelta(minutes=29)).event.visit_number == 1
    # 29m59s after the previous view: still the same visit, even though 58 minutes after the first.
    assert services.record_access(
        membership=member, module=module, section=second, at=T0 + timedelta(minutes=58, seconds=59)
    ).event.visit_number == 1
    # Exactly 30 minutes after the previous view starts a new visit.
    assert services.record_access(
        membership=member, module=module, section=third, at=T0 + timedelta(minutes=88, seconds=59)
    ).event.visit_number == 2
    services.record_access(membership=member, module=module, section=fourth, at=T0 + timedelta(days=1))
    progress = ModuleProgress.objects.get(user=member.user, module=module)
    assert progress.visit_count == 3
    assert LearningEvent.objects.filter(user=member.user).views().count() == 5


def test_visits_are_counted_per_module():
    team, in_depth = build_module(), build_module(kind="in_depth")
    member = learner()
    services.record_access(membership=member, module=team, at=T0)
    result = services.record_access(membership=member, module=in_depth, at=T0 + timedelta(minutes=5))
    assert result.event.visit_number == 1
    assert services.record_access(membership=member, module=team, at=T0 + timedelta(minutes=10)).event.visit_number == 1


def test_engagement_is_the_weighted_share_of_sections_viewed():
    module = build_module(sections=[(1, 0), (2, 0), (1, 0), (4, 0)])
    member = learner()
    a, b, c, d = sections_of(module)
    assert services.record_access(membership=member, module=module, section=a, at=T0).progress.engagement_percent == Decimal("12.50")
    assert services.record_access(membership=member, module=module, section=b, at=T0).progress.engagement_percent == Decimal("37.50")
    # Viewing the same section again changes nothing.
    assert services.record_access(membership=member, module=module, section=b, at=T0).progress.engagement_percent == Decimal("37.50")
    assert services.record_access(membership=member, module=module, section=d, at=T0).progress.engagement_percent == Decimal("87.50")
    assert ModuleProgress.objects.get(user=member.user).engagement_percent == Decimal("87.50")


def test_completion_is_recorded_once_when_engagement_reaches_the_threshold():
    module = build_module(sections=[(1, 0)] * 5, threshold=80)
    member = learner()
    received = []
    completion_recorded.connect(lambda sender, completion, **kw: received.append(completion), weak=False, dispatch_uid="t")
    try:
        results = [
            services.record_access(membership=member, module=module, section=s, at=T0 + timedelta(minutes=i))
            for i, s in enumerate(sections_of(module))
        ]
    finally:
        completion_recorded.disconnect(dispatch_uid="t")
    # 3 of 5 sections = 60%: not complete; the 4th reaches 80% and completes; the 5th adds nothing.
    assert [r.completion is not None for r in results] == [False, False, False, True, False]
    completion = ModuleCompletion.objects.get(user=member.user, module=module)
    assert completion.completed_at == T0 + timedelta(minutes=3)
    assert completion.engagement_percent == Decimal("80.00")
    assert completion.practice == member.practice
    assert completion.role == "gp"
    assert received == [completion]
    assert LearningEvent.objects.filter(event_type=EventType.COMPLETION).count() == 1


def test_completion_keeps_the_version_the_learner_worked_on():
    module = build_module(sections=[(1, 0)] * 2, threshold=100)
    member = learner()
    first, second = sections_of(module)
    services.record_access(membership=member, module=module, section=first, at=T0)
    first.title = "Section 1, corrected"
    first.save_revision().publish()
    record_module_version(module=module)
    result = services.record_access(membership=member, module=module, section=second, at=T0 + timedelta(minutes=1))
    assert result.event.module_version == 2
    assert result.completion.module_version == 2
    assert LearningEvent.objects.filter(section=first).get().module_version == 1


def test_records_are_append_only():
    module = build_module()
    member = learner()
    event = services.record_access(membership=member, module=module, at=T0).event
    event.visit_number = 9
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        LearningEvent.objects.all().update(visit_number=2)
    with pytest.raises(PermissionDenied):
        LearningEvent.objects.all().delete()


def test_sections_with_checks_count_only_once_every_check_is_answered_and_pass_mark_applies():
    module = build_module(sections=[(1, 2), (1, 0)], threshold=100, pass_mark=100)
    member = learner()
    quiz, plain = sections_of(module)
    services.record_access(membership=member, module=module, section=plain, at=T0)
    services.record_access(membership=member, module=module, section=quiz, at=T0)
    assert ModuleProgress.objects.get().engagement_percent == Decimal("50.00")
    checks = [block for block in quiz.body if block.block_type == "knowledge_check"]
    right = [o.id for o in checks[0].value["options"].bound_blocks if o.value["is_correct"]]
    wrong = [o.id for o in checks[1].value["options"].bound_blocks if not o.value["is_correct"]]
    services.record_knowledge_check_attempt(membership=member, section=quiz, block_id=checks[0].id, selected_option_ids=right)
    result = services.record_knowledge_check_attempt(membership=member, section=quiz, block_id=checks[1].id, selected_option_ids=wrong)
    # Every check answered: the section is undertaken (100%), but one answer was wrong (pass mark 100%).
    assert ModuleProgress.objects.get().engagement_percent == Decimal("100.00")
    assert result.completion is None
    assert result.feedback == [("Wrong", "Feedback: Wrong", False)]
    right2 = [o.id for o in checks[1].value["options"].bound_blocks if o.value["is_correct"]]
    result = services.record_knowledge_check_attempt(membership=member, section=quiz, block_id=checks[1].id, selected_option_ids=right2)
    assert result.completion is not None
    assert KnowledgeCheckAttempt.objects.count() == 3


def test_invalid_knowledge_check_answers_are_refused_and_change_nothing():
    module = build_module(sections=[(1, 1)])
    member = learner()
    (quiz,) = sections_of(module)
    check = next(block for block in quiz.body if block.block_type == "knowledge_check")
    all_ids = [o.id for o in check.value["options"].bound_blocks]
    for block_id, chosen, message in [
        ("no-such-block", all_ids[:1], "no longer part"),
        (check.id, [], "Choose an answer"),
        (check.id, ["forged"], "not one of the options"),
        (check.id, all_ids, "Choose one answer"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.record_knowledge_check_attempt(membership=member, section=quiz, block_id=block_id, selected_option_ids=chosen)
    assert KnowledgeCheckAttempt.objects.count() == 0
    assert LearningEvent.objects.count() == 0


def test_control_arm_and_withdrawn_practices_collect_nothing():
    module = build_module()
    control = learner(practice_=practice(arm=Arm.CONTROL))
    withdrawn_practice = practice(withdrawn_on=date(2026, 3, 1), withdrawal_data_choice="retain", withdrawal_reason="Data sharing")
    withdrawn = learner(practice_=withdrawn_practice)
    assert learner_eligibility(control.user, on=date(2026, 3, 2)).outcome == Outcome.CONTROL_ARM
    assert learner_eligibility(withdrawn.user, on=date(2026, 2, 28)).outcome == Outcome.TRACKED
    assert learner_eligibility(withdrawn.user, on=date(2026, 3, 1)).outcome == Outcome.WITHDRAWN
    for member in (control, withdrawn):
        with pytest.raises(ValidationError):
            services.record_access(membership=member, module=module, at=T0)
    # Before the withdrawal date collection still happens.
    services.record_access(membership=withdrawn, module=module, at=datetime(2026, 2, 28, 12, tzinfo=UTC))
    deviation = services.record_protocol_deviation(membership=control, module=module, section=None, path="/modules/x/", at=T0)
    assert deviation.practice == control.practice
    assert LearningEvent.objects.count() == 1


def test_learner_state_resumes_where_the_learner_left_off():
    module = build_module(sections=[(1, 1), (1, 0), (1, 0)])
    member = learner()
    quiz, second, third = sections_of(module)
    services.record_access(membership=member, module=module, section=quiz, at=T0)
    services.record_access(membership=member, module=module, section=second, at=T0)
    state = learner_module_state(member.user, module)
    # The last section viewed was completed, so resume at the first not completed: the quiz.
    assert state.resume_section.id == quiz.pk
    assert state.section_status == {quiz.pk: "viewed", second.pk: "completed"}


def test_renewal_starts_a_new_cycle_only_after_expiry_and_keeps_the_old_completion():
    module = build_module(sections=[(1, 0)], threshold=100, valid_months=12)
    member = learner()
    (only,) = sections_of(module)
    services.record_access(membership=member, module=module, section=only, at=T0)
    with pytest.raises(ValidationError, match="not expired"):
        services.start_renewal(membership=member, module=module, at=T0 + timedelta(days=300))
    services.start_renewal(membership=member, module=module, at=T0 + timedelta(days=366))
    assert learner_module_state(member.user, module).engagement == 0
    result = services.record_access(membership=member, module=module, section=only, at=T0 + timedelta(days=367))
    assert result.completion.cycle == 2
    assert ModuleCompletion.objects.filter(user=member.user).count() == 2
    assert SectionProgress.objects.filter(user=member.user).count() == 2


def test_a_withdrawn_control_arm_practice_records_no_deviations_from_its_withdrawal_date(client):
    module = build_module()
    section = sections_of(module)[0]
    leaving = practice(arm=Arm.CONTROL, withdrawn_on=date(2026, 3, 1), withdrawal_data_choice="retain",
                       withdrawal_reason="Data sharing")
    member = learner(practice_=leaving)
    # The evening before withdrawal an attempt is still a deviation (winter: UK time is UTC).
    with time_machine.travel(datetime(2026, 2, 28, 23, 30, tzinfo=UTC), tick=False):
        before = services.record_protocol_deviation(membership=member, module=module, section=None, path="/m/")
    assert before is not None
    with time_machine.travel(datetime(2026, 3, 1, 0, 0, tzinfo=UTC), tick=False):
        assert services.record_protocol_deviation(membership=member, module=module, section=None, path="/m/") is None
        # Through the site too: the page is still refused, and nothing is recorded.
        client.force_login(member.user)
        assert client.get(section.url).status_code == 403
        assert client.get(module.url).status_code == 403
        assert client.get(f"/learning/complete/{module.slug}/").status_code == 403
    assert ProtocolDeviation.objects.count() == 1
