"""Certificate pages: verify (public), my certificates, PDFs, reflections and practice archives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import ratelimit
from modules.models import ModulePage

from . import conf, pdf, selectors, services
from .codes import format_code, normalise_code
from .forms import ReflectionForm, VerifyForm
from .models import ArchiveStatus, Certificate, CertificateStatus

VERIFY_TEMPLATE = "certificates/verify.html"
# Never saved: stands in for a certificate when a code is unknown (see verify_code).
_DECOY = Certificate(
    holder_name="Decoy Holder Name Of Ordinary Length", module_title="A module title of ordinary length",
    module_version=1, completed_on=date(2026, 1, 1), learning_hours=Decimal("1.50"), code="0" * 28,
)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    limit = conf.verify_rate_limit()
    decision = ratelimit.hit(request, action="verify_certificate", rates=f"{limit.requests}/{limit.seconds}s/ip")
    if decision.allowed:
        return None
    response = render(request, "certificates/rate_limited.html", {"retry_after": decision.retry_after}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def _verify_headers(response: HttpResponse) -> HttpResponse:
    # The code in the address is a bearer secret for the holder's name: keep it out of
    # referrers, search engines and shared caches.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Show the form to type a code; a valid code goes to its verify page."""
    if limited := _rate_limited(request):
        return limited
    form = VerifyForm(request.GET) if "code" in request.GET else VerifyForm()
    if form.is_bound and form.is_valid():
        return redirect("certificates:verify_code", code=format_code(form.cleaned_data["code"]))
    return _verify_headers(render(request, "certificates/verify_form.html", {"form": form}))


@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """Show what anyone may know about a certificate: name, module, date, time and status."""
    if limited := _rate_limited(request):
        return limited
    stored = normalise_code(code)
    # One indexed lookup whatever the input, so found, unknown and malformed codes cost the same.
    certificate = selectors.certificate_by_code(stored)
    # The details are rendered for a decoy when the code is unknown and then dropped, so a found
    # and an unknown code do the same template work and take the same time.
    shown = certificate or _DECOY
    details = render_to_string(
        "certificates/_verify_details.html",
        {
            "certificate": shown,
            "status": shown.status,
            "statuses": CertificateStatus,
            "learning_time": pdf.format_hours(shown.learning_hours),
        },
    )
    context = {
        "certificate": certificate,
        "details": details if certificate is not None else "",
        "checked_code": format_code(stored) if stored else code[:80],
        "form": VerifyForm(),
    }
    # 200 for "not found" too: a 404 would send the response through Wagtail's redirect lookup
    # (two more queries), and that difference in time would tell which codes exist.
    response = render(request, VERIFY_TEMPLATE, context)
    return _verify_headers(response)


@login_required
@require_GET
def my_certificates(request: HttpRequest) -> HttpResponse:
    """List the learner's own certificates and reflections."""
    certificates = list(selectors.certificates_for_user(request.user))
    reflections = selectors.reflections_for_user(request.user)
    reflected = {r.module_id for r in reflections}
    rows = [
        {
            "certificate": c,
            "status": c.status,
            "learning_time": pdf.format_hours(c.learning_hours),
            "has_reflection": c.module_id in reflected,
        }
        for c in certificates
    ]
    total = sum((c.learning_hours for c in certificates if not c.is_revoked), Decimal("0"))
    context = {
        "rows": rows,
        "reflections": reflections,
        "total_time": pdf.format_hours(total),
        "lead_practices": selectors.lead_practices(request.user),
    }
    return _private(render(request, "certificates/my_certificates.html", context))


@login_required
@require_GET
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """Send a certificate's PDF to its holder, a lead of its practice or an admin; 404 for anyone else."""
    certificate = selectors.downloadable_certificate(request.user, normalise_code(code))
    if certificate is None:
        raise Http404("No certificate found.")
    if certificate.is_revoked:
        return _private(render(request, "certificates/revoked.html", {"certificate": certificate}, status=410))
    content = services.certificate_pdf_bytes(certificate=certificate)
    filename = f"certificate-{slugify(certificate.module_title)}-{certificate.completed_on:%Y-%m-%d}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@login_required
