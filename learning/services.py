"""Writes about learning: the one place where access, engagement and completion are recorded."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from modules.models import ModulePage, SectionPage
from modules.structure import ModuleStructure, SectionInfo, module_structure, section_module
from practices.models import Membership

from . import measures
from .marking import find_check, mark_answer
from .models import (
    EventType,
    KnowledgeCheckAttempt,
    LearningEvent,
    ModuleCompletion,
    ModuleProgress,
    ProtocolDeviation,
    SectionProgress,
    SectionStatus,
)
from .selectors.learner import LearnerModuleState, LearnerSectionState, answered_check_ids, learner_section_state
from .signals import completion_recorded


def _check_collectable(membership: Membership, at: datetime) -> None:
    practice = membership.practice
    if not practice.can_open_modules:
        raise ValidationError("Control-arm practices cannot open intervention modules.")
    if practice.is_withdrawn_on(timezone.localdate(at)):
        raise ValidationError("Nothing is collected for a practice after its withdrawal date.")


def _module_of(section: SectionPage) -> ModulePage:
    module = section_module(section)
    if module is None:
        raise ModulePage.DoesNotExist("This section belongs to no module.")
    return module


def _lock_progress(*, user, module: ModulePage, at: datetime) -> ModuleProgress:
    """Return the learner's current-cycle progress row, created if needed, locked for update."""
    progress = (
        ModuleProgress.objects.select_for_update().filter(user=user, module=module).order_by("-cycle").first()
    )
    if progress is not None:
        return progress
    try:
        with transaction.atomic():
            return ModuleProgress.objects.create(
                user=user, module=module, cycle=1, started_at=at, last_viewed_at=at, visit_count=0
            )
    except IntegrityError:
        # Another request created it first; wait for its lock and use that row.
        return ModuleProgress.objects.select_for_update().get(user=user, module=module, cycle=1)


def _append_event(
    *,
    membership: Membership,
    module: ModulePage,
    section: SectionPage | None,
    structure: ModuleStructure,
    event_type: str,
    at: datetime,
    visit_number: int,
    detail: dict | None = None,
) -> LearningEvent:
    return LearningEvent.objects.create(
        user_id=membership.user_id,
        practice_id=membership.practice_id,
        role=membership.role,
        module=module,
        section=section,
        module_version=structure.version,
        event_type=event_type,
        occurred_at=at,
        visit_number=visit_number,
        detail=detail or {},
    )


def _refresh_section_status(
    *, progress: ModuleProgress, section_id: int, structure: ModuleStructure, at: datetime, answered: set[str]
) -> bool:
    """Create or advance the learner's section row; return True if its status changed."""
    info = structure.section(section_id)
    if info is None:
        return False
    undertaken = measures.section_undertaken(viewed=True, check_ids=info.check_ids, answered_check_ids=answered)
    status = SectionStatus.COMPLETED if undertaken else SectionStatus.VIEWED
    row, created = SectionProgress.objects.get_or_create(
        user_id=progress.user_id,
        section_id=section_id,
        cycle=progress.cycle,
        defaults={
            "module_id": progress.module_id,
            "status": status,
            "first_viewed_at": at,
            "completed_at": at if undertaken else None,
            "module_version": structure.version,
        },
    )
    if created:
        return True
    if undertaken and row.status != SectionStatus.COMPLETED:
        row.status = SectionStatus.COMPLETED
        row.completed_at = at
        row.module_version = structure.version
        row.save(update_fields=["status", "completed_at", "module_version"])
        return True
    return False


def _answered_this_cycle(*, user, module: ModulePage, progress: ModuleProgress) -> tuple[set[str], set[str]]:
    since = progress.started_at if progress.cycle > 1 else None
    return answered_check_ids(user, module, since=since)


def _recompute_engagement(*, progress: ModuleProgress, structure: ModuleStructure) -> Decimal:
    completed = SectionProgress.objects.filter(
        user_id=progress.user_id, module_id=progress.module_id, cycle=progress.cycle, status=SectionStatus.COMPLETED
    ).values_list("section_id", flat=True)
    return measures.engagement_percent(structure.weights, completed)


