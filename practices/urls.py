"""Practice URLs: joining (by link or code) and a lead's invitations. /practice/ itself is learning's dashboard."""

from __future__ import annotations

from django.urls import path

from core import converters  # noqa: F401 (registers the <id:...> converter)

from . import views

app_name = "practices"

urlpatterns = [
    path("practice/invite/", views.invite_colleague, name="invite"),
    path("practice/invitations/<id:pk>/cancel/", views.cancel_invitation, name="cancel_invitation"),
    path("join/", views.join_with_code, name="join"),
    path("join/<str:token>/", views.join_invitation, name="join_invitation"),
]
