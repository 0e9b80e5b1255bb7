"""How much learner activity refers to some module or section pages (for the admin's delete and unpublish pages)."""

from __future__ import annotations

from django.db.models import Q

from modules.activity import Activity

from ..models import KnowledgeCheckAttempt, LearningEvent, ModuleCompletion, ProtocolDeviation

# Every append-only record that names a module or section; progress rows are derived from these.
RECORDS = (LearningEvent, KnowledgeCheckAttempt, ModuleCompletion, ProtocolDeviation)


def page_activity(page_ids: list[int]) -> Activity:
    """Return the distinct learners and the recorded events that name any of these pages (one query per record type)."""
    learners: set[int] = set()
    events = 0
    for model in RECORDS:
        where = Q(module_id__in=page_ids)
        if any(field.name == "section" for field in model._meta.get_fields()):
            where |= Q(section_id__in=page_ids)
        rows = model.objects.filter(where)
        events += rows.count()
        learners.update(rows.values_list("user_id", flat=True).distinct())
    return Activity(learners=len(learners), events=events)
