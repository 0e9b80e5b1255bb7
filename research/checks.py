"""System checks for the research settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from . import conf


@register(Tags.security, deploy=True)
def check_pseudonym_key(app_configs, **kwargs) -> list[Error]:
    """Refuse a missing, short, public or placeholder pseudonymisation key in a deployment (check --deploy)."""
    problem = conf.key_problem(getattr(settings, "RESEARCH_PSEUDONYM_KEY", ""))
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint=(
                f"Set RESEARCH_PSEUDONYM_KEY to at least {conf.MIN_KEY_LENGTH} random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), keep it for the whole study "
                "and store it apart from the database."
            ),
            id="research.E001",
        )
    ]
