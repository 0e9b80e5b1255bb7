"""Learning URLs: knowledge-check answers, resource downloads, completion, the record and the lead dashboard."""

from __future__ import annotations

from django.urls import path

from core import converters  # noqa: F401 (registers the <id:...> converter)

from . import views

app_name = "learning"

urlpatterns = [
    path("learning/checks/<id:section_id>/<str:block_id>/", views.answer_knowledge_check, name="answer_knowledge_check"),
    path("learning/resources/<id:section_id>/<id:document_id>/", views.resource_download, name="resource_download"),
    path("learning/complete/<slug:slug>/", views.module_completion, name="module_completion"),
    path("learning/record/", views.learning_record, name="record"),
    path("learning/record.csv", views.learning_record_csv, name="record_csv"),
    path("practice/", views.practice_dashboard, name="practice_dashboard"),
]
