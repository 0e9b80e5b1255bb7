"""The research API's URLs, under /api/v1/ (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "research_api"

urlpatterns = [
    path("practices/", views.PracticeListView.as_view(), name="practices"),
    path("uptake/practices/", views.UptakeView.as_view(), name="uptake-practices"),
    path("uptake/arms/", views.ArmSummaryView.as_view(), name="uptake-arms"),
    path("cuts/", views.CutListView.as_view(), name="cuts"),
    path("cuts/<str:name>/download/", views.CutDownloadView.as_view(), name="cut-download"),
    path("events/", views.EventListView.as_view(), name="events"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
]