def _complete_if_due(
    *,
    membership: Membership,
    module: ModulePage,
    progress: ModuleProgress,
    structure: ModuleStructure,
    correct: set[str],
    at: datetime,
) -> ModuleCompletion | None:
    if not measures.completion_rule(structure.targets).is_met(
        engagement=progress.engagement_percent, check_ids=structure.check_ids, correct_check_ids=correct
    ):
        return None
    if ModuleCompletion.objects.filter(user_id=membership.user_id, module=module, cycle=progress.cycle).exists():
        return None
    try:
        with transaction.atomic():
            completion = ModuleCompletion.objects.create(
                user_id=membership.user_id,
                module=module,
                practice_id=membership.practice_id,
                role=membership.role,
                module_version=structure.version,
                completed_at=at,
                engagement_percent=progress.engagement_percent,
                cycle=progress.cycle,
            )
    except IntegrityError:
        # The unique constraint is the last line of defence against a second tab.
        return None
    _append_event(
        membership=membership, module=module, section=None, structure=structure,
        event_type=EventType.COMPLETION, at=at, visit_number=progress.visit_count,
        detail={"cycle": progress.cycle, "engagement_percent": str(progress.engagement_percent)},
    )
    completion_recorded.send(sender=ModuleCompletion, completion=completion)
    return completion


@dataclass(frozen=True)
class AccessResult:
    """What recording a page view produced, and the learner's state after it."""

    event: LearningEvent
    progress: ModuleProgress
    completion: ModuleCompletion | None
    structure: ModuleStructure | None = None
    # The learner's state in the module after this view, when the view was recorded from it
    # (the page shows it without reading it again); None after the locking path.
    state: LearnerSectionState | None = None


def record_access(
    *, membership: Membership, module: ModulePage, section: SectionPage | None = None, at: datetime | None = None
) -> AccessResult:
    """Append a page-view event and advance the learner's progress in the module.

    One read of the learner's state, one conditional UPDATE of their progress row (which also
    locks it), one INSERT of the event, and a write of the section's row only when its status
    changes. A view that changes no section's status writes the UPDATE and the INSERT from SQL built
    once per process: on PostgreSQL as one statement outside a transaction, on SQLite as two in a
    short transaction. If another request changed the progress row in between,
    the UPDATE matches nothing and the view is recorded again under the row lock
    (`_record_access_locked`), so concurrent views still count visits and engagement exactly once.
    """
    at = at or timezone.now()
    _check_collectable(membership, at)
    return _record_access(membership=membership, module=module, section=section, at=at)


def _record_access(*, membership: Membership, module: ModulePage, section: SectionPage | None, at: datetime) -> AccessResult:
    if connection.vendor in ("postgresql", "sqlite"):
        return _record_access_in_one_statement(membership=membership, module=module, section=section, at=at)
    return _record_access_in_transaction(membership=membership, module=module, section=section, at=at)


# One transaction and no savepoint inside it (a page view is a handful of statements, and each
# savepoint would add two round trips); a savepoint only when the caller has a transaction open.
@transaction.atomic
def _record_access_in_transaction(
    *, membership: Membership, module: ModulePage, section: SectionPage | None, at: datetime
) -> AccessResult:
    structure = module_structure(module)
    state = learner_section_state(
        membership.user, module, section_id=section.pk if section else 0, structure=structure
    )
    result = _record_access_from_state(
        membership=membership, module=module, section=section, structure=structure, state=state, at=at
    )
    if result is None:
        result = _record_access_locked(membership=membership, module=module, section=section, structure=structure, at=at)
    return result


def _record_access_in_one_statement(
    *, membership: Membership, module: ModulePage, section: SectionPage | None, at: datetime
) -> AccessResult:
    """Record a repeat view from fixed SQL (one statement on PostgreSQL); first views and status changes in a transaction."""
    # The state read needs no transaction: the compare-and-set below refuses a row that moved
    # after it, and a view that writes nothing else is then a single statement, atomic by itself.
    structure = module_structure(module)
    state = learner_section_state(
        membership.user, module, section_id=section.pk if section else 0, structure=structure
    )
    plan = _plan_view(membership=membership, module=module, section=section, structure=structure, state=state, at=at)
    if plan.before is None or plan.section_write:
        # A first view or a section's status change writes several rows (and may complete the
        # module), so it keeps the transaction.
        with transaction.atomic():
            result = _record_access_from_state(
                membership=membership, module=module, section=section, structure=structure, state=state, at=at
            )
            if result is None:
                result = _record_access_locked(
                    membership=membership, module=module, section=section, structure=structure, at=at
                )
        return result
    event = _update_progress_and_append_view(membership=membership, plan=plan, section=section, structure=structure, at=at)
    if event is None:
        with transaction.atomic():
            return _record_access_locked(membership=membership, module=module, section=section, structure=structure, at=at)
    progress = plan.progress
    progress._state.adding = False
    progress._state.db = ModuleProgress.objects.db
    after = LearnerSectionState(
        module=LearnerModuleState(
            structure=structure, progress=progress, section_status=plan.statuses, completion=state.module.completion,
        ),
        answered=state.answered, correct=state.correct, latest=state.latest,
    )
    return AccessResult(event=event, progress=progress, completion=None, structure=structure, state=after)


