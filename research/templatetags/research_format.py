"""Figures as the research emails print them: plain numbers without trailing zeros, flags as "n of N (x%)"."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def figure(value) -> str:
    """Return a median or quartile as written in a report: 3, 2.5 or 2.25, never 3.00."""
    if value is None:
        return "–"
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    return "0" if text in {"-0", ""} else text


@register.filter
def flag(value) -> str:
    """Return a flag count as "count (share%)", or "not applicable" when the flag has no denominator."""
    if value is None or value.count is None:
        return "not applicable"
    if value.share is None:
        return str(value.count)
    percent = (Decimal(str(value.share)) * 100).quantize(Decimal("0.1"))
    return f"{value.count} ({format(percent.normalize(), 'f')}%)"
