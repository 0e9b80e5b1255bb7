"""Render Django form fields with NHS.UK design-system classes, hints and error messages."""

from __future__ import annotations

from django import template
from django.forms import BoundField

register = template.Library()

_WIDGET_CLASSES = {
    "select": ("nhsuk-select", "nhsuk-select--error"),
    "textarea": ("nhsuk-textarea", "nhsuk-textarea--error"),
    "checkbox": ("nhsuk-checkboxes__input", ""),
}


def hint_id(field: BoundField) -> str:
    """Return the id of the field's hint element."""
    return f"{field.auto_id}-hint"


def error_id(field: BoundField) -> str:
    """Return the id of the field's error message element."""
    return f"{field.auto_id}-error"


@register.simple_tag
def nhsuk_widget(field: BoundField, extra_class: str = "") -> str:
    """Render the field's widget with NHS.UK classes and aria-describedby for its hint and error."""
    base, error = _WIDGET_CLASSES.get(field.widget_type, ("nhsuk-input", "nhsuk-input--error"))
    classes = [base, extra_class]
    if field.errors and error:
        classes.append(error)
    described_by = []
    if field.help_text:
        described_by.append(hint_id(field))
    if field.errors:
        described_by.append(error_id(field))
    attrs: dict[str, object] = {
        "class": " ".join(c for c in classes if c),
        # The design system asks for hints, not placeholders, which vanish as people type.
        "placeholder": False,
    }
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)


@register.filter
def field_hint_id(field: BoundField) -> str:
    """Return the id of the field's hint element (template filter)."""
    return hint_id(field)


@register.filter
def field_error_id(field: BoundField) -> str:
    """Return the id of the field's error message element (template filter)."""
    return error_id(field)
