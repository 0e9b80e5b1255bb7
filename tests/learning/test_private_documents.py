"""Module resources are private: served through the gated download view, not by their /documents/ address."""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.documents import get_document_model
from wagtail.models import Collection

from accounts.roles import EDITOR, RESEARCHER
from learning.models import EventType, LearningEvent
from modules.resources import MODULE_RESOURCES_COLLECTION, module_resources_collection
from practices.models import Arm
from tests.accounts.factories import sign_in_with_second_factor, staff_user

from .factories import document, learner, practice, resource_section_with_link

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


@pytest.fixture
def resource_section():
    return resource_section_with_link()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@time_machine.travel(TODAY, tick=False)
def test_nobody_but_editors_fetches_a_document_by_its_documents_address(client, resource_section):
    _, _, plan, _ = resource_section
    anonymous = client.get(plan.url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    for member in (learner(), learner(practice_=practice(arm=Arm.CONTROL))):
        client.force_login(member.user)
        assert client.get(plan.url).status_code == 403
    researcher = Client()
    sign_in_with_second_factor(researcher, staff_user(RESEARCHER))
    assert researcher.get(plan.url).status_code == 403
    editor = Client()
    sign_in_with_second_factor(editor, staff_user(EDITOR))
    response = editor.get(plan.url)
    assert response.status_code == 200
    assert _body(response) == b"%PDF-1.4 demo\n"


@time_machine.travel(TODAY, tick=False)
def test_a_tracked_learner_gets_the_file_from_the_gated_view(client, resource_section):
    _, section, plan, linked = resource_section
    member = learner()
    client.force_login(member.user)
    html = client.get(section.url).content.decode()
    # Both the resource block and the document link in the text go through the gated view.
    assert f'href="/learning/resources/{section.pk}/{plan.pk}/"' in html
    assert f'href="/learning/resources/{section.pk}/{linked.pk}/"' in html
    assert "/documents/" not in html
    response = client.get(f"/learning/resources/{section.pk}/{plan.pk}/")
    assert response.status_code == 200
    assert _body(response) == b"%PDF-1.4 demo\n"
    assert response["Content-Type"] == "application/pdf"
    assert "private" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert LearningEvent.objects.filter(event_type=EventType.RESOURCE_DOWNLOAD).count() == 1


@time_machine.travel(TODAY, tick=False)
def test_control_arm_and_anonymous_visitors_get_nothing_from_the_gated_view(client, resource_section):
    _, section, plan, _ = resource_section
    url = f"/learning/resources/{section.pk}/{plan.pk}/"
    assert client.get(url).status_code == 302
    client.force_login(learner(practice_=practice(arm=Arm.CONTROL)).user)
    response = client.get(url)
    assert response.status_code == 403
    assert b"%PDF" not in _body(response)


def test_documents_live_in_the_private_collection_restricted_to_content_staff():
    collection = module_resources_collection()
    assert collection.name == MODULE_RESOURCES_COLLECTION
    (restriction,) = collection.get_view_restrictions()
    assert restriction.restriction_type == restriction.GROUPS
    assert {group.name for group in restriction.groups.all()} >= {EDITOR}
    assert module_resources_collection() == collection


def test_the_migration_moves_existing_documents_into_the_private_collection():
    from django.apps import apps

    migration = importlib.import_module("modules.migrations.0004_private_module_resources")
    Document = get_document_model()
    root = Collection.get_first_root_node()
    elsewhere = root.add_child(name="Uploads")
    document(title="Old upload", name="old.pdf")
    Document.objects.create(title="Filed elsewhere", collection=elsewhere, file=ContentFile(b"x", name="x.txt"))
    migration.move_documents_to_private_collection(apps, None)
    migration.move_documents_to_private_collection(apps, None)  # idempotent
    assert set(Document.objects.values_list("collection__name", flat=True)) == {MODULE_RESOURCES_COLLECTION}
    assert Collection.objects.filter(name=MODULE_RESOURCES_COLLECTION).count() == 1
