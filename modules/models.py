"""Wagtail page types for learning modules: ModuleIndexPage > ModulePage > SectionPage."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PagePermissionTester, Site
from wagtail.search import index

from accounts.roles import PracticeRole

from .blocks import RICH_TEXT_FEATURES, SectionBodyBlock
from .forms import ModulePageForm
from .hooks import registered_page_context, registered_page_template
from .routing import RestrictionCheckMixin


class ModuleKind(models.TextChoices):
    TEAM = "team", "Team module (whole practice team)"
    IN_DEPTH = "in_depth", "In-depth module (clinicians who run asthma reviews)"
    OTHER = "other", "Other"


# Share of a module's weighted content a learner must undertake, unless its editor sets another.
DEFAULT_COMPLETION_THRESHOLD = 80


class RetirableMixin(models.Model):
    """Retirement: a module or section with learner activity is retired (unpublished and frozen), never deleted.

    The retirement fields describe the page row, not its content: revisions neither carry nor
    restore them (`with_content_json`), and they take no part in a module version's content.
    """

    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    retirement_note = models.TextField(blank=True, editable=False)

    exclude_fields_in_copy = ["retired_at", "retired_by", "retirement_note"]

    class Meta:
        abstract = True

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def with_content_json(self, content):
        """Return the page as a revision describes it, keeping this row's retirement (a revision never restores it)."""
        page = super().with_content_json(content)
        page.retired_at = self.retired_at
        page.retired_by_id = self.retired_by_id
        page.retirement_note = self.retirement_note
        return page


RETIREMENT_FIELDS = ("retired_at", "retired_by", "retirement_note")


class ModulePermissionTester(PagePermissionTester):
    """A module's sections are reordered on its "Change structure" page (with a change note), not by dragging."""

    def can_reorder_children(self) -> bool:
        return False


class SectionPermissionTester(PagePermissionTester):
    """A section changes place or module on its module's "Change structure" page (with a change note), not by Move."""

    def can_move(self) -> bool:
        return False


class ModuleIndexPage(RestrictionCheckMixin, Page):
    """The list of modules at /modules/."""

    intro = RichTextField(
        features=RICH_TEXT_FEATURES, blank=True, help_text="Shown above the list of modules (optional)."
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    subpage_types = ["modules.ModulePage"]
    max_count = 1

    @classmethod
    def can_exist_under(cls, parent) -> bool:
        """Allow the module index only directly under a site's home page (its root page), never elsewhere."""
        # Said without naming the home page's type: that belongs to the site shell (content), above modules.
        return super().can_exist_under(parent) and Site.objects.filter(root_page_id=parent.pk).exists()

    def get_context(self, request, *args, **kwargs):
        from .selectors import live_modules

        context = super().get_context(request, *args, **kwargs)
        context["modules"] = live_modules(self)
        context.update(registered_page_context(self, request, **kwargs))
        return context

    def get_template(self, request, *args, **kwargs):
        """Return the template the app that tracks learners registered (modules.hooks), else this page type's own."""
        return registered_page_template(self, request) or super().get_template(request, *args, **kwargs)


class ModulePage(RestrictionCheckMixin, RetirableMixin, Page):  # noqa: DJ008 (Page's __str__ is the title)
    """A module: its audience, learning time, completion rule and ordered sections.

    Sections are the module's child pages; their order in the page tree is the order learners
    take them, so editors reorder sections with Wagtail's own "Sort menu order".
    """

    kind = models.CharField(
        max_length=10, choices=ModuleKind.choices, default=ModuleKind.OTHER,
        help_text="Which of the programme's modules this is (team or in-depth); uptake reports list and "
        "label each module by it.",
    )
    summary = models.TextField(help_text="One or two sentences shown on the module list.")
    audience_roles = models.JSONField(
        default=list, blank=True,
        help_text="Practice roles this module is written for. Leave empty for everyone.",
    )
    estimated_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)],
        help_text="About how long the whole module takes, in minutes; learners see it on the module list and page.",
    )
    cpd_hours = models.DecimalField(
        "CPD hours", max_digits=4, decimal_places=2, validators=[MinValueValidator(0)],
        help_text="Learning time printed on the certificate (for RCGP credits and NMC hours).",
    )
    completion_threshold = models.PositiveSmallIntegerField(
        "completion threshold (%)", default=DEFAULT_COMPLETION_THRESHOLD,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
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
    introduction = RichTextField(
        features=RICH_TEXT_FEATURES, blank=True,
        help_text="Shown on the module page above its list of sections (optional).",
    )

    base_form_class = ModulePageForm
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
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("introduction"),
        index.FilterField("kind"),
    ]
    parent_page_types = ["modules.ModuleIndexPage"]
    subpage_types = ["modules.SectionPage"]
    # The admin's explorer lists sections in the order learners take them (Wagtail's default for a
    # page's children is the most recently edited first).
    admin_default_ordering = "ord"

    def clean(self) -> None:
        super().clean()
        roles = self.audience_roles
        if roles is None:
            self.audience_roles = roles = []
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise ValidationError({"audience_roles": "Audience roles must be a list of practice roles."})
        unknown = sorted(set(roles) - set(PracticeRole.values))
        if unknown:
            raise ValidationError({"audience_roles": f"Unknown practice role(s): {', '.join(unknown)}."})
        if len(set(roles)) != len(roles):
            raise ValidationError({"audience_roles": "Each practice role may be listed only once."})

    def audience_role_labels(self) -> list[str]:
        """Return the audience roles' display names, or an empty list if the module is for everyone."""
        labels = dict(PracticeRole.choices)
        return [labels.get(role, role) for role in self.audience_roles]

    def is_for_role(self, role: str) -> bool:
        """Return True if the module is written for the role (a module with no audience is for all)."""
        return not self.audience_roles or role in self.audience_roles

    def permissions_for_user(self, user) -> PagePermissionTester:
        """Return Wagtail's permissions for the module, without reordering its sections by dragging."""
        return ModulePermissionTester(user, self)

    # The approver signs off a module as a whole: the first (default) preview, which the sign-off
    # task's preview uses too, shows the draft module with every section's latest draft.
    preview_modes = [("whole", "Whole module, with draft sections"), ("", "Module page")]

    def serve_preview(self, request, mode_name):
        """Render the whole draft module (mode "whole") or the module page as learners see it."""
        if mode_name != "whole":
            return super().serve_preview(request, mode_name)
        from django.template.response import TemplateResponse

        from .preview import whole_preview_context

        context = whole_preview_context(module=self, request=request)
        return TemplateResponse(request, "modules/module_whole_preview.html", context)

    def get_context(self, request, *args, **kwargs):
        from .selectors import module_sections

        context = super().get_context(request, *args, **kwargs)
        context["sections"] = module_sections(self)
        context.update(registered_page_context(self, request, **kwargs))
        return context

    def get_template(self, request, *args, **kwargs):
        """Return the template the app that tracks learners registered (modules.hooks), else this page type's own."""
        return registered_page_template(self, request) or super().get_template(request, *args, **kwargs)


