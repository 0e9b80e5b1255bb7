"""Account URLs of our own, placed before allauth's under /accounts/."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="account_signup"),
    path("profile/", views.profile, name="account_profile"),
    path("2fa/totp/activate/", views.ActivateTOTPView.as_view(), name="mfa_activate_totp"),
]
