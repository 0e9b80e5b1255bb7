"""Question analytics for editors, worked out by hand.

One module, three sections (weight 1 each, 80% to complete, so all three are needed):
section 1 has no check; section 2 asks Q1 (Blue reliever right; Brown preventer, Spacer wrong);
section 3 asks Q2 (one right answer, one wrong). Seven learners from two practices:

- L1..L7 open section 1; L1..L6 open section 2; L1..L5 open section 3.
- Q1 answers (in time order): L1 Brown, Blue; L2 Blue; L3 Blue; L4 Spacer, Brown, Blue; L5 Brown, Blue; L6 Blue.
  Attempts 2+1+1+3+2+1 = 10; learners 6; right first time L2, L3, L6 = 3 of 6 = 50%;
  wrong picks: Brown preventer 3 (L1, L4, L5), Spacer 1, so Brown preventer is the most chosen (3).
- Q2: L1, L2, L3 answer right once each: attempts 3, learners 3, right first time 3, no wrong pick.

Reach: section 1 reached and worked through by 7; section 2 reached 6, worked through 6 (all answered
Q1); section 3 reached 5, worked through 3 (L1..L3 answered Q2), so only L1..L3 complete the module.
Went no further (not completed): L7 at section 1 (1), L6 at section 2 (1), L4 and L5 at section 3 (2).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import count

import openpyxl
import pytest
from django.urls import reverse

from accounts.roles import ADMIN, EDITOR, LEARNER, MODERATOR, RESEARCHER
from learning import services
from learning.models import ModuleCompletion
from learning.selectors.content_analytics import (
    KnowledgeCheckFigures,
    SectionReach,
    knowledge_check_figures,
    section_reach,
)
from modules.models import ModulePage, SectionPage
from modules.services import record_module_version
from tests.accounts.factories import make_user, sign_in_with_second_factor
from tests.accounts.factories import staff_user as make_staff

from .factories import knowledge_check, learner, module_index, practice, sections_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _option_ids(section: SectionPage) -> dict[str, str]:
    check = next(block for block in section.body if block.block_type == "knowledge_check")
    return {option.value["text"]: option.id for option in check.value["options"].bound_blocks}


@pytest.fixture
def worked_example():
    return build_worked_example()


def build_worked_example() -> tuple[ModulePage, tuple[SectionPage, SectionPage, SectionPage]]:
    """Build the module, learners, views and answers described at the top of this file."""
    module = module_index().add_child(instance=ModulePage(
        title="Asthma basics", slug=f"basics-{uuid.uuid4().hex[:6]}", kind="team", summary="Basics.",
        estimated_minutes=20, cpd_hours="0.50", completion_threshold=80,
    ))
    module.save_revision().publish()
    bodies = [
        [{"type": "rich_text", "value": "<p>Why it matters.</p>", "id": str(uuid.uuid4())}],
        [knowledge_check("Which inhaler relieves symptoms?",
                         [("Blue reliever", True), ("Brown preventer", False), ("Spacer", False)])],
        [knowledge_check("=1+1 How often should plans be reviewed?", [("Every year", True), ("Never", False)])],
    ]
    for number, body in enumerate(bodies, start=1):
        module.add_child(instance=SectionPage(title=f"Part {number}", slug=f"part-{number}", body=body)) \
            .save_revision().publish()
    record_module_version(module=module)
    module = ModulePage.objects.get(pk=module.pk)
    s1, s2, s3 = sections_of(module)
    first, second = practice(name="Brookfield Lane Surgery"), practice(name="Harbourside Health Centre")
    learners = [learner(practice_=first if n <= 4 else second) for n in range(1, 8)]
    clock = count()

    def at():
        return T0 + timedelta(minutes=next(clock))

    for n, membership in enumerate(learners, start=1):
        services.record_access(membership=membership, module=module, section=s1, at=at())
        if n <= 6:
            services.record_access(membership=membership, module=module, section=s2, at=at())
    q1, q2 = _option_ids(s2), _option_ids(s3)
    q1_answers = {
        1: ["Brown preventer", "Blue reliever"], 2: ["Blue reliever"], 3: ["Blue reliever"],
        4: ["Spacer", "Brown preventer", "Blue reliever"], 5: ["Brown preventer", "Blue reliever"], 6: ["Blue reliever"],
    }
    for n, answers in q1_answers.items():
        for text in answers:
            services.record_knowledge_check_attempt(
                membership=learners[n - 1], section=s2, block_id=_check_id(s2), selected_option_ids=[q1[text]], at=at()
            )
    for n in range(1, 6):
        services.record_access(membership=learners[n - 1], module=module, section=s3, at=at())
    for n in range(1, 4):
        services.record_knowledge_check_attempt(
            membership=learners[n - 1], section=s3, block_id=_check_id(s3), selected_option_ids=[q2["Every year"]], at=at()
        )
    return module, (s1, s2, s3)


def _check_id(section: SectionPage) -> str:
    return next(block.id for block in section.body if block.block_type == "knowledge_check")


def test_knowledge_check_figures_match_the_hand_worked_example(worked_example):
    module, (s1, s2, s3) = worked_example
    assert ModuleCompletion.objects.filter(module=module).count() == 3

    figures = knowledge_check_figures()

    assert figures == [
        KnowledgeCheckFigures(
            module_id=module.pk, module_title="Asthma basics", section_number=2, section_title="Part 2",
            block_id=_check_id(s2), question="Which inhaler relieves symptoms?", attempts=10, learners=6,
            correct_first_time=3, most_chosen_wrong_option="Brown preventer", most_chosen_wrong_count=3,
        ),
        KnowledgeCheckFigures(
            module_id=module.pk, module_title="Asthma basics", section_number=3, section_title="Part 3",
            block_id=_check_id(s3), question="=1+1 How often should plans be reviewed?", attempts=3, learners=3,
            correct_first_time=3, most_chosen_wrong_option="", most_chosen_wrong_count=0,
        ),
    ]
    assert str(figures[0].first_attempt_correct_share) == "0.5"


def test_section_reach_matches_the_hand_worked_example(worked_example):
    module, sections = worked_example
    expected = [(7, 7, 1), (6, 6, 1), (5, 3, 2)]
    assert section_reach() == [
        SectionReach(
            module_id=module.pk, module_title="Asthma basics", section_number=number, section_id=section.pk,
            section_title=f"Part {number}", reached=reached, worked_through=worked, stopped_here=stopped,
        )
        for number, (section, (reached, worked, stopped)) in enumerate(zip(sections, expected, strict=True), start=1)
    ]


def _table_rows(html: str) -> list[list[str]]:
    """Return the report table's body rows as lists of cell texts."""
    bodies = [body for body in re.findall(r"<tbody[^>]*>(.*?)</tbody>", html, re.S) if "Asthma basics" in body]
    assert len(bodies) == 1
    body = bodies[0]
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def editor_client(client):
    sign_in_with_second_factor(client, make_staff(EDITOR))
    return client


