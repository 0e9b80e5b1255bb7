"""Reflections for appraisal: written per module, sanitised on save, shown on My certificates."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError

from certificates import services
from certificates.models import Reflection

from .factories import build_module, issued_certificate, member

pytestmark = pytest.mark.django_db


def test_learner_writes_a_reflection_and_sees_it_sanitised(client):
    learner = member()
    module = build_module(title="Team module")
    issued_certificate(learner, module)
    client.force_login(learner.user)

    form = client.get(f"/certificates/reflections/{module.pk}/")
    assert form.status_code == 200
    assert "Team module" in form.content.decode()

    response = client.post(
        f"/certificates/reflections/{module.pk}/",
        {"body": '<p onclick="steal()">Ask about <em>triggers</em>.</p><script>steal()</script>'
                 '<a href="javascript:steal()">x</a><a href="https://www.nice.org.uk/">NICE</a>'},
    )
    assert response.status_code == 302
    assert response["Location"] == "/certificates/#reflections"
    stored = Reflection.objects.get(user=learner.user, module=module)
    assert stored.body == (
        '<p>Ask about <em>triggers</em>.</p><a>x</a>'
        '<a href="https://www.nice.org.uk/" rel="noopener noreferrer nofollow">NICE</a>'
    )

    page = client.get("/certificates/")
    soup = BeautifulSoup(page.content.decode(), "html.parser")
    section = soup.find("section", attrs={"aria-labelledby": f"reflection-{module.pk}"})
    assert section.find("em").get_text() == "triggers"
    assert soup.find("main").find("script") is None
    assert "steal()" not in page.content.decode()
    assert "Edit your reflection" in page.content.decode()


def test_plain_text_reflections_keep_their_paragraphs(client):
    learner = member()
    module = build_module()
    client.force_login(learner.user)
    client.post(f"/certificates/reflections/{module.pk}/", {"body": "First thought.\n\nSecond thought & more."})
    assert Reflection.objects.get().body == "<p>First thought.</p><p>Second thought &amp; more.</p>"
    # Editing shows what was stored, and saving it unchanged changes nothing.
    form = client.get(f"/certificates/reflections/{module.pk}/")
    textarea = BeautifulSoup(form.content.decode(), "html.parser").find("textarea")
    client.post(f"/certificates/reflections/{module.pk}/", {"body": textarea.get_text()})
    assert Reflection.objects.get().body == "<p>First thought.</p><p>Second thought &amp; more.</p>"


def test_one_reflection_per_learner_and_module_and_empty_removes_it(client):
    learner = member()
    module = build_module()
    client.force_login(learner.user)
    client.post(f"/certificates/reflections/{module.pk}/", {"body": "One"})
    client.post(f"/certificates/reflections/{module.pk}/", {"body": "Two"})
    assert list(Reflection.objects.values_list("body", flat=True)) == ["<p>Two</p>"]
    response = client.post(f"/certificates/reflections/{module.pk}/", {"body": "   "}, follow=True)
    assert Reflection.objects.count() == 0
    assert "Your reflection was removed." in response.content.decode()


def test_a_reflection_that_is_too_long_is_refused_with_a_clear_error(client):
    learner = member()
    module = build_module()
    client.force_login(learner.user)
    response = client.post(f"/certificates/reflections/{module.pk}/", {"body": "x" * 20_001})
    assert response.status_code == 200
    assert "Your reflection must be 20,000 characters or fewer." in response.content.decode()
    assert Reflection.objects.count() == 0
    with pytest.raises(ValidationError):
        services.save_reflection(user=learner.user, module=module, body="y" * 20_001)


def test_learners_never_see_each_others_reflections(client):
    module = build_module()
    mine, theirs = member(), member()
    services.save_reflection(user=theirs.user, module=module, body="Their private note")
    client.force_login(mine.user)
    assert "Their private note" not in client.get("/certificates/").content.decode()
    form = client.get(f"/certificates/reflections/{module.pk}/")
    assert "Their private note" not in form.content.decode()


def test_reflections_need_a_live_module_and_a_signed_in_learner(client):
    module = build_module()
    assert client.get(f"/certificates/reflections/{module.pk}/").status_code == 302
    client.force_login(member().user)
    assert client.get("/certificates/reflections/999999/").status_code == 404
    module.unpublish()
    assert client.get(f"/certificates/reflections/{module.pk}/").status_code == 404
