"""Account URLs of our own, placed before allauth's under /accounts/ (sign-up and the profile are practices')."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("2fa/totp/activate/", views.ActivateTOTPView.as_view(), name="mfa_activate_totp"),
]