def test_the_knowledge_check_report_shows_small_counts_as_fewer_than_5(worked_example, editor_client):
    html = editor_client.get(reverse("learning_reports:knowledge_checks")).content.decode()

    assert _table_rows(html) == [
        ["Asthma basics", "2. Part 2", "Which inhaler relieves symptoms?", "10", "6", "50%", "Brown preventer",
         "fewer than 5"],
        ["Asthma basics", "3. Part 3", "=1+1 How often should plans be reviewed?", "fewer than 5", "fewer than 5",
         "not shown (fewer than 5 learners)", "none chosen", "0"],
    ]
    assert "Brookfield" not in html
    assert "Harbourside" not in html


def test_the_section_reach_report_shows_reach_in_learner_order(worked_example, editor_client):
    html = editor_client.get(reverse("learning_reports:section_reach")).content.decode()

    assert _table_rows(html) == [
        ["Asthma basics", "1. Part 1", "7", "7", "fewer than 5"],
        ["Asthma basics", "2. Part 2", "6", "6", "fewer than 5"],
        ["Asthma basics", "3. Part 3", "5", "fewer than 5", "fewer than 5"],
    ]


def test_the_csv_export_hides_small_counts_and_neutralises_formulas(worked_example, editor_client):
    response = editor_client.get(reverse("learning_reports:knowledge_checks") + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows == [
        ["Module", "Section", "Question", "Attempts", "Learners", "Right at the first attempt",
         "Most chosen wrong option", "Times chosen"],
        ["Asthma basics", "2. Part 2", "Which inhaler relieves symptoms?", "10", "6", "50%", "Brown preventer",
         "fewer than 5"],
        ["Asthma basics", "3. Part 3", "'=1+1 How often should plans be reviewed?", "fewer than 5", "fewer than 5",
         "not shown (fewer than 5 learners)", "none chosen", "0"],
    ]


def test_the_xlsx_export_holds_the_same_figures(worked_example, editor_client):
    response = editor_client.get(reverse("learning_reports:section_reach") + "?export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Module", "Section", "Learners who reached it", "Worked through it", "Went no further (module not completed)"],
        ["Asthma basics", "1. Part 1", 7, 7, "fewer than 5"],
        ["Asthma basics", "2. Part 2", 6, 6, "fewer than 5"],
        ["Asthma basics", "3. Part 3", 5, "fewer than 5", "fewer than 5"],
    ]


@pytest.mark.parametrize("group", [EDITOR, MODERATOR, ADMIN])
def test_content_staff_see_the_reports_and_the_menu(client, group):
    sign_in_with_second_factor(client, make_staff(group))
    for name in ("learning_reports:knowledge_checks", "learning_reports:section_reach"):
        assert client.get(reverse(name)).status_code == 200
    assert reverse("learning_reports:knowledge_checks") in client.get(reverse("wagtailadmin_home")).content.decode()


def test_researchers_are_refused_on_the_server(worked_example, client):
    sign_in_with_second_factor(client, make_staff(RESEARCHER))
    for name in ("learning_reports:knowledge_checks", "learning_reports:section_reach"):
        for suffix in ("", "?export=csv", "?export=xlsx"):
            response = client.get(reverse(name) + suffix)
            # Wagtail turns the refusal into its "no permission" message on the dashboard.
            assert response.status_code == 302
            assert response["Location"] == reverse("wagtailadmin_home")
    assert reverse("learning_reports:knowledge_checks") not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_learners_and_practice_leads_never_reach_the_reports(worked_example, client):
    lead = learner(is_lead=True).user
    for user in (make_user(groups=(LEARNER,)), lead):
        client.force_login(user)
        response = client.get(reverse("learning_reports:knowledge_checks") + "?export=csv")
        assert response.status_code in (302, 403)
        assert b"Which inhaler" not in b"".join(getattr(response, "streaming_content", [response.content]))
        client.logout()
