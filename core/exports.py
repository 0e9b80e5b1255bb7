"""Wagtail admin exports (CSV and XLSX) that never hand a spreadsheet a formula.

Every admin listing of our models uses SafeExportIndexView (or SafeExportMixin on its own index
view), so each exported text cell goes through core.csv.safe_cell, in both formats. XLSX cells
are typed, and Wagtail already stores a cell openpyxl takes for a formula as text; the quote is
added there too so the two files hold the same values and a sheet re-saved as CSV stays safe.
"""

from __future__ import annotations

from wagtail.admin.views.generic import IndexView

from .csv import safe_cell


class SafeExportMixin:
    """Pass every exported value through safe_cell after Wagtail's own preprocessing."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        # Dates and numbers stay typed for XLSX; only text can be read as a formula.
        return safe_cell(value) if isinstance(value, str) else value


class SafeExportIndexView(SafeExportMixin, IndexView):
    """A ModelViewSet index view whose CSV and XLSX exports neutralise formula cells."""
