"""The learner's context on a module page: outcome, notice, progress, answers, built per request.

The gate in wagtail_hooks.py builds a LearningContext for each module page it serves. A section
page gets it as an argument of its renderer (learning/rendering.py); the module index and module
pages get it in their template context through modules' MODULE_PAGE_CONTEXT hook, from the same
argument. Previews get a neutral context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.formats import date_format

from accounts.roles import ADMIN, EDITOR, MODERATOR, RESEARCHER, user_in_groups
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.selectors import live_modules
from modules.structure import ModuleStructure, SectionInfo, module_structure, section_module

from .access import Outcome
from .measures import shown_percent
from .models import SectionStatus
from .selectors.learner import (
    LearnerModuleState,
    ModuleRow,
    latest_attempts,
    learner_module_rows,
    learner_module_state,
    learner_section_state,
)

PREVIEW = "preview"
SESSION_ANSWERS = "learning:check-answers"
SESSION_ERROR = "learning:check-error"


@dataclass(frozen=True)
class CheckAnswer:
    """The learner's latest answer to one knowledge check."""

    selected: tuple[str, ...]
    is_correct: bool
    attempted_at: datetime | None = None


@dataclass(frozen=True)
class CheckError:
    """An answer that could not be accepted, shown once on the section it was sent from."""

    block_id: str
    message: str


@dataclass
class LearningContext:
    """A learner's view of one module page: outcome, notice, progress and answers."""

    outcome: str
    notice: str = ""
    module: ModulePage | None = None
    structure: ModuleStructure | None = None
    state: LearnerModuleState | None = None
    section_id: int | None = None
    module_rows: list[ModuleRow] = field(default_factory=list)
    answers: dict[str, CheckAnswer] = field(default_factory=dict)
    check_error: CheckError | None = None

    @property
    def is_tracked(self) -> bool:
        return self.outcome == Outcome.TRACKED

    @property
    def is_preview(self) -> bool:
        return self.outcome == PREVIEW

    @property
    def can_answer(self) -> bool:
        """Return True if knowledge checks on this page can be submitted (not in previews)."""
        return self.outcome in (Outcome.TRACKED, Outcome.UNTRACKED_STAFF, Outcome.WITHDRAWN)

    # Sections -------------------------------------------------------------------------------

    @property
    def sections(self) -> tuple[SectionInfo, ...]:
        return self.structure.sections if self.structure else ()

    @property
    def section(self) -> SectionInfo | None:
        return self.structure.section(self.section_id) if self.structure and self.section_id else None

    @property
    def total(self) -> int:
        return len(self.sections)

    @property
    def position(self) -> int | None:
        return self.section.number if self.section else None

    @property
    def previous(self) -> SectionInfo | None:
        return self.structure.neighbours(self.section_id)[0] if self.structure and self.section_id else None

    @property
    def next(self) -> SectionInfo | None:
        return self.structure.neighbours(self.section_id)[1] if self.structure and self.section_id else None

    def status_of(self, section_id: int) -> str:
        """Return "completed", "viewed" or "" for a section, from the learner's own progress."""
        if self.state is None:
            return ""
        return self.state.section_status.get(section_id, "")

    @property
    def section_rows(self) -> list[tuple[SectionInfo, str]]:
        return [(info, self.status_of(info.id)) for info in self.sections]

    @property
    def sections_completed(self) -> int:
        return sum(1 for info in self.sections if self.status_of(info.id) == SectionStatus.COMPLETED)

    @property
    def progress_text(self) -> str:
        sections = "section" if self.total == 1 else "sections"
        return (
            f"You have completed {self.sections_completed} of {self.total} {sections} "
            f"({self.engagement_whole}% of the module)."
        )

    # Module ---------------------------------------------------------------------------------

    @property
    def engagement(self) -> Decimal:
        return self.state.engagement if self.state else Decimal("0")

    @property
    def engagement_whole(self) -> int:
        return shown_percent(self.engagement)

    @property
    def completion(self):
        return self.state.completion if self.state else None

    @property
    def started(self) -> bool:
        """Return True once the learner has opened any section (opening the overview is not starting)."""
        return bool(self.state and self.state.section_status)

    @property
    def resume_section(self) -> SectionInfo | None:
        if self.state is not None:
            return self.state.resume_section
        return self.sections[0] if self.sections else None

    @property
    def completion_url(self) -> str:
        return reverse("learning:module_completion", kwargs={"slug": self.module.slug}) if self.module else ""


def viewer_notice(outcome: str, *, user=None, withdrawn_on: date | None = None) -> str:
    """Return the notice shown to someone whose activity is not recorded, or "" for a tracked learner."""
    if outcome == Outcome.WITHDRAWN and withdrawn_on is not None:
        when = date_format(withdrawn_on, "j F Y")
        return f"Your practice withdrew from the trial on {when}; your activity is no longer recorded."
    if outcome == Outcome.UNTRACKED_STAFF:
        return f"You are viewing as {staff_role_name(user)}; nothing is recorded."
    if outcome == PREVIEW:
        return "This is a preview. Nothing you do here is recorded."
    return ""


