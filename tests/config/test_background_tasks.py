"""Wagtail's own background tasks run in-process: no worker is needed for them anywhere."""

from __future__ import annotations

import pytest
from wagtail.models import Page, ReferenceIndex

from content.models import StandardPage

pytestmark = pytest.mark.django_db


def test_saving_a_page_updates_wagtails_reference_index_without_a_worker(django_capture_on_commit_callbacks):
    home = Page.objects.get(depth=2)
    with django_capture_on_commit_callbacks(execute=True):
        page = home.add_child(
            instance=StandardPage(
                title="About", slug="about", body=f'<p>See <a linktype="page" id="{home.pk}">the home page</a>.</p>'
            )
        )
        page.save_revision().publish()
    references = ReferenceIndex.get_references_for_object(page)
    assert references.filter(to_object_id=str(home.pk)).exists()
