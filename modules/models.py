"""Wagtail page types for learning modules: ModuleIndexPage > ModulePage > SectionPage."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from accounts.roles import PracticeRole

from .blocks import RICH_TEXT_FEATURES, SectionBodyBlock


class ModuleKind(models.TextChoices):
    TEAM = "team", "Team module (whole practice team)"
    IN_DEPTH = "in_depth", "In-depth module (clinicians who run asthma reviews)"
    OTHER = "other", "Other"


class ModuleIndexPage(Page):
    """The list of modules at /modules/."""

    intro = RichTextField(features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["modules.ModulePage"]
    max_count = 1


class ModulePage(Page):
    """A module: its audience, learning time, completion rule and ordered sections."""

    kind = models.CharField(max_length=10, choices=ModuleKind.choices, default=ModuleKind.OTHER)
    summary = models.TextField(help_text="One or two sentences shown on the module list.")
    audience_roles = models.JSONField(
        default=list, blank=True,
        help_text="Practice roles this module is written for. Leave empty for everyone.",
    )
    estimated_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    cpd_hours = models.DecimalField(
        "CPD hours", max_digits=4, decimal_places=2, validators=[MinValueValidator(0)],
        help_text="Learning time printed on the certificate (for RCGP credits and NMC hours).",
    )
    completion_threshold = models.PositiveSmallIntegerField(
        "completion threshold (%)", default=80, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of the module's weighted content a learner must undertake to complete it.",
    )
    pass_mark = models.PositiveSmallIntegerField(
        "knowledge-check pass mark (%)", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="If set, the share of knowledge-check questions a learner must answer correctly to complete.",
    )
    certificate_valid_months = models.PositiveSmallIntegerField(
        "certificate validity (months)", null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Leave empty for certificates that never expire.",
    )
    introduction = RichTextField(features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("summary"),
        FieldPanel("introduction"),
        MultiFieldPanel(
            [
                FieldPanel("audience_roles"),
                FieldPanel("estimated_minutes"),
                FieldPanel("cpd_hours"),
            ],
            heading="Audience and learning time",
        ),
        MultiFieldPanel(
            [
                FieldPanel("completion_threshold"),
                FieldPanel("pass_mark"),
                FieldPanel("certificate_valid_months"),
            ],
            heading="Completion and certificate",
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary")]
    parent_page_types = ["modules.ModuleIndexPage"]
    subpage_types = ["modules.SectionPage"]

    def audience_role_labels(self) -> list[str]:
        labels = dict(PracticeRole.choices)
        return [labels.get(role, role) for role in self.audience_roles]


class SectionPage(Page):
    """One section of a module; its weight sets its share of the module's content."""

    summary = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Relative share of the module's content (a section of weight 2 counts twice).",
    )
    body = StreamField(SectionBodyBlock(), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("weight"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["modules.ModulePage"]
    subpage_types: list[str] = []


class ModuleVersion(models.Model):
    """A numbered published state of a module: written whenever the module or a section is published.

    Learner records keep the version number they worked on, so a later correction never rewrites
    what a learner did.
    """

    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {page_id: revision_id} of the module and every live section at this version.
    revisions = models.JSONField(default=dict)

    class Meta:
        ordering = ["module", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["module", "number"], name="module_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.module.title} v{self.number}"
