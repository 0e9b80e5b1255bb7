"""URL map: allauth accounts, our apps, the Wagtail admin, then Wagtail's page serving last."""

from __future__ import annotations

from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views
from core.media import media_urlpatterns
from modules import routing
from practices import views as practice_views

urlpatterns = [
    # Ours first.
    # allauth's names for pages practices provides: sign-up that knows about invitation links and
    # join codes, and the profile that shows and changes the learner's practice role.
    path("accounts/signup/", practice_views.SignupView.as_view(), name="account_signup"),
    path("accounts/profile/", practice_views.profile, name="account_profile"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    # Every other login page would skip allauth's verification, second factor and rate limits:
    # Wagtail's admin login and password reset, and its page-privacy login (_util/login/, which
    # Wagtail's URLs below would otherwise serve with Django's LoginView). They all lead to allauth's.
    # tests/accounts/test_login_routes.py walks this URL map to keep it that way.
    path("admin/login/", account_views.to_account_login),
    re_path(r"^admin/password_reset/", account_views.to_account_password_reset),
    path("_util/login/", account_views.to_account_login),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("certificates/", include("certificates.urls")),
    # The research API (read-only, token-authenticated; docs/research.md).
    path("api/v1/", include("research.api.urls")),
    path("", include("practices.urls")),
    path("", include("learning.urls")),
    # Image files only, in every environment; module documents under /media/documents/ never.
    *media_urlpatterns(),
    # Pages, as Wagtail's own serve view would (same pattern), found through the route cache.
    re_path(r"^((?:[\w\-]+/)*)$", routing.serve),
    path("", include(wagtail_urls)),
]