_PROGRESS_SET = ["visit_count", "last_viewed_at", "last_section", "engagement_percent"]
_PROGRESS_UNCHANGED = ["visit_count", "last_viewed_at", "engagement_percent"]
_EVENT_FIELDS = [
    "user", "practice", "role", "module", "section", "module_version", "event_type", "occurred_at", "visit_number",
    "detail",
]


@functools.cache
def _update_and_append_sql(vendor: str) -> tuple[str, ...]:
    """Return the fixed text of the compare-and-set UPDATE and the view event's INSERT.

    On PostgreSQL one statement (a data-modifying WITH); elsewhere the two statements, which the
    caller runs in one transaction.
    """
    progress, event = ModuleProgress._meta, LearningEvent._meta
    quote = connection.ops.quote_name

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    pk = quote(progress.pk.column)
    # Names come from the models' own metadata; every value is a parameter. The INSERT adds the
    # event only when the UPDATE found the row still as read.
    update = (  # noqa: S608
        "UPDATE {table} SET {sets} WHERE {pk} = %s AND {unchanged} AND {last_section} "
        "IS NOT DISTINCT FROM %s RETURNING {pk}"
    ).format(
        table=quote(progress.db_table),
        sets=", ".join(f"{column(progress, name)} = %s" for name in _PROGRESS_SET),
        pk=pk,
        unchanged=" AND ".join(f"{column(progress, name)} = %s" for name in _PROGRESS_UNCHANGED),
        last_section=column(progress, "last_section"),
    )
    event_columns = ", ".join(column(event, name) for name in _EVENT_FIELDS)
    values = ", ".join(["%s"] * len(_EVENT_FIELDS))
    event_table, event_pk = quote(event.db_table), quote(event.pk.column)
    if vendor == "postgresql":
        return (
            f"WITH upd AS ({update}) INSERT INTO {event_table} ({event_columns}) SELECT {values} FROM upd "  # noqa: S608
            f"RETURNING {event_pk}",
        )
    return update, f"INSERT INTO {event_table} ({event_columns}) VALUES ({values}) RETURNING {event_pk}"  # noqa: S608


def _update_progress_and_append_view(
    *, membership: Membership, plan: _ViewPlan, section: SectionPage | None, structure: ModuleStructure, at: datetime
) -> LearningEvent | None:
    """Advance the progress row if it is unchanged since read and append the view, as one statement."""
    before, progress = plan.before, plan.progress
    event = LearningEvent(
        user_id=membership.user_id, practice_id=membership.practice_id, role=membership.role,
        module_id=progress.module_id, section=section, module_version=structure.version,
        event_type=EventType.SECTION_VIEW if section else EventType.MODULE_VIEW,
        occurred_at=at, visit_number=progress.visit_count, detail={},
    )

    def prepared(instance, meta, names: list[str]) -> list:
        fields = [meta.get_field(name) for name in names]
        return [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in fields]

    params = [
        *prepared(progress, ModuleProgress._meta, _PROGRESS_SET),
        ModuleProgress._meta.pk.get_db_prep_value(before.pk, connection),
        *prepared(before, ModuleProgress._meta, _PROGRESS_UNCHANGED),
        *prepared(before, ModuleProgress._meta, ["last_section"]),
        *prepared(event, LearningEvent._meta, _EVENT_FIELDS),
    ]
    statements = _update_and_append_sql(connection.vendor)
    if len(statements) == 1:
        with connection.cursor() as cursor:
            cursor.execute(statements[0], params)
            inserted = cursor.fetchone()
    else:
        update_params, insert_params = params[: -len(_EVENT_FIELDS)], params[-len(_EVENT_FIELDS):]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statements[0], update_params)
            inserted = cursor.fetchone()
            if inserted is not None:
                cursor.execute(statements[1], insert_params)
                inserted = cursor.fetchone()
    if inserted is None:
        return None
    event.pk = inserted[0]
    event._state.adding = False
    event._state.db = LearningEvent.objects.db
    return event


