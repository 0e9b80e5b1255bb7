"""Admin screens for the trial's practice registry and its memberships (researchers and admins)."""

from __future__ import annotations

import django_filters
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from accounts.roles import PracticeRole
from core.exports import SafeExportIndexView

from . import services
from .models import Arm, Membership, Nation, Practice

YES_NO = [("yes", "Yes"), ("no", "No")]


class KeepHistoryPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, except that nobody deletes: practices and memberships are trial history."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        return super().user_has_permission(user, action)


class PracticeFilterSet(WagtailFilterSet):
    """Filter practices by arm, nation and whether they have withdrawn."""

    arm = django_filters.ChoiceFilter(choices=Arm.choices)
    nation = django_filters.ChoiceFilter(choices=Nation.choices)
    withdrawn = django_filters.ChoiceFilter(label="Withdrawn", choices=YES_NO, method="filter_withdrawn")

    class Meta:
        model = Practice
        fields = ["arm", "nation"]

    def filter_withdrawn(self, queryset, name, value):
        return queryset.filter(withdrawn_on__isnull=value != "yes")


class PracticeViewSet(ModelViewSet):
    """The practice registry: ODS code, arm, randomisation and withdrawal."""

    model = Practice
    icon = "site"
    menu_label = "Practices"
    permission_policy = KeepHistoryPermissionPolicy(Practice)
    index_view_class = SafeExportIndexView
    list_display = ["name", "ods_code", "trial_id", "arm", "nation", "randomised_on", "withdrawn_on"]
    list_export = [
        "ods_code", "name", "nation", "trial_id", "arm", "randomised_on",
        "withdrawn_on", "withdrawal_reason", "withdrawal_data_choice",
    ]
    export_filename = "practices"
    search_fields = ["name", "ods_code", "trial_id"]
    search_backend_name = None  # plain database search, so partial codes match
    filterset_class = PracticeFilterSet
    form_fields = [
        "ods_code", "name", "nation", "trial_id", "arm", "randomised_on",
        "withdrawn_on", "withdrawal_reason", "withdrawal_data_choice",
    ]
    inspect_view_enabled = True
    inspect_view_fields = [*form_fields, "join_code", "created_at"]
    copy_view_enabled = False


class MembershipFilterSet(WagtailFilterSet):
    """Filter memberships by role, lead flag, whether current, and the practice's arm."""

    role = django_filters.ChoiceFilter(choices=PracticeRole.choices)
    is_lead = django_filters.ChoiceFilter(label="Practice lead", choices=YES_NO, method="filter_lead")
    current = django_filters.ChoiceFilter(label="Current", choices=YES_NO, method="filter_current")
    practice__arm = django_filters.ChoiceFilter(label="Arm", choices=Arm.choices)

    class Meta:
        model = Membership
        fields = ["role"]

    def filter_lead(self, queryset, name, value):
        return queryset.filter(is_lead=value == "yes")

    def filter_current(self, queryset, name, value):
        return queryset.filter(ended_on__isnull=value == "yes")


class MembershipCreateView(generic.CreateView):
    def save_instance(self):
        instance = super().save_instance()
        services.sync_role_groups(user=instance.user)
        return instance


class MembershipEditView(generic.EditView):
    def save_instance(self):
        instance = super().save_instance()
        # The lead flag or end date may have changed: keep the Practice lead group in step.
        services.sync_role_groups(user=instance.user)
        return instance


class MembershipViewSet(ModelViewSet):
    """Who belongs to which practice, in which role, from when to when."""

    model = Membership
    icon = "group"
    menu_label = "Memberships"
    permission_policy = KeepHistoryPermissionPolicy(Membership)
    add_view_class = MembershipCreateView
    edit_view_class = MembershipEditView
    list_display = ["user", "practice", "role", "is_lead", "started_on", "ended_on"]
    index_view_class = SafeExportIndexView
    # Wagtail follows dotted attribute paths here (not ORM "__" lookups, which it cannot resolve).
    list_export = [
        "user.email", "practice.ods_code", "practice.name", "get_role_display", "is_lead", "started_on", "ended_on",
    ]
    export_headings = {
        "user.email": "Email", "practice.ods_code": "ODS code", "practice.name": "Practice", "get_role_display": "Role",
    }
    export_filename = "memberships"
    search_fields = ["user__email", "user__first_name", "user__last_name", "practice__name", "practice__ods_code"]
    search_backend_name = None
    filterset_class = MembershipFilterSet
    form_fields = ["user", "practice", "role", "is_lead", "started_on", "ended_on"]
    copy_view_enabled = False


class TrialRegistryGroup(ViewSetGroup):
    """One "Trial registry" menu holding practices and memberships."""

    menu_label = "Trial registry"
    menu_icon = "site"
    menu_order = 250
    items = (PracticeViewSet("trial_practices"), MembershipViewSet("trial_memberships"))


@hooks.register("register_admin_viewset")
def register_trial_registry():
    return TrialRegistryGroup()
