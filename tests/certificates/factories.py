"""Build modules, practices and learners, and complete modules through the real learning service."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from accounts.roles import ADMIN
from learning import services as learning_services
from learning.models import ModuleCompletion
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.services import record_module_version
from practices.models import Arm, Membership, Practice

PASSWORD = "a-Long-passw0rd"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _home() -> Page:
    home = Page.objects.filter(depth=2).first()
    if home is None:
        # Transactional tests flush the tables, taking the migrations' locale, root and home pages.
        Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        home = root.add_child(instance=Page(title="Home", slug="home"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home}
        )
    return home


def module_index() -> ModuleIndexPage:
    index = ModuleIndexPage.objects.first()
    if index is None:
        index = _home().add_child(instance=ModuleIndexPage(title="Modules", slug="modules"))
    return index


def build_module(
    *,
    title: str = "Supporting asthma self-management",
    cpd_hours: str = "1.50",
    valid_months: int | None = None,
    sections: int = 2,
) -> ModulePage:
    """Create and publish a module whose sections have no knowledge checks (viewing completes them)."""
    module = module_index().add_child(
        instance=ModulePage(
            title=title, slug=_unique("module"), kind="team", summary="A module for tests.",
            estimated_minutes=45, cpd_hours=cpd_hours, completion_threshold=80,
            certificate_valid_months=valid_months,
        )
    )
    for number in range(1, sections + 1):
        module.add_child(
            instance=SectionPage(
                title=f"Section {number}", slug=f"section-{number}", weight=1,
                body=[{"type": "rich_text", "value": f"<p>Section {number}.</p>", "id": str(uuid.uuid4())}],
            )
        )
    record_module_version(module=module)
    return module


def sections_of(module: ModulePage) -> list[SectionPage]:
    return list(SectionPage.objects.child_of(module).live().order_by("path"))


def practice(*, name: str | None = None, arm: str = Arm.IMPLEMENTATION) -> Practice:
    code = f"A{uuid.uuid4().int % 100000:05d}"
    return Practice.objects.create(
        ods_code=code, name=name or f"Practice {code}", nation="wales", arm=arm,
        trial_id=None if arm == Arm.NOT_IN_TRIAL else _unique("T"),
        randomised_on=None if arm == Arm.NOT_IN_TRIAL else date(2026, 1, 5),
    )


def user(*, first_name: str = "Alex", last_name: str = "Learner", email: str | None = None, **fields):
    account = get_user_model().objects.create_user(
        email=email or f"{_unique('user')}@example.org", password=PASSWORD,
        first_name=first_name, last_name=last_name, **fields,
    )
    # allauth signs in only verified addresses.
    EmailAddress.objects.create(user=account, email=account.email, verified=True, primary=True)
    return account


def member(*, practice_: Practice | None = None, is_lead: bool = False, role: str = "gp", **user_fields) -> Membership:
    """Return a membership (learner or lead) of the practice, with a verified sign-in."""
    return Membership.objects.create(
        user=user(**user_fields), practice=practice_ or practice(), role=role, is_lead=is_lead,
        started_on=date(2026, 1, 1),
    )


def admin_user(*, superuser: bool = False):
    """Return a member of the Admin group with TOTP set up (staff roles need MFA for /admin/)."""
    account = user(first_name="Ada", last_name="Admin", is_staff=True, is_superuser=superuser)
    group, _ = Group.objects.get_or_create(name=ADMIN)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    account.groups.add(group)
    Authenticator.objects.create(user=account, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    return account


def complete_module(membership: Membership, module: ModulePage, *, at: datetime) -> ModuleCompletion:
    """View every section through the learning service, which records the completion."""
    completion = None
    for section in sections_of(module):
        result = learning_services.record_access(membership=membership, module=module, section=section, at=at)
        completion = result.completion or completion
    assert completion is not None, "viewing every section should complete the module"
    return completion


def issued_certificate(
    membership: Membership | None = None, module: ModulePage | None = None, *, at: datetime | None = None
):
    """Complete a module through the learning service and return the certificate it issued."""
    from certificates.models import Certificate

    membership = membership or member()
    module = module or build_module()
    completion = complete_module(membership, module, at=at or datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    return Certificate.objects.get(completion=completion)
