"""Admin forms for module pages."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm

from accounts.roles import PracticeRole


class AudienceRolesField(forms.MultipleChoiceField):
    """Practice roles as checkboxes, cleaned to a list in the roles' own order."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", PracticeRole.choices)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # Older rows or API writes may hold None; the widget needs a list.
        return value or []

    def clean(self, value) -> list[str]:
        chosen = set(super().clean(value))
        # Store in PracticeRole order so two saves of the same choice compare equal.
        return [role for role in PracticeRole.values if role in chosen]


class ModulePageForm(WagtailAdminPageForm):
    """Edit a module, choosing its audience from the practice roles rather than typing JSON."""

    audience_roles = AudienceRolesField(
        label="Audience roles",
        help_text="Practice roles this module is written for. Leave all unticked for everyone.",
    )