def _insert_progress(row: ModuleProgress) -> int | None:
    """Insert the learner's first progress row unless one exists; return its id, or None if one did."""
    # INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, SQLite 3.35+): the ORM's create()
    # would need a savepoint to survive losing the race to another tab.
    meta = ModuleProgress._meta
    names = ["user", "module", "cycle", "started_at", "last_viewed_at", "visit_count", "engagement_percent", "last_section"]
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    # Names come from the model's own metadata; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING RETURNING {}".format(  # noqa: S608
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields)),
        quote(meta.pk.column),
    )
    params = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchone()
    return inserted[0] if inserted else None


@dataclass
class _ViewPlan:
    """What a view changes, worked out from the learner's state read just before it."""

    before: ModuleProgress | None
    progress: ModuleProgress
    statuses: dict[int, str]
    section_write: str | None
    info: SectionInfo | None


def _plan_view(
    *,
    membership: Membership,
    module: ModulePage,
    section: SectionPage | None,
    structure: ModuleStructure,
    state: LearnerSectionState,
    at: datetime,
) -> _ViewPlan:
    """Work out the learner's progress and section statuses after a view, from the state read before it."""
    before = state.module.progress
    statuses = dict(state.module.section_status)
    info = structure.section(section.pk) if section is not None else None
    section_write = None
    if info is not None:
        undertaken = measures.section_undertaken(viewed=True, check_ids=info.check_ids, answered_check_ids=state.answered)
        status = statuses.get(info.id)
        if status is None:
            section_write = "create"
        elif undertaken and status != SectionStatus.COMPLETED:
            section_write = "complete"
        if section_write:
            statuses[info.id] = SectionStatus.COMPLETED if undertaken else SectionStatus.VIEWED

    if before is None:
        progress = ModuleProgress(
            user_id=membership.user_id, module=module, cycle=1, started_at=at, last_viewed_at=at, visit_count=1,
            last_section_id=section.pk if section is not None else None, engagement_percent=Decimal("0.00"),
        )
    else:
        previous = before.last_viewed_at if before.visit_count else None
        progress = ModuleProgress(
            id=before.pk, user_id=before.user_id, module=module, cycle=before.cycle, started_at=before.started_at,
            last_viewed_at=max(before.last_viewed_at, at),
            visit_count=before.visit_count + (1 if measures.starts_new_visit(previous, at) else 0),
            last_section_id=section.pk if section is not None else before.last_section_id,
            engagement_percent=before.engagement_percent,
        )
    if section_write:
        completed = [section_id for section_id, status in statuses.items() if status == SectionStatus.COMPLETED]
        progress.engagement_percent = measures.engagement_percent(structure.weights, completed)

    return _ViewPlan(before=before, progress=progress, statuses=statuses, section_write=section_write, info=info)


