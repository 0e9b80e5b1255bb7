"""How the research API knows who calls: a bearer token, or (for the docs only) an MFA-proven session."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.middleware import has_totp, session_used_second_factor

from .tokens import TokenRefused, check_api_token, may_use_research_api

KEYWORD = "Bearer"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate `Authorization: Bearer rk_...` against research.ApiToken (hashed, expiring, revocable)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>', with no spaces in it.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        try:
            token = check_api_token(secret)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="research API"'


class SecondFactorSessionAuthentication(authentication.SessionAuthentication):
    """A signed-in researcher's session, accepted only if it proved the second factor (for the schema and docs pages)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user = found[0]
        if not (may_use_research_api(user) and has_totp(user) and session_used_second_factor(request._request, user)):
            return None
        return found


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describe the token as an HTTP bearer scheme in the OpenAPI schema."""

    target_class = "research.api.authentication.ApiTokenAuthentication"
    name = "researchToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A research API token (rk_...), created under Research > API tokens in the admin.",
        }