@require_GET
def cpd_summary_pdf(request: HttpRequest) -> HttpResponse:
    """Send the learner's CPD summary (certificates, total hours, reflections) as a PDF."""
    summary = selectors.cpd_summary(request.user)
    content = pdf.render_cpd_summary_pdf(user=request.user, summary=summary)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="cpd-summary.pdf"'
    return _private(response)


@login_required
@require_http_methods(["GET", "POST"])
def edit_reflection(request: HttpRequest, module_id: int) -> HttpResponse:
    """Let the learner write, change or clear their reflection on a module."""
    module = get_object_or_404(ModulePage.objects.live(), pk=module_id)
    existing = selectors.reflection_for(request.user, module.pk)
    if request.method == "POST":
        form = ReflectionForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_reflection(user=request.user, module=module, body=form.cleaned_data["body"])
            except ValidationError as error:
                for message in error.message_dict.get("body", error.messages):
                    form.add_error("body", message)
            else:
                messages.success(request, "Your reflection was saved." if saved else "Your reflection was removed.")
                return redirect(f"{reverse('certificates:mine')}#reflections")
    else:
        form = ReflectionForm(initial={"body": existing.body if existing else ""})
    return _private(render(request, "certificates/reflection_form.html", {"form": form, "module": module}))


def _lead_practice_or_403(request: HttpRequest):
    practices = list(selectors.lead_practices(request.user))
    if not practices:
        raise PermissionDenied("Only practice leads can download their practice's certificates.")
    return practices


@login_required
@require_GET
def practice_certificates(request: HttpRequest) -> HttpResponse:
    """Show a practice lead their practice's certificates and the zip download."""
    practices = _lead_practice_or_403(request)
    blocks = [
        {
            "practice": practice,
            "certificates": list(selectors.certificates_for_practice(practice)),
            "archives": list(selectors.archives_for_lead(request.user, practice)),
        }
        for practice in practices
    ]
    for block in blocks:
        for certificate in block["certificates"]:
            certificate.learning_time = pdf.format_hours(certificate.learning_hours)
    return _private(render(request, "certificates/practice.html", {"blocks": blocks}))


@login_required
@require_POST
def start_archive(request: HttpRequest) -> HttpResponse:
    """Start a zip of the lead's practice certificates and go to its progress page."""
    practices = {p.pk: p for p in _lead_practice_or_403(request)}
    try:
        practice = practices[int(request.POST.get("practice", ""))]
    except (KeyError, ValueError) as error:
        raise Http404("No such practice.") from error
    archive = services.request_certificate_archive(user=request.user, practice=practice)
    return redirect("certificates:archive", archive_id=archive.pk)


def _archive_or_404(request: HttpRequest, archive_id):
    archive = selectors.archive_for_user(request.user, archive_id)
    if archive is None:
        raise Http404("No such download.")
    return archive


def _archive_state(archive) -> dict:
    return {
        "status": archive.status,
        "status_label": archive.get_status_display(),
        "progress": archive.progress,
        "total": archive.total,
        "percent": archive.percent,
        "finished": archive.is_finished,
        "download_url": reverse("certificates:archive_download", args=[archive.pk])
        if archive.status == ArchiveStatus.READY
        else "",
        "error": archive.error,
    }


@login_required
@require_GET
def archive_status(request: HttpRequest, archive_id) -> HttpResponse:
    """Show the zip's progress (the page polls the JSON twin) and the download when ready."""
    archive = _archive_or_404(request, archive_id)
    context = {"archive": archive, "state": _archive_state(archive)}
    return _private(render(request, "certificates/archive_status.html", context))


@login_required
@require_GET
def archive_status_json(request: HttpRequest, archive_id) -> HttpResponse:
    """Return the zip's progress for the status page's poller."""
    archive = _archive_or_404(request, archive_id)
    return _private(JsonResponse(_archive_state(archive)))


@login_required
@require_GET
def archive_download(request: HttpRequest, archive_id) -> HttpResponse:
    """Send the finished zip to the lead who asked for it."""
    archive = _archive_or_404(request, archive_id)
    if archive.status != ArchiveStatus.READY or not archive.file:
        raise Http404("This download is not ready.")
    filename = f"certificates-{slugify(archive.practice.ods_code)}-{archive.created_at:%Y-%m-%d}.zip"
    response = FileResponse(archive.file.open("rb"), as_attachment=True, filename=filename,
                            content_type="application/zip")
    return _private(response)
