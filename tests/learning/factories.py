"""Build modules, practices and learners through the real models and services."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.auth import get_user_model
from wagtail.models import Page

from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.services import record_module_version
from practices.models import Arm, Membership, Practice


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def site_tree() -> Page:
    """Return the home page, creating root, home and site first if a flushed database lost them.

    Transactional tests (live server, browser) start from tables another such test may have
    flushed, so the page tree the migrations made cannot be assumed.
    """
    home = Page.objects.filter(depth=2).first()
    if home is not None:
        return home
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Site

    from content.models import HomePage

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    root = Page.objects.filter(depth=1).first() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Practice asthma learning", slug="home"))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home, "site_name": "Practice asthma learning"}
    )
    return home


def module_index() -> ModuleIndexPage:
    index = ModuleIndexPage.objects.first()
    if index is None:
        home = site_tree()
        index = home.add_child(instance=ModuleIndexPage(title="Modules", slug="modules"))
    return index


def knowledge_check(question: str, options: list[tuple[str, bool]], kind: str = "single") -> dict:
    """Return the raw StreamField data of a knowledge check with stable option ids."""
    return {
        "type": "knowledge_check",
        "id": str(uuid.uuid4()),
        "value": {
            "question": question,
            "kind": kind,
            "hint": "",
            "explanation": "",
            "options": [
                {"type": "item", "id": str(uuid.uuid4()), "value": {"text": text, "is_correct": ok, "feedback": f"Feedback: {text}"}}
                for text, ok in options
            ],
        },
    }


def build_module(
    *,
    slug: str | None = None,
    kind: str = "team",
    sections: list[tuple[int, int]] | None = None,
    threshold: int = 80,
    pass_mark: int | None = None,
    valid_months: int | None = None,
) -> ModulePage:
    """Create and publish a module with sections given as (weight, number of knowledge checks)."""
    sections = sections if sections is not None else [(1, 0)] * 5
    module = module_index().add_child(
        instance=ModulePage(
            title=f"Module {slug or ''}".strip(), slug=slug or _unique("module"), kind=kind,
            summary="A module for tests.", estimated_minutes=30, cpd_hours="0.50",
            completion_threshold=threshold, pass_mark=pass_mark, certificate_valid_months=valid_months,
        )
    )
    # Publish through revisions, as the admin does, so live_revision_id is set.
    module.save_revision().publish()
    for number, (weight, checks) in enumerate(sections, start=1):
        body = [
            knowledge_check(f"Question {number}.{i}", [("Right", True), ("Wrong", False)]) for i in range(1, checks + 1)
        ]
        body.insert(0, {"type": "rich_text", "value": f"<p>Section {number} text.</p>", "id": str(uuid.uuid4())})
        section = module.add_child(
            instance=SectionPage(title=f"Section {number}", slug=f"section-{number}", weight=weight, body=body)
        )
        section.save_revision().publish()
    record_module_version(module=module)
    return ModulePage.objects.get(pk=module.pk)


def sections_of(module: ModulePage) -> list[SectionPage]:
    return list(SectionPage.objects.child_of(module).live().order_by("path"))


def practice(*, arm: str = Arm.IMPLEMENTATION, randomised_on: date | None = date(2026, 1, 5), **fields) -> Practice:
    code = fields.pop("ods_code", None) or f"A{uuid.uuid4().int % 100000:05d}"
    trial_id = None if arm == Arm.NOT_IN_TRIAL else fields.pop("trial_id", None) or _unique("T")
    return Practice.objects.create(
        ods_code=code, name=fields.pop("name", f"Practice {code}"), nation=fields.pop("nation", "england"),
        arm=arm, trial_id=trial_id, randomised_on=randomised_on if arm != Arm.NOT_IN_TRIAL else None, **fields
    )


def learner(*, practice_: Practice | None = None, role: str = "gp", is_lead: bool = False, **fields) -> Membership:
    user = get_user_model().objects.create_user(
        email=fields.pop("email", f"{_unique('learner')}@example.org"), password="a-Long-passw0rd",
        first_name=fields.pop("first_name", "Alex"), last_name=fields.pop("last_name", "Learner"),
    )
    return Membership.objects.create(
        user=user, practice=practice_ or practice(), role=role, is_lead=is_lead,
        started_on=fields.pop("started_on", date(2026, 1, 1)),
    )


def add_section(module: ModulePage, *, title: str, body: list[dict], weight: int = 1) -> SectionPage:
    """Add and publish a section with the given raw StreamField body, recording the new module version."""
    section = module.add_child(instance=SectionPage(title=title, slug=_unique("section"), weight=weight, body=body))
    section.save_revision().publish()
    record_module_version(module=module)
    return SectionPage.objects.get(pk=section.pk)


def document(title: str = "Asthma action plan", name: str = "action-plan.pdf"):
    """Create a Wagtail document with a small file."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    return get_document_model().objects.create(title=title, file=ContentFile(b"%PDF-1.4 demo\n", name=name))


def resource_section_with_link():
    """Build a module whose one section offers a resource block and links another document in its text.

    Return (module, section, the resource's document, the linked document).
    """
    module = build_module(slug="resources", sections=[(1, 0)])
    plan = document()
    linked = document(title="Inhaler guide", name="inhalers.pdf")
    section = add_section(
        module, title="Action plans",
        body=[
            {"type": "resource", "id": str(uuid.uuid4()),
             "value": {"title": "Asthma action plan", "document": plan.pk, "description": "Print it."}},
            {"type": "rich_text", "id": str(uuid.uuid4()),
             "value": f'<p>See the <a linktype="document" id="{linked.pk}">inhaler guide</a>.</p>'},
        ],
    )
    return module, section, plan, linked


def check_option_ids(section: SectionPage, *, correct: bool, index: int = 0) -> list[str]:
    """Return the ids of the right (or wrong) options of the section's index-th knowledge check."""
    checks = [block for block in section.body if block.block_type == "knowledge_check"]
    return [o.id for o in checks[index].value["options"].bound_blocks if bool(o.value["is_correct"]) == correct]


def check_id(section: SectionPage, index: int = 0) -> str:
    return [block.id for block in section.body if block.block_type == "knowledge_check"][index]