def _record_access_from_state(
    *,
    membership: Membership,
    module: ModulePage,
    section: SectionPage | None,
    structure: ModuleStructure,
    state: LearnerSectionState,
    at: datetime,
) -> AccessResult | None:
    """Record the view from the state read just before; return None if the progress row moved meanwhile."""
    plan = _plan_view(membership=membership, module=module, section=section, structure=structure, state=state, at=at)
    before, progress, statuses, section_write, info = (
        plan.before, plan.progress, plan.statuses, plan.section_write, plan.info
    )

    if before is None:
        progress.pk = _insert_progress(progress)
        if progress.pk is None:
            return None
    else:
        # Compare-and-set: matches only if nobody changed the row since it was read, and takes
        # its lock until commit, so everything below is written by this request alone.
        updated = ModuleProgress.objects.filter(
            pk=before.pk, visit_count=before.visit_count, last_viewed_at=before.last_viewed_at,
            engagement_percent=before.engagement_percent, last_section_id=before.last_section_id,
        ).update(
            visit_count=progress.visit_count, last_viewed_at=progress.last_viewed_at,
            last_section_id=progress.last_section_id, engagement_percent=progress.engagement_percent,
        )
        if not updated:
            return None
    progress._state.adding = False
    progress._state.db = ModuleProgress.objects.db

    event = _append_event(
        membership=membership, module=module, section=section, structure=structure,
        event_type=EventType.SECTION_VIEW if section else EventType.MODULE_VIEW,
        at=at, visit_number=progress.visit_count,
    )
    completion = None
    if section_write == "create":
        undertaken = statuses[info.id] == SectionStatus.COMPLETED
        SectionProgress.objects.bulk_create(
            [
                SectionProgress(
                    user_id=progress.user_id, module_id=progress.module_id, section_id=info.id, cycle=progress.cycle,
                    status=statuses[info.id], first_viewed_at=at, completed_at=at if undertaken else None,
                    module_version=structure.version,
                )
            ],
            ignore_conflicts=True,
        )
    elif section_write == "complete":
        SectionProgress.objects.filter(
            user_id=progress.user_id, section_id=info.id, cycle=progress.cycle
        ).exclude(status=SectionStatus.COMPLETED).update(
            status=SectionStatus.COMPLETED, completed_at=at, module_version=structure.version
        )
    if section_write and state.module.completion is None:
        completion = _complete_if_due(
            membership=membership, module=module, progress=progress, structure=structure, correct=state.correct, at=at
        )
    after = LearnerSectionState(
        module=LearnerModuleState(
            structure=structure, progress=progress, section_status=statuses,
            completion=completion or state.module.completion,
        ),
        answered=state.answered, correct=state.correct, latest=state.latest,
    )
    return AccessResult(event=event, progress=progress, completion=completion, structure=structure, state=after)


def _record_access_locked(
    *, membership: Membership, module: ModulePage, section: SectionPage | None, structure: ModuleStructure, at: datetime
) -> AccessResult:
    """Record the view under the progress row's lock (when another request changed the row meanwhile)."""
    user = membership.user
    progress = _lock_progress(user=user, module=module, at=at)
    previous = progress.last_viewed_at if progress.visit_count else None
    if measures.starts_new_visit(previous, at):
        progress.visit_count += 1
    progress.last_viewed_at = max(progress.last_viewed_at, at)
    fields = ["visit_count", "last_viewed_at"]
    event = _append_event(
        membership=membership, module=module, section=section, structure=structure,
        event_type=EventType.SECTION_VIEW if section else EventType.MODULE_VIEW,
        at=at, visit_number=progress.visit_count,
    )
    completion = None
    if section is not None:
        progress.last_section_id = section.pk
        fields.append("last_section")
        info = structure.section(section.pk)
        answered: set[str] = set()
        correct: set[str] = set()
        if info is not None and info.check_ids:
            answered, correct = _answered_this_cycle(user=user, module=module, progress=progress)
        if _refresh_section_status(progress=progress, section_id=section.pk, structure=structure, at=at, answered=answered):
            progress.engagement_percent = _recompute_engagement(progress=progress, structure=structure)
            fields.append("engagement_percent")
            if structure.targets.pass_mark and structure.check_ids and not correct:
                answered, correct = _answered_this_cycle(user=user, module=module, progress=progress)
            progress.save(update_fields=fields)
            completion = _complete_if_due(
                membership=membership, module=module, progress=progress, structure=structure, correct=correct, at=at
            )
            return AccessResult(event=event, progress=progress, completion=completion, structure=structure)
    progress.save(update_fields=fields)
    return AccessResult(event=event, progress=progress, completion=completion, structure=structure)


@dataclass(frozen=True)
class AttemptResult:
    """A knowledge-check attempt and what it changed."""

    attempt: KnowledgeCheckAttempt
    feedback: list[tuple[str, str, bool]]  # (option text, feedback, is_correct) for chosen options
    completion: ModuleCompletion | None


