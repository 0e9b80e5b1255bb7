"""URL map: allauth accounts, our apps, the Wagtail admin, then Wagtail's page serving last."""

from __future__ import annotations

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as account_views

urlpatterns = [
    # Ours first: the profile, and sign-up that knows about invitation links.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    # The Wagtail admin's own login would skip allauth's verification and MFA: send it there.
    path("admin/login/", account_views.admin_login),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("certificates/", include("certificates.urls")),
    path("", include("practices.urls")),
    path("", include("learning.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
