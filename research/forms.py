"""The admin form for creating a data cut."""

from __future__ import annotations

from django import forms

from .models import validate_cut_name


class DataCutForm(forms.Form):
    """A new cut's name and optional period; the cut time is the moment it is created."""

    name = forms.CharField(
        max_length=80, validators=[validate_cut_name],
        help_text="For example 2026-06-primary-analysis: lower-case letters, digits, dots, hyphens or underscores.",
    )
    start = forms.DateField(
        required=False, label="Period start (optional)", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Include what happened from 00:00 UTC on this date. Leave empty for the beginning.",
    )
    end = forms.DateField(
        required=False, label="Period end (optional)", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Include what happened before 00:00 UTC on this date. Leave empty for up to the cut time.",
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            self.add_error("end", "The end date must be after the start date (the period is start to before end).")
        return data
