"""Demonstration modules: the module index, the team module and the in-depth module.

`seed_demo_modules()` creates whatever is missing and leaves everything that exists alone, so it
can run on every `make run`. Pages are published through Wagtail's normal revision publish, so
each module gets a numbered version exactly as an editor's publish would give it.
"""

from __future__ import annotations

import uuid
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from modules.blocks import SectionBodyBlock
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.resources import module_resources_collection

from . import module_content as demo_content

# Block ids are derived from the content's place in the demo, so every fresh database gives
# the demo's knowledge checks and options the same stable ids.
_ID_NAMESPACE = uuid.UUID("6f1f6a51-3d2c-4b8e-9c57-2d0f3b8a7e15")


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _with_ids(value: Any, path: str) -> Any:
    """Return a copy of raw StreamField data with a deterministic id on every stream or list item."""
    if isinstance(value, list):
        return [_with_ids(item, f"{path}/{i}") for i, item in enumerate(value)]
    if isinstance(value, dict):
        copy = {key: _with_ids(item, f"{path}/{key}") for key, item in value.items()}
        if "type" in value and "value" in value and "id" not in value:
            copy["id"] = str(uuid.uuid5(_ID_NAMESPACE, path))
        return copy
    return value


def _resolve_resources(raw: list[dict[str, Any]], documents: dict[str, int]) -> list[dict[str, Any]]:
    resolved = []
    for item in raw:
        if item["type"] == "resource":
            value = dict(item["value"])
            value["document"] = documents[value.pop("document_key")]
            item = {**item, "value": value}
        resolved.append(item)
    return resolved


def build_section_body(raw: list[dict[str, Any]], *, path: str, documents: dict[str, int]) -> list[dict[str, Any]]:
    """Return a section body's raw data with ids and documents filled in, after validating it."""
    body = _with_ids(_resolve_resources(raw, documents), path)
    block = SectionBodyBlock()
    # Fail loudly on demo content an editor could not save (e.g. a check with no right answer).
    block.clean(block.to_python(body))
    return body


def _publish(page: Page) -> None:
    page.save_revision(log_action=True).publish()


def _home_page() -> Page:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise RuntimeError("No default Wagtail site: run migrations first (content creates the home page).")
    return site.root_page


def _ensure_index(home: Page, stdout: IO[str] | None) -> ModuleIndexPage:
    index = ModuleIndexPage.objects.first()
    if index is not None:
        _say(stdout, f"Module index {index.get_url()} exists; left unchanged.")
        return index
    spec = demo_content.MODULE_INDEX
    index = home.add_child(instance=ModuleIndexPage(title=spec["title"], slug=spec["slug"], intro=spec["intro"], live=False))
    _publish(index)
    _say(stdout, f"Created and published the module index {index.get_url()}.")
    return index


def _ensure_action_plan_document() -> int:
    Document = get_document_model()
    spec = demo_content.ACTION_PLAN_DOCUMENT
    # Module resources are private: learners get them through the gated download view only.
    collection = module_resources_collection()
    existing = Document.objects.filter(title=spec["title"], collection=collection).first()
    if existing is not None:
        return existing.pk
    from weasyprint import HTML  # Imported here: WeasyPrint is slow to import and only needed once.

    html = render_to_string("demo/asthma_action_plan.html", {"plan": spec})
    pdf = HTML(string=html).write_pdf()
    document = Document(title=spec["title"], collection=collection)
    document.file.save(spec["filename"], ContentFile(pdf), save=False)
    document._set_document_file_metadata()
    document.save()
    return document.pk


def _ensure_module(index: ModuleIndexPage, spec: dict[str, Any], documents: dict[str, int],
                   stdout: IO[str] | None) -> ModulePage:
    module = ModulePage.objects.child_of(index).filter(slug=spec["slug"]).first()
    if module is not None:
        _say(stdout, f"Module {module.get_url()} exists; left unchanged.")
        return module
    fields = {key: value for key, value in spec.items() if key != "sections"}
    module = index.add_child(instance=ModulePage(**fields, live=False))
    _publish(module)
    for section_spec in spec["sections"]:
        body = build_section_body(
            section_spec["body"], path=f"{spec['slug']}/{section_spec['slug']}", documents=documents
        )
        section = module.add_child(instance=SectionPage(
            title=section_spec["title"], slug=section_spec["slug"], summary=section_spec["summary"],
            weight=section_spec["weight"], body=body, live=False,
        ))
        _publish(section)
    _say(stdout, f"Created and published {module.get_url()} with {len(spec['sections'])} sections.")
    return module


def seed_demo_modules(stdout: IO[str] | None = None) -> None:
    """Create and publish the demonstration module index and modules that do not exist yet."""
    # One transaction: a failure leaves nothing half-made, and each module's pages, published
    # together, become that module's version 1.
    with transaction.atomic():
        home = _home_page()
        index = _ensure_index(home, stdout)
        existing = set(ModulePage.objects.child_of(index).values_list("slug", flat=True))
        missing = [spec for spec in demo_content.MODULES if spec["slug"] not in existing]
        # The document is made only for a module that needs it, so a re-run touches nothing.
        documents = {"action_plan": _ensure_action_plan_document()} if missing else {}
        for spec in demo_content.MODULES:
            _ensure_module(index, spec, documents, stdout)
