"""Reads about learning: a module's structure and a learner's state in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache

from modules.models import ModulePage, SectionPage
from modules.services import current_version_number

from .measures import CompletionRule
from .models import KnowledgeCheckAttempt, ModuleCompletion, ModuleProgress, SectionProgress, SectionStatus

STRUCTURE_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class SectionInfo:
    """What the measures need to know about one live section."""

    id: int
    title: str
    url_path: str
    weight: int
    check_ids: tuple[str, ...]


@dataclass(frozen=True)
class ModuleStructure:
    """A module's live sections, weights, knowledge checks and completion rule at one version."""

    module_id: int
    version: int
    rule: CompletionRule
    sections: tuple[SectionInfo, ...]
    weights: dict[int, int] = field(default_factory=dict)

    @property
    def check_ids(self) -> set[str]:
        return {check_id for section in self.sections for check_id in section.check_ids}

    def section(self, section_id: int) -> SectionInfo | None:
        for section in self.sections:
            if section.id == section_id:
                return section
        return None

    def neighbours(self, section_id: int) -> tuple[SectionInfo | None, SectionInfo | None]:
        """Return the sections before and after section_id in module order."""
        ids = [s.id for s in self.sections]
        if section_id not in ids:
            return None, None
        index = ids.index(section_id)
        previous = self.sections[index - 1] if index > 0 else None
        following = self.sections[index + 1] if index + 1 < len(self.sections) else None
        return previous, following


def knowledge_check_ids(section: SectionPage) -> tuple[str, ...]:
    """Return the stable block ids of the section's knowledge checks, in page order."""
    return tuple(block.id for block in section.body if block.block_type == "knowledge_check")


def _build_structure(module: ModulePage, version: int) -> ModuleStructure:
    sections = []
    for section in SectionPage.objects.child_of(module).live().order_by("path"):
        sections.append(
            SectionInfo(
                id=section.pk,
                title=section.title,
                url_path=section.url_path,
                weight=section.weight,
                check_ids=knowledge_check_ids(section),
            )
        )
    return ModuleStructure(
        module_id=module.pk,
        version=version,
        rule=CompletionRule(threshold=module.completion_threshold, pass_mark=module.pass_mark),
        sections=tuple(sections),
        weights={s.id: s.weight for s in sections},
    )


def module_structure(module: ModulePage, *, version: int | None = None) -> ModuleStructure:
    """Return the module's structure at its current version, cached per version."""
    version = version if version is not None else current_version_number(module)
    key = f"learning:structure:{module.pk}:{version}:{module.completion_threshold}:{module.pass_mark}"
    structure = cache.get(key)
    if structure is None:
        structure = _build_structure(module, version)
        cache.set(key, structure, STRUCTURE_CACHE_SECONDS)
    return structure


def current_cycle(user, module: ModulePage) -> int:
    """Return the learner's current cycle in the module (1 unless they have renewed)."""
    latest = (
        ModuleProgress.objects.filter(user=user, module=module).order_by("-cycle").values_list("cycle", flat=True).first()
    )
    return latest or 1


@dataclass
class LearnerModuleState:
    """A learner's progress in one module, for the module and section pages."""

    structure: ModuleStructure
    progress: ModuleProgress | None
    section_status: dict[int, str]
    completion: ModuleCompletion | None

    @property
    def engagement(self) -> Decimal:
        return self.progress.engagement_percent if self.progress else Decimal("0")

    @property
    def resume_section(self) -> SectionInfo | None:
        """Return where the learner left off: their last section, else the first not completed."""
        if self.progress and self.progress.last_section_id:
            last = self.structure.section(self.progress.last_section_id)
            if last is not None and self.section_status.get(last.id) != SectionStatus.COMPLETED:
                return last
        for section in self.structure.sections:
            if self.section_status.get(section.id) != SectionStatus.COMPLETED:
                return section
        return self.structure.sections[0] if self.structure.sections else None


def learner_module_state(user, module: ModulePage, *, structure: ModuleStructure | None = None) -> LearnerModuleState:
    """Return the learner's state in the module with a fixed number of queries."""
    structure = structure or module_structure(module)
    progress = ModuleProgress.objects.filter(user=user, module=module).order_by("-cycle").first()
    cycle = progress.cycle if progress else 1
    statuses = dict(
        SectionProgress.objects.filter(user=user, module=module, cycle=cycle).values_list("section_id", "status")
    )
    completion = ModuleCompletion.objects.filter(user=user, module=module, cycle=cycle).first()
    return LearnerModuleState(structure=structure, progress=progress, section_status=statuses, completion=completion)


def answered_check_ids(user, module: ModulePage, *, since=None) -> tuple[set[str], set[str]]:
    """Return the ids of checks the learner has answered and answered correctly (this cycle)."""
    attempts = KnowledgeCheckAttempt.objects.filter(user=user, module=module)
    if since is not None:
        attempts = attempts.filter(attempted_at__gte=since)
    answered: set[str] = set()
    correct: set[str] = set()
    for block_id, is_correct in attempts.values_list("block_id", "is_correct"):
        answered.add(block_id)
        if is_correct:
            correct.add(block_id)
    return answered, correct


class Outcome:
    """How a signed-in person's request to open a module is treated."""

    TRACKED = "tracked"  # member of an implementation-arm or not-in-trial practice
    UNTRACKED_STAFF = "untracked_staff"  # editors, moderators, admins, researchers without a practice
    WITHDRAWN = "withdrawn"  # practice withdrew: may read, nothing is collected
    CONTROL_ARM = "control_arm"  # usual-care practice: may not open; recorded as a protocol deviation
    NO_PRACTICE = "no_practice"  # signed in but not a member of any practice


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may open modules now, and whether what they do is recorded."""

    outcome: str
    membership: object | None = None

    @property
    def may_view(self) -> bool:
        return self.outcome in (Outcome.TRACKED, Outcome.UNTRACKED_STAFF, Outcome.WITHDRAWN)

    @property
    def is_tracked(self) -> bool:
        return self.outcome == Outcome.TRACKED


def learner_eligibility(user, *, on) -> Eligibility:
    """Return how the user's module views are treated on the given local date (one query)."""
    from accounts.roles import is_staff_role
    from practices.models import Membership

    membership = Membership.objects.active(on).select_related("practice").filter(user=user).first()
    if membership is None:
        if is_staff_role(user):
            return Eligibility(Outcome.UNTRACKED_STAFF)
        return Eligibility(Outcome.NO_PRACTICE)
    practice = membership.practice
    if not practice.can_open_modules:
        return Eligibility(Outcome.CONTROL_ARM, membership)
    if practice.is_withdrawn_on(on):
        return Eligibility(Outcome.WITHDRAWN, membership)
    return Eligibility(Outcome.TRACKED, membership)