class SectionPage(RestrictionCheckMixin, RetirableMixin, Page):  # noqa: DJ008 (Page's __str__ is the title)
    """One section of a module; its weight sets its share of the module's content."""

    summary = models.TextField(blank=True, help_text="One or two sentences shown under the section's title (optional).")
    weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Relative share of the module's content (a section of weight 2 counts twice).",
    )
    body = StreamField(
        SectionBodyBlock(), blank=True,
        help_text="The section's content, in the order learners read it; add blocks with the + button.",
    )

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("weight"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["modules.ModulePage"]
    subpage_types: list[str] = []

    def permissions_for_user(self, user) -> PagePermissionTester:
        """Return Wagtail's permissions for the section, without moving it by Wagtail's Move."""
        return SectionPermissionTester(user, self)

    def serve(self, request, *args, **kwargs):
        """Render the section through the app that registered `render_section_page` (learning)."""
        # modules knows nothing of learners: the app that tracks them renders the page, with the
        # learner's context its gate passes down the serve chain as an argument.
        renderers = hooks.get_hooks("render_section_page")
        if not renderers:
            raise ImproperlyConfigured("No app registers a render_section_page hook.")
        return renderers[-1](self, request, *args, **kwargs)

    def serve_preview(self, request, mode_name):
        """Render an editor's preview through the same renderer, which shows it with a neutral context."""
        request.is_preview = True
        request.preview_mode = mode_name
        return self.serve(request)


class ModuleVersion(models.Model):
    """A numbered published state of a module: its content as learners saw it from `published_at`.

    A version is recorded whenever publishing the module or one of its sections (or unpublishing
    a section) changes what learners see; publishing an unchanged page keeps the current version.
    Learner records keep the version number they worked on, so a later correction never rewrites
    what a learner did. Rows are append-only.
    """

    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who proposed the structure change this version publishes, when a moderator approved someone's proposal.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {page_id: revision_id} of the module and every live section at this version.
    revisions = models.JSONField(default=dict)
    # SHA-256 of the learner-visible content at this version, so republishing unchanged content
    # does not number a new version.
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Why this version exists, in the editor's words; required for structure changes (sections
    # added, reordered, moved or retired), which no page revision describes.
    change_note = models.TextField(blank=True)

    class Meta:
        ordering = ["module", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["module", "number"], name="module_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.module.title} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionDenied("Module versions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Module versions are append-only.")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class StructureProposal(models.Model):
    """A proposed change to a module's structure (reorder, move or retire sections) waiting for a moderator.

    Nothing changes for learners until a moderator approves it: approving applies the change
    (`modules.services.approve_structure_proposal`) and publishes the module's next version with
    the proposal's note. A proposal made from a structure that has changed since cannot be approved.
    """

    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="structure_proposals")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField()
    change_note = models.TextField()
    # [{"section": id, "module": id, "position": n, "retire": bool}, ...], one per section of the module.
    placements = models.JSONField()
    # The module's version number (None if never published) and its sections' ids in order when proposed.
    based_on_version = models.PositiveIntegerField(null=True, blank=True)
    sections_before = models.JSONField()
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    # The version numbers approval published, by module id.
    published_versions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="structure_proposal_decided_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Structure change to {self.module.title} ({self.get_status_display().lower()})"

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING
