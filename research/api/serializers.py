"""The research API's inputs (query parameters, validated with errors that name the parameter) and outputs.

Outputs describe, for the OpenAPI schema, the JSON the selectors' own dict forms produce
(learning.selectors.uptake.practice_as_dict and arm_as_dict), so the API and the uptake_report
command print the same structure from the same code.
"""

from __future__ import annotations

from rest_framework import serializers

from accounts.roles import PracticeRole
from learning.measures import DEFAULT_WINDOW_WEEKS, MAX_WINDOW_WEEKS
from learning.models import EventType
from modules.models import ModuleKind
from practices.models import Arm, Nation, WithdrawalDataChoice

from .. import conf
from ..models import CutStatus
from .pagination import decode_cursor

DATE_HELP = "YYYY-MM-DD, meaning 00:00 UTC on that date."


class PeriodSerializer(serializers.Serializer):
    """A period [start, end): start inclusive, end exclusive, either open."""

    start = serializers.DateField(required=False, help_text=f"Count from this date (inclusive); {DATE_HELP}")
    end = serializers.DateField(required=False, help_text=f"Count before this date (exclusive); {DATE_HELP}")

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError(
                {"end": [f"end ({end}) must be after start ({start}): the period is start to before end."]}
            )
        return attrs


class UptakeQuerySerializer(PeriodSerializer):
    """The uptake_report command's parameters: start, end and window weeks."""

    window_weeks = serializers.IntegerField(
        required=False, default=DEFAULT_WINDOW_WEEKS, min_value=1, max_value=MAX_WINDOW_WEEKS,
        help_text=(
            f"Weeks after randomisation for the window flags, 1 to {MAX_WINDOW_WEEKS} (default {DEFAULT_WINDOW_WEEKS})."
        ),
    )


class PracticeQuerySerializer(serializers.Serializer):
    arm = serializers.ChoiceField(choices=Arm.choices, required=False, help_text="Only practices in this arm.")
    nation = serializers.ChoiceField(choices=Nation.choices, required=False, help_text="Only practices in this nation.")


class EventQuerySerializer(PeriodSerializer):
    """The events feed: a period, a page size, and the cursor from the previous page's `next`."""

    page_size = serializers.IntegerField(
        required=False, default=conf.API_EVENTS_DEFAULT_PAGE_SIZE, min_value=1, max_value=conf.API_EVENTS_MAX_PAGE_SIZE,
        help_text=f"Events per page, 1 to {conf.API_EVENTS_MAX_PAGE_SIZE} (default {conf.API_EVENTS_DEFAULT_PAGE_SIZE}).",
    )
    cursor = serializers.CharField(required=False, help_text="Where to resume: copy it from the previous page's `next`.")

    def validate_cursor(self, value: str):
        position = decode_cursor(value)
        if position is None:
            raise serializers.ValidationError("This cursor is not one the API gave out; start again without it.")
        return position


# Outputs (for the schema; the views return the selectors' own dicts).


class PracticeSerializer(serializers.Serializer):
    trial_id = serializers.CharField(allow_null=True, help_text="The practice's trial ID; null when not in the trial.")
    ods_code = serializers.CharField()
    arm = serializers.ChoiceField(choices=Arm.choices)
    nation = serializers.ChoiceField(choices=Nation.choices)
    randomised_on = serializers.DateField(allow_null=True)
    withdrawn_on = serializers.DateField(allow_null=True)
    withdrawal_data_choice = serializers.ChoiceField(
        choices=[*WithdrawalDataChoice.choices, ("", "None recorded")], allow_blank=True,
        help_text="What happens to data recorded before withdrawal: retain or delete; empty when not withdrawn.",
    )


def _role_counts(help_text: str) -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(min_value=0), help_text=help_text)


class ModuleUptakeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ModuleKind.choices)
    accesses = serializers.IntegerField(min_value=0)
    learners = serializers.IntegerField(min_value=0)
    completers = serializers.IntegerField(min_value=0)
    completers_by_role = _role_counts("Completers by their role at their first completion in the period.")
    accesses_by_role = _role_counts("Accesses by the role each page view recorded (docs/measures.md).")
    learners_by_role = _role_counts("Learners by the role each page view recorded (docs/measures.md).")
    first_access_at = serializers.DateTimeField(allow_null=True)
    first_completion_at = serializers.DateTimeField(allow_null=True)
    first_access_days_from_randomisation = serializers.IntegerField(allow_null=True)
    first_completion_days_from_randomisation = serializers.IntegerField(allow_null=True)
    accessed_within_window = serializers.BooleanField(allow_null=True)
    practice_completed = serializers.BooleanField()
    completed_within_window = serializers.BooleanField(allow_null=True)
    protocol_deviations = serializers.IntegerField(min_value=0)


class PracticeUptakeSerializer(serializers.Serializer):
    trial_id = serializers.CharField(allow_null=True)
    ods_code = serializers.CharField()
    arm = serializers.ChoiceField(choices=Arm.choices)
    randomised_on = serializers.DateField(allow_null=True)
    withdrawn_on = serializers.DateField(allow_null=True)
    modules = serializers.DictField(child=ModuleUptakeSerializer(), help_text="Figures per module, keyed by module slug.")


class ParametersSerializer(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    window_weeks = serializers.IntegerField()


class ReportModuleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    kind = serializers.ChoiceField(choices=ModuleKind.choices)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=["live", "unpublished", "retired"])
    retired_at = serializers.DateTimeField(allow_null=True)


class UptakeSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    parameters = ParametersSerializer()
    modules = ReportModuleSerializer(many=True)
    practices = PracticeUptakeSerializer(many=True)


class SpreadSerializer(serializers.Serializer):
    median = serializers.FloatField()
    q1 = serializers.FloatField()
    q3 = serializers.FloatField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class FlagCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(allow_null=True)
    share = serializers.FloatField(allow_null=True)


class ArmModuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ModuleKind.choices)
    accesses = SpreadSerializer()
    learners = SpreadSerializer()
    completers = SpreadSerializer()
    practice_completed = FlagCountSerializer()
    completed_within_window = FlagCountSerializer()


class ArmSummarySerializer(serializers.Serializer):
    arm = serializers.ChoiceField(choices=Arm.choices)
    practices = serializers.IntegerField()
    modules = serializers.DictField(child=ArmModuleSerializer(), help_text="Summary per module, keyed by module slug.")


class ArmsSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    parameters = ParametersSerializer()
    modules = ReportModuleSerializer(many=True)
    arms = ArmSummarySerializer(many=True)


class CutFileSerializer(serializers.Serializer):
    path = serializers.CharField()
    rows = serializers.IntegerField(allow_null=True)
    bytes = serializers.IntegerField()
    sha256 = serializers.CharField()


class CutSerializer(serializers.Serializer):
    name = serializers.CharField()
    cut_at = serializers.DateTimeField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=CutStatus.choices)
    rows_total = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    archive_sha256 = serializers.CharField(allow_blank=True, help_text="SHA-256 of the zip; empty until ready.")
    files = CutFileSerializer(many=True)
    download = serializers.CharField(allow_null=True, help_text="The zip's URL once the cut is ready, else null.")


class EventSerializer(serializers.Serializer):
    """One access-log row (access_log.csv's columns and values; an empty cell is null here)."""

    participant_id = serializers.CharField()
    practice_trial_id = serializers.CharField()
    arm = serializers.ChoiceField(choices=Arm.choices)
    nation = serializers.ChoiceField(choices=Nation.choices)
    role = serializers.ChoiceField(choices=PracticeRole.choices)
    event_type = serializers.ChoiceField(choices=EventType.choices)
    module_slug = serializers.CharField()
    module_kind = serializers.ChoiceField(choices=ModuleKind.choices)
    section_slug = serializers.CharField(allow_null=True)
    section_position = serializers.IntegerField(allow_null=True)
    module_version = serializers.IntegerField()
    visit_number = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    knowledge_check_block_id = serializers.CharField(allow_null=True)
    knowledge_check_correct = serializers.BooleanField(allow_null=True)
    document_id = serializers.IntegerField(allow_null=True)


class EventPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="The URL of the next page; null on the last page.")
    results = EventSerializer(many=True)