def staff_role_name(user) -> str:
    """Return the name of the user's staff role for notices (e.g. "an editor")."""
    if user is not None and user.is_superuser:
        return "an administrator"
    for group, name in ((ADMIN, "an administrator"), (EDITOR, "an editor"), (MODERATOR, "a moderator"),
                        (RESEARCHER, "a researcher")):
        if user is not None and user_in_groups(user, group):
            return name
    return "staff"


def _session_answers(request, section_id: int) -> dict[str, CheckAnswer]:
    stored = request.session.get(SESSION_ANSWERS, {}).get(str(section_id), {})
    return {
        block_id: CheckAnswer(selected=tuple(answer["selected"]), is_correct=bool(answer["is_correct"]))
        for block_id, answer in stored.items()
    }


def remember_untracked_answer(request, *, section_id: int, block_id: str, selected, is_correct: bool) -> None:
    """Keep an unrecorded viewer's last answer in their session only, so they still see feedback."""
    answers = request.session.get(SESSION_ANSWERS, {})
    answers.setdefault(str(section_id), {})[block_id] = {"selected": list(selected), "is_correct": is_correct}
    request.session[SESSION_ANSWERS] = answers


def flash_check_error(request, *, section_id: int, block_id: str, message: str) -> None:
    """Keep an answer's error for the next view of its section."""
    request.session[SESSION_ERROR] = {"section_id": section_id, "block_id": block_id, "message": message}


def _pop_check_error(request, section_id: int) -> CheckError | None:
    stored = request.session.get(SESSION_ERROR) if hasattr(request, "session") else None
    if not stored or stored.get("section_id") != section_id:
        return None
    del request.session[SESSION_ERROR]
    return CheckError(block_id=stored["block_id"], message=stored["message"])


def build_context(
    *, page, request, outcome: str, module: ModulePage | None, notice: str = "", access=None
) -> LearningContext:
    """Return the learner's context for a module index, module or section page.

    `access` is the result of recording this view, if one was recorded: its structure and
    progress row are reused rather than read again.
    """
    # A neutral context needs no user (a page's get_context may be called without the auth middleware).
    user = getattr(request, "user", None)
    if isinstance(page, ModuleIndexPage):
        modules = live_modules(page)
        rows = learner_module_rows(user, modules) if outcome != PREVIEW else [
            ModuleRow(module=m, status="not_started", engagement=Decimal("0"), completed_at=None, completed_version=None)
            for m in modules
        ]
        return LearningContext(outcome=outcome, notice=notice, module_rows=rows)
    if module is None:
        return LearningContext(outcome=outcome, notice=notice)
    structure = access.structure if access is not None and access.structure is not None else module_structure(module)
    if not isinstance(page, SectionPage):
        state = None
        if outcome != PREVIEW:
            progress = access.progress if access is not None else None
            state = learner_module_state(user, module, structure=structure, progress=progress)
        return LearningContext(outcome=outcome, notice=notice, module=module, structure=structure, state=state)

    context = LearningContext(outcome=outcome, notice=notice, module=module, structure=structure, section_id=page.pk)
    if outcome == PREVIEW:
        return context
    # Recording the view read the learner's state and returns it as it stands after the view;
    # without a recorded view it is one query here.
    seen = access.state if access is not None and access.state is not None else None
    if seen is None and access is None:
        seen = learner_section_state(user, module, section_id=page.pk, structure=structure)
    if seen is not None:
        context.state = seen.module
        latest = seen.latest
    else:
        # The view was recorded under the progress row's lock (another tab changed it meanwhile).
        context.state = learner_module_state(user, module, structure=structure, progress=access.progress)
        latest = None
    if outcome == Outcome.TRACKED:
        info = structure.section(page.pk)
        if info is not None and info.check_ids:
            if latest is None:
                latest = {
                    block_id: attempt
                    for block_id, attempt in latest_attempts(user, module_id=module.pk, section_id=page.pk).items()
                }
            context.answers = {
                block_id: CheckAnswer(
                    selected=tuple(attempt.selected_option_ids), is_correct=attempt.is_correct,
                    attempted_at=attempt.attempted_at,
                )
                for block_id, attempt in latest.items()
            }
    else:
        context.answers = _session_answers(request, page.pk)
    context.check_error = _pop_check_error(request, page.pk)
    return context


def preview_context(page, request, module: ModulePage | None) -> LearningContext:
    """Return the neutral context an editor's preview renders with (nothing recorded or read)."""
    if module is None and isinstance(page, SectionPage):
        module = section_module(page)
    elif module is None and isinstance(page, ModulePage):
        module = page
    return build_context(page=page, request=request, outcome=PREVIEW, module=module, notice=viewer_notice(PREVIEW))
