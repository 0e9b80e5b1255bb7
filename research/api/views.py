"""The research API's operations, one view each: read-only, token-authenticated, throttled.

Figures come from the same selectors the uptake_report command uses (learning.selectors.uptake),
events from the same filter and labels as the data package's access log; every call that returns
event-level data or a cut is recorded in the export audit (research.services).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from learning.measures import utc_midnight
from learning.selectors.event_feed import event_page
from learning.selectors.events import RecordFilter
from learning.selectors.uptake import arm_as_dict, practice_as_dict, uptake_report
from practices.models import Practice

from ..models import CutStatus, DataCut
from ..pseudonyms import Pseudonymiser
from ..selectors import freeze_registry, frozen_practices
from ..services import record_api_events, record_cut_download
from . import serializers
from .authentication import ApiTokenAuthentication, SecondFactorSessionAuthentication
from .events import EventLabels, event_as_dict
from .pagination import encode_cursor
from .permissions import IsResearcher
from .throttling import PerTokenRateThrottle

ERROR = inline_serializer("Error", fields={"detail": drf_serializers.CharField()})
PARAMETER_ERRORS = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
     "example": {"window_weeks": ["Ensure this value is less than or equal to 520."]}},
    description="A query parameter was refused: each key names a parameter, with why.",
)
COMMON_RESPONSES = {
    401: OpenApiResponse(ERROR, description="No token, or a token that does not work (the detail says why)."),
    403: OpenApiResponse(ERROR, description="The token's owner is not a researcher or admin."),
    429: OpenApiResponse(ERROR, description="Too many requests for this token; the Retry-After header says when to retry."),
}


class ResearchApiView(APIView):
    """The rules every operation shares: who may call, how often, and no unknown query parameters."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsResearcher]
    throttle_classes = [PerTokenRateThrottle]
    query_serializer: type[drf_serializers.Serializer] | None = None

    def query(self, request) -> dict[str, Any]:
        """Return the validated query parameters, refusing unknown ones and bad values with what is wrong."""
        allowed = set(self.query_serializer().fields) if self.query_serializer else set()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            takes = ", ".join(sorted(allowed)) or "no parameters"
            raise ValidationError({name: [f"Unknown parameter; this endpoint takes {takes}."] for name in unknown})
        repeated = sorted(name for name in request.query_params if len(request.query_params.getlist(name)) > 1)
        if repeated:
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        # DRF reads an empty query value as if the parameter were absent; say so instead of ignoring it.
        blank = sorted(name for name, value in request.query_params.items() if value == "")
        if blank:
            raise ValidationError({name: ["Give a value, or leave the parameter out."] for name in blank})
        if not self.query_serializer:
            return {}
        serializer = self.query_serializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Trial data: never kept by a browser or proxy cache.
        add_never_cache_headers(response)
        return response


class PracticeListView(ResearchApiView):
    query_serializer = serializers.PracticeQuerySerializer

    @extend_schema(
        operation_id="practices_list", summary="The practice registry, without names",
        parameters=[serializers.PracticeQuerySerializer],
        responses={200: serializers.PracticeSerializer(many=True), 400: PARAMETER_ERRORS, **COMMON_RESPONSES},
    )
    def get(self, request):
        """Every practice in the registry (trial ID, ODS code, arm, nation, dates, data choice), in trial-ID order."""
        params = self.query(request)
        practices = Practice.objects.filter(**params).order_by(F("trial_id").asc(nulls_last=True), "ods_code")
        return Response(list(practices.values(*serializers.PracticeSerializer().fields)))


def _report_head(report) -> dict[str, Any]:
    data = report.as_dict()
    return {"generated_at": data["generated_at"], "parameters": data["parameters"], "modules": data["modules"]}


class UptakeView(ResearchApiView):
    query_serializer = serializers.UptakeQuerySerializer

    @extend_schema(
        operation_id="uptake_practices", summary="Uptake per practice and module (the uptake_report command's practices)",
        parameters=[serializers.UptakeQuerySerializer],
        responses={200: serializers.UptakeSerializer, 400: PARAMETER_ERRORS, **COMMON_RESPONSES},
    )
    def get(self, request):
        """Each practice's accesses, learners, completers (by role), first dates and window flags per module."""
        report = uptake_report(**self.query(request))
        return Response({**_report_head(report), "practices": [practice_as_dict(row) for row in report.practices]})


class ArmSummaryView(ResearchApiView):
    query_serializer = serializers.UptakeQuerySerializer

    @extend_schema(
        operation_id="uptake_arms", summary="Per-arm summaries (the uptake_report command's arms)",
        parameters=[serializers.UptakeQuerySerializer],
        responses={200: serializers.ArmsSerializer, 400: PARAMETER_ERRORS, **COMMON_RESPONSES},
    )
    def get(self, request):
        """Each arm's number of practices, the spread of per-practice figures, and practices meeting each flag."""
        report = uptake_report(**self.query(request))
        return Response({**_report_head(report), "arms": [arm_as_dict(row) for row in report.arms]})


