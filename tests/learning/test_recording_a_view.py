"""Recording a view from the learner's state read just before, and when another tab got there first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from learning import services
from learning.models import LearningEvent, ModuleProgress, SectionProgress, SectionStatus
from learning.selectors.learner import learner_section_state
from modules.structure import module_structure

from .factories import build_module, check_id, check_option_ids, learner, sections_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_view_whose_state_went_stale_is_recorded_again_under_the_lock(monkeypatch):
    # Another tab's view lands between this view's read of the learner's state and its write: the
    # conditional UPDATE must notice, or engagement would miss the other tab's section.
    module = build_module(sections=[(1, 0)] * 4, threshold=100)
    member = learner()
    first, second, third, _ = sections_of(module)
    services.record_access(membership=member, module=module, section=first, at=T0)
    real_read = services.learner_section_state

    def read_then_other_tab_views(*args, **kwargs):
        state = real_read(*args, **kwargs)
        monkeypatch.setattr(services, "learner_section_state", real_read)
        services.record_access(membership=member, module=module, section=second, at=T0 + timedelta(minutes=31))
        return state

    monkeypatch.setattr(services, "learner_section_state", read_then_other_tab_views)
    result = services.record_access(membership=member, module=module, section=third, at=T0 + timedelta(minutes=32))

    assert result.event.visit_number == 2
    assert result.progress.engagement_percent == Decimal("75.00")
    progress = ModuleProgress.objects.get(user=member.user, module=module)
    assert (progress.visit_count, progress.engagement_percent, progress.last_section_id) == (2, Decimal("75.00"), third.pk)
    assert set(SectionProgress.objects.filter(user=member.user).values_list("section_id", "status")) == {
        (first.pk, SectionStatus.COMPLETED), (second.pk, SectionStatus.COMPLETED), (third.pk, SectionStatus.COMPLETED),
    }
    assert list(LearningEvent.objects.filter(user=member.user).values_list("visit_number", flat=True)) == [1, 2, 2]


def test_the_state_read_in_one_query_matches_what_the_services_recorded(django_assert_num_queries):
    module = build_module(sections=[(1, 0), (2, 1), (1, 0)], pass_mark=100)
    member = learner()
    first, checked, _ = sections_of(module)
    services.record_access(membership=member, module=module, section=first, at=T0)
    services.record_access(membership=member, module=module, section=checked, at=T0 + timedelta(minutes=1))
    for minute, correct in ((2, False), (3, True)):
        services.record_knowledge_check_attempt(
            membership=member, section=checked, block_id=check_id(checked),
            selected_option_ids=check_option_ids(checked, correct=correct), at=T0 + timedelta(minutes=minute),
        )
    structure = module_structure(module)

    with django_assert_num_queries(1):
        state = learner_section_state(member.user, module, section_id=checked.pk, structure=structure)

    assert state.module.progress.visit_count == 1
    assert state.module.progress.engagement_percent == Decimal("75.00")
    assert state.module.section_status == {first.pk: SectionStatus.COMPLETED, checked.pk: SectionStatus.COMPLETED}
    assert state.module.completion is None
    assert (state.answered, state.correct) == ({check_id(checked)}, {check_id(checked)})
    latest = state.latest[check_id(checked)]
    assert latest.is_correct
    assert list(latest.selected_option_ids) == list(check_option_ids(checked, correct=True))
    assert latest.attempted_at == T0 + timedelta(minutes=3)


def test_the_state_query_compiled_once_answers_each_learner_as_the_orm_does():
    # The SQL is compiled once per process with stand-in ids; each call must bind its own learner,
    # module and section, and convert the rows as the ORM would.
    from django.db import router

    from learning.selectors import learner as selectors

    modules = [build_module(sections=[(1, 0), (2, 1), (1, 0)], pass_mark=100, threshold=50) for _ in range(2)]
    members = [learner(), learner()]
    for offset, (member, module) in enumerate(zip(members, modules, strict=True)):
        first, checked, _ = sections_of(module)
        services.record_access(membership=member, module=module, section=first, at=T0)
        services.record_access(membership=member, module=module, section=checked, at=T0 + timedelta(minutes=1))
        services.record_knowledge_check_attempt(
            membership=member, section=checked, block_id=check_id(checked),
            selected_option_ids=check_option_ids(checked, correct=bool(offset)), at=T0 + timedelta(minutes=2),
        )
    selectors._STATE_QUERIES[True]._compiled.clear()
    for member, module in zip(members + members[::-1], modules + modules, strict=True):
        section = sections_of(module)[1]
        compiled_rows = selectors._state_rows(member.user.pk, module.pk, section.pk, with_checks=True)
        orm_rows = list(selectors._state_queryset(member.user.pk, module.pk, section.pk, with_checks=True))
        assert sorted(map(tuple, compiled_rows), key=repr) == sorted(map(tuple, orm_rows), key=repr)
    assert selectors._STATE_QUERIES[True]._compiled[router.db_for_read(ModuleProgress)] is not None
    # A learner with a completion and one without, each seen through their own row.
    completed = [
        learner_section_state(member.user, module, section_id=sections_of(module)[1].pk, structure=module_structure(module))
        .module.completion is not None
        for member, module in zip(members, modules, strict=True)
    ]
    assert completed == [False, True]
