"""Research API tokens: create (shown once), check on each call, and revoke.

A token is `rk_` and 43 random URL-safe characters (256 bits). Only its SHA-256 digest is stored,
with its first characters (`prefix`) to find it and to tell tokens apart in the admin. An unsalted
digest is enough here, as in django-rest-knox: the token is random, not a password, so there is
nothing to guess from a leaked digest. A token works only while it is neither revoked nor expired
and its owner is still an active researcher or admin with an authenticator app set up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.middleware import has_totp
from accounts.roles import ADMIN, RESEARCHER, user_in_groups

from .. import conf
from ..models import ApiToken

TOKEN_MARK = "rk_"  # noqa: S105 (the mark every token starts with, not a secret)
PREFIX_LENGTH = 11  # "rk_" and the first 8 random characters


def may_use_research_api(user) -> bool:
    """Return True for an active researcher or admin (superusers too): the only people who hold API tokens."""
    return user_in_groups(user, RESEARCHER, ADMIN)


def token_digest(token: str) -> str:
    """Return the hex SHA-256 digest of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the stored row and the token itself, which is shown once and never again."""

    token: ApiToken
    secret: str


@transaction.atomic
def create_api_token(*, user, name: str, days: int, now: datetime | None = None) -> IssuedToken:
    """Create a token for a researcher or admin with two-factor set up, expiring after `days` days."""
    if not may_use_research_api(user):
        raise PermissionDenied("Only researchers and admins can hold research API tokens.")
    if not has_totp(user):
        raise ValidationError("Set up an authenticator app before creating an API token.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for, e.g. 'analysis pipeline'."})
    if not 1 <= days <= conf.API_TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"A token lives from 1 to {conf.API_TOKEN_MAX_DAYS} days, not {days}."})
    now = now or timezone.now()
    secret = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:PREFIX_LENGTH], digest=token_digest(secret), created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return IssuedToken(token=token, secret=secret)


def visible_tokens(user):
    """Return the tokens a user may see in the admin: admins all, researchers their own, others none."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if user_in_groups(user, ADMIN):
        return tokens
    if may_use_research_api(user):
        return tokens.filter(user=user)
    return tokens.none()


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by) -> ApiToken:
    """Revoke a token for good (its owner, or an admin); revoking a revoked token changes nothing."""
    if not (token.user_id == by.pk and may_use_research_api(by)) and not user_in_groups(by, ADMIN):
        raise PermissionDenied("Only the token's owner or an admin can revoke it.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


class TokenRefused(Exception):
    """A token that does not grant access, with the reason its holder is told."""


def check_api_token(secret: str, *, now: datetime | None = None) -> ApiToken:
    """Return the usable token a secret stands for (recording its use), or raise TokenRefused saying why."""
    now = now or timezone.now()
    if not secret.startswith(TOKEN_MARK) or len(secret) < PREFIX_LENGTH + 8:
        raise TokenRefused("Invalid token.")
    digest = token_digest(secret)
    # Found by prefix and compared in constant time, so response timing says nothing about the digest.
    token = next(
        (candidate for candidate in ApiToken.objects.select_related("user").filter(prefix=secret[:PREFIX_LENGTH])
         if hmac.compare_digest(candidate.digest, digest)),
        None,
    )
    if token is None:
        raise TokenRefused("Invalid token.")
    if token.revoked_at is not None:
        raise TokenRefused("This token has been revoked.")
    if token.expires_at <= now:
        raise TokenRefused(f"This token expired at {token.expires_at:%Y-%m-%d %H:%M} UTC; create a new one.")
    user = token.user
    if not may_use_research_api(user):
        raise TokenRefused("This token's owner is no longer an active researcher or admin.")
    if not has_totp(user):
        raise TokenRefused("This token's owner has no authenticator app set up; two-factor authentication is required.")
    if token.last_used_at is None or token.last_used_at <= now - timedelta(seconds=conf.API_TOKEN_LAST_USE_EVERY_SECONDS):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