@transaction.atomic
def record_knowledge_check_attempt(
    *,
    membership: Membership,
    section: SectionPage,
    block_id: str,
    selected_option_ids: list[str],
    at: datetime | None = None,
) -> AttemptResult:
    """Keep a learner's answer to a knowledge check and advance their progress."""
    at = at or timezone.now()
    _check_collectable(membership, at)
    module = _module_of(section)
    check = find_check(section.body, block_id)
    if check is None:
        raise ValidationError("This question is no longer part of the section. Reload the page and try again.")
    marked = mark_answer(check, selected_option_ids)
    chosen = list(marked.selected_option_ids)
    is_correct = marked.is_correct

    user = membership.user
    structure = module_structure(module)
    progress = _lock_progress(user=user, module=module, at=at)
    attempt = KnowledgeCheckAttempt.objects.create(
        user=user, practice_id=membership.practice_id, module=module, section=section,
        module_version=structure.version, block_id=block_id, selected_option_ids=chosen,
        is_correct=is_correct, attempted_at=at,
    )
    _append_event(
        membership=membership, module=module, section=section, structure=structure,
        event_type=EventType.KNOWLEDGE_CHECK, at=at, visit_number=max(progress.visit_count, 1),
        detail={"block_id": block_id, "selected_option_ids": chosen, "is_correct": is_correct},
    )
    answered, correct = _answered_this_cycle(user=user, module=module, progress=progress)
    completion = None
    if _refresh_section_status(progress=progress, section_id=section.pk, structure=structure, at=at, answered=answered):
        progress.engagement_percent = _recompute_engagement(progress=progress, structure=structure)
        progress.save(update_fields=["engagement_percent"])
    completion = _complete_if_due(
        membership=membership, module=module, progress=progress, structure=structure, correct=correct, at=at
    )
    feedback = [(option.text, option.feedback, option.is_correct) for option in map(check.option, chosen)]
    return AttemptResult(attempt=attempt, feedback=feedback, completion=completion)


@transaction.atomic
def record_resource_download(
    *, membership: Membership, section: SectionPage, document_id: int, at: datetime | None = None
) -> LearningEvent:
    """Append a resource-download event for a document linked from the section."""
    at = at or timezone.now()
    _check_collectable(membership, at)
    module = _module_of(section)
    structure = module_structure(module)
    progress = _lock_progress(user=membership.user, module=module, at=at)
    return _append_event(
        membership=membership, module=module, section=section, structure=structure,
        event_type=EventType.RESOURCE_DOWNLOAD, at=at, visit_number=max(progress.visit_count, 1),
        detail={"document_id": document_id},
    )


@transaction.atomic
def record_completion(*, membership: Membership, module: ModulePage, at: datetime | None = None) -> ModuleCompletion | None:
    """Record the learner's completion if the module's rule is met and it is not yet recorded."""
    at = at or timezone.now()
    _check_collectable(membership, at)
    structure = module_structure(module)
    progress = _lock_progress(user=membership.user, module=module, at=at)
    _, correct = _answered_this_cycle(user=membership.user, module=module, progress=progress)
    return _complete_if_due(
        membership=membership, module=module, progress=progress, structure=structure, correct=correct, at=at
    )


@transaction.atomic
def record_protocol_deviation(
    *, membership: Membership, module: ModulePage, section: SectionPage | None, path: str, at: datetime | None = None
) -> ProtocolDeviation | None:
    """Record a control-arm learner's attempt to open an intervention module (never an access).

    Returns None, recording nothing, once the practice has withdrawn: collection stops at the
    withdrawal date for deviations too. The attempt is still refused by the caller.
    """
    at = at or timezone.now()
    if membership.practice.is_withdrawn_on(timezone.localdate(at)):
        return None
    return ProtocolDeviation.objects.create(
        user_id=membership.user_id, practice_id=membership.practice_id, role=membership.role,
        module=module, section=section, occurred_at=at, path=path[:500],
    )


def renewal_due_on(completion: ModuleCompletion):
    """Return the date from which the completion may be renewed, or None if it never expires."""
    months = completion.module.certificate_valid_months
    if not months:
        return None
    return timezone.localdate(completion.completed_at) + relativedelta(months=months)


@transaction.atomic
def start_renewal(*, membership: Membership, module: ModulePage, at: datetime | None = None) -> ModuleProgress:
    """Start a new cycle for a learner whose completion has expired, keeping the old one on record."""
    at = at or timezone.now()
    _check_collectable(membership, at)
    progress = _lock_progress(user=membership.user, module=module, at=at)
    completion = ModuleCompletion.objects.filter(user_id=membership.user_id, module=module, cycle=progress.cycle).first()
    if completion is None:
        raise ValidationError("You can renew a module only after completing it.")
    due = renewal_due_on(completion)
    if due is None or timezone.localdate(at) < due:
        raise ValidationError("This module's completion has not expired, so it cannot be renewed yet.")
    return ModuleProgress.objects.create(
        user_id=membership.user_id, module=module, cycle=progress.cycle + 1, started_at=at,
        last_viewed_at=progress.last_viewed_at, visit_count=progress.visit_count,
    )
