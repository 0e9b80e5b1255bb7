"""Knowledge checks as plain data, and the one rule for marking an answer.

A knowledge check lives in a section's StreamField; this module turns the block into a frozen,
picklable value (so a section's rendered body can be cached with its checks) and marks answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

KNOWLEDGE_CHECK = "knowledge_check"


@dataclass(frozen=True)
class CheckOption:
    """One answer option with its stable id."""

    id: str
    text: str
    is_correct: bool
    feedback: str


@dataclass(frozen=True)
class KnowledgeCheck:
    """A knowledge-check block's content, with its explanation already rendered to HTML."""

    id: str
    question: str
    kind: str  # "single" or "multiple"
    hint: str
    options: tuple[CheckOption, ...]
    explanation_html: str

    @property
    def is_multiple(self) -> bool:
        return self.kind == "multiple"

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(option.id for option in self.options if option.is_correct)

    def option(self, option_id: str) -> CheckOption | None:
        for option in self.options:
            if option.id == option_id:
                return option
        return None


@dataclass(frozen=True)
class Marked:
    """A validated answer: the options chosen (in the order given) and whether it is right."""

    selected_option_ids: tuple[str, ...]
    is_correct: bool


def check_from_block(block) -> KnowledgeCheck:
    """Return the plain value of a bound knowledge-check block (a StreamField child)."""
    value = block.value
    explanation = value.get("explanation")
    return KnowledgeCheck(
        id=block.id,
        question=value["question"],
        kind=value["kind"] or "single",
        hint=value.get("hint") or "",
        options=tuple(
            CheckOption(
                id=bound.id,
                text=bound.value["text"],
                is_correct=bool(bound.value["is_correct"]),
                feedback=bound.value.get("feedback") or "",
            )
            for bound in value["options"].bound_blocks
        ),
        explanation_html=str(explanation.__html__()) if explanation else "",
    )


def find_check(body, block_id: str) -> KnowledgeCheck | None:
    """Return the knowledge check with the given block id in a section body, or None."""
    for block in body:
        if block.block_type == KNOWLEDGE_CHECK and block.id == block_id:
            return check_from_block(block)
    return None


def mark_answer(check: KnowledgeCheck, selected_option_ids: list[str]) -> Marked:
    """Validate the chosen option ids against the check and mark them; raise ValidationError if invalid."""
    chosen = tuple(dict.fromkeys(option_id for option_id in selected_option_ids if option_id))
    if not chosen:
        raise ValidationError(
            "Select at least one answer." if check.is_multiple else "Choose an answer.", code="required"
        )
    if any(check.option(option_id) is None for option_id in chosen):
        raise ValidationError("That answer is not one of the options. Reload the page and try again.", code="invalid")
    if not check.is_multiple and len(chosen) != 1:
        raise ValidationError("Choose one answer.", code="invalid")
    return Marked(selected_option_ids=chosen, is_correct=set(chosen) == check.correct_ids)