def _cut_as_dict(cut: DataCut, request) -> dict[str, Any]:
    ready = cut.is_ready
    return {
        "name": cut.name,
        "cut_at": cut.cut_at,
        "start": cut.start,
        "end": cut.end,
        "status": cut.status,
        "rows_total": cut.rows_total,
        "created_at": cut.created_at,
        "finished_at": cut.finished_at,
        "archive_sha256": cut.archive_sha256 if ready else "",
        "files": cut.files if ready else [],
        "download": request.build_absolute_uri(reverse("research_api:cut-download", args=[cut.name])) if ready else None,
    }


class CutListView(ResearchApiView):
    @extend_schema(
        operation_id="cuts_list", summary="Data cuts, newest first",
        responses={200: serializers.CutSerializer(many=True), 400: PARAMETER_ERRORS, **COMMON_RESPONSES},
    )
    def get(self, request):
        """Every data cut: its period, cut time, status, files with checksums, and its download once ready."""
        self.query(request)
        return Response([_cut_as_dict(cut, request) for cut in DataCut.objects.order_by("-cut_at", "-id")])


class CutDownloadView(ResearchApiView):
    @extend_schema(
        operation_id="cuts_download", summary="Download a complete cut's zip (recorded in the export audit)",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cut's name.")],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The cut's zip."),
            400: PARAMETER_ERRORS,
            404: OpenApiResponse(ERROR, description="No cut has this name."),
            409: OpenApiResponse(ERROR, description="The cut's files are not complete (still being written, or failed)."),
            **COMMON_RESPONSES,
        },
    )
    def get(self, request, name: str):
        """Send the zip of a ready cut, recording who downloaded it with which token."""
        self.query(request)
        cut = DataCut.objects.filter(name=name).first()
        if cut is None:
            raise NotFound(f"No data cut is named {name!r}.")
        if not cut.is_ready:
            reason = (cut.error if cut.status == CutStatus.FAILED and cut.error
                      else f"its status is {cut.get_status_display().lower()}")
            return Response({"detail": f"The cut {cut.name!r} has no complete files to download: {reason}."}, status=409)
        record_cut_download(cut=cut, user=request.user, api_token_id=request.auth.pk)
        response = FileResponse(cut.archive.open("rb"), as_attachment=True, filename=f"data-cut-{cut.name}.zip",
                                content_type="application/zip")
        response["X-Content-Type-Options"] = "nosniff"
        return response


class EventListView(ResearchApiView):
    query_serializer = serializers.EventQuerySerializer

    @extend_schema(
        operation_id="events_list", summary="Pseudonymised events (the access log), a page at a time",
        parameters=[serializers.EventQuerySerializer],
        responses={200: serializers.EventPageSerializer, 400: PARAMETER_ERRORS, **COMMON_RESPONSES},
    )
    def get(self, request):
        """The access log's rows in time order, for trial practices whose data is kept; each call is audited."""
        params = self.query(request)
        frozen = freeze_registry()
        practices = frozen_practices(frozen)
        start, end = params.get("start"), params.get("end")
        where = RecordFilter(
            practice_ids=sorted(p.id for p in practices if p.activity_included),
            until=timezone.now(),
            start=utc_midnight(start) if start else None,
            end=utc_midnight(end) if end else None,
            collection_ends={p.id: p.collection_ends for p in practices if p.collection_ends is not None},
        )
        size = params["page_size"]
        records = event_page(where, after=params.get("cursor"), limit=size + 1)
        more = len(records) > size
        records = records[:size]
        labels = EventLabels(frozen, practices)
        pseudonym = Pseudonymiser()
        results = [event_as_dict(record, labels, pseudonym) for record in records]
        next_url = None
        if more:
            last = records[-1]
            query = request.query_params.copy()
            query["cursor"] = encode_cursor(last[9], last[0])
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        record_api_events(
            user=request.user, api_token_id=request.auth.pk, rows=len(results),
            parameters={
                "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
                "page_size": size, "cursor": request.query_params.get("cursor"),
            },
        )
        return Response({"next": next_url, "results": results})


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: for token holders, and for researchers signed in with their second factor."""

    authentication_classes = [ApiTokenAuthentication, SecondFactorSessionAuthentication]
    permission_classes = [IsResearcher]
    throttle_classes = [PerTokenRateThrottle]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files (drf-spectacular-sidecar), with its script served apart for the CSP."""

    authentication_classes = [ApiTokenAuthentication, SecondFactorSessionAuthentication]
    permission_classes = [IsResearcher]
    throttle_classes = [PerTokenRateThrottle]
    template_name = "research/api/swagger_ui.html"
    url_name = "research_api:schema"
