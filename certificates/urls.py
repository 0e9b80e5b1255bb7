"""Certificate addresses under /certificates/."""

from __future__ import annotations

from django.urls import path

from core import converters  # noqa: F401 (registers the <id:...> converter)

from . import views

app_name = "certificates"

urlpatterns = [
    path("", views.my_certificates, name="mine"),
    path("verify/", views.verify_form, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify_code"),
    path("cpd-summary.pdf", views.cpd_summary_pdf, name="cpd_summary"),
    path("reflections/<id:module_id>/", views.edit_reflection, name="reflection"),
    path("practice/", views.practice_certificates, name="practice"),
    path("practice/archives/", views.start_archive, name="start_archive"),
    path("practice/archives/<uuid:archive_id>/", views.archive_status, name="archive"),
    path("practice/archives/<uuid:archive_id>/status.json", views.archive_status_json, name="archive_status"),
    path("practice/archives/<uuid:archive_id>/download/", views.archive_download, name="archive_download"),
    path("<str:code>/pdf/", views.certificate_pdf, name="pdf"),
]
