"""Demo practices and accounts for local development (seed_demo); never used in production.

Everything here is fictional: practice names, ODS-shaped codes in an unused 999xx range, trial
IDs prefixed DEMO-, and people at example.org. Running it again creates only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import IO

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.roles import ADMIN, EDITOR, LEARNER, MODERATOR, PRACTICE_LEAD, RESEARCHER, STAFF_GROUPS
from accounts.roles import PracticeRole as Role
from practices import services as practice_services
from practices.models import Arm, Nation, Practice, WithdrawalDataChoice

# Known on purpose: these accounts exist only where settings.DEMO_DATA_ALLOWED is on.
DEMO_PASSWORD = "demo-asthma-2025"  # noqa: S105
# Staff roles must use two-factor authentication. Add this secret to any authenticator app
# (or run `manage.py seed_demo --totp-code`) to sign in as the demo editor, moderator,
# researcher or admin; each also has printed recovery codes.
DEMO_TOTP_SECRET = "DEMOSECRETFORLOCALDEVELOPMENTXYZ"  # noqa: S105


@dataclass(frozen=True)
class DemoPractice:
    ods_code: str
    name: str
    nation: str
    arm: str
    trial_id: str | None = None
    randomised_on: date | None = None
    withdrawn_on: date | None = None


PRACTICES = [
    DemoPractice("K99901", "Brookfield Lane Surgery", Nation.ENGLAND, Arm.IMPLEMENTATION, "DEMO-I01", date(2025, 1, 13)),
    DemoPractice("W99902", "Harbourside Health Centre", Nation.WALES, Arm.IMPLEMENTATION, "DEMO-I02", date(2025, 1, 20)),
    DemoPractice(
        "K99903", "Millbrook Medical Group", Nation.ENGLAND, Arm.IMPLEMENTATION, "DEMO-I03", date(2025, 2, 3),
        withdrawn_on=date(2025, 6, 30),
    ),
    DemoPractice("K99904", "Ashgrove Family Practice", Nation.ENGLAND, Arm.CONTROL, "DEMO-C01", date(2025, 1, 13)),
    DemoPractice("S99905", "Thornbury Road Surgery", Nation.SCOTLAND, Arm.CONTROL, "DEMO-C02", date(2025, 1, 27)),
    DemoPractice("Z99906", "Riverside Demonstration Practice", Nation.NORTHERN_IRELAND, Arm.NOT_IN_TRIAL),
]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    first_name: str
    last_name: str
    group: str
    ods_code: str | None = None
    role: str = ""
    is_lead: bool = False


# One account per role first (these are the ones printed), then colleagues so practices have teams.
ROLE_ACCOUNTS = [
    DemoPerson("learner@example.org", "Lena", "Learner", LEARNER, "K99901", Role.PRACTICE_NURSE),
    DemoPerson("lead@example.org", "Priya", "Lead", PRACTICE_LEAD, "K99901", Role.PRACTICE_MANAGER, is_lead=True),
    DemoPerson("editor@example.org", "Eddie", "Editor", EDITOR),
    DemoPerson("moderator@example.org", "Maya", "Moderator", MODERATOR),
    DemoPerson("researcher@example.org", "Rhys", "Researcher", RESEARCHER),
    DemoPerson("admin@example.org", "Ada", "Admin", ADMIN),
]
COLLEAGUES = [
    DemoPerson("control.learner@example.org", "Colin", "Control", LEARNER, "K99904", Role.GP),
    DemoPerson("amara.okafor@example.org", "Amara", "Okafor", LEARNER, "K99901", Role.GP),
    DemoPerson("tom.hughes@example.org", "Tom", "Hughes", LEARNER, "K99901", Role.HCA),
    DemoPerson("jo.bennett@example.org", "Jo", "Bennett", LEARNER, "K99901", Role.RECEPTION_ADMIN),
    DemoPerson("sian.pryce@example.org", "Siân", "Pryce", LEARNER, "W99902", Role.ADVANCED_NURSE_PRACTITIONER, is_lead=True),
    DemoPerson("gareth.evans@example.org", "Gareth", "Evans", LEARNER, "W99902", Role.GP),
    DemoPerson("nia.roberts@example.org", "Nia", "Roberts", LEARNER, "W99902", Role.CLINICAL_PHARMACIST),
    DemoPerson("ruth.adeyemi@example.org", "Ruth", "Adeyemi", LEARNER, "K99903", Role.PRACTICE_NURSE, is_lead=True),
    DemoPerson("dev.patel@example.org", "Dev", "Patel", LEARNER, "K99903", Role.GP),
    DemoPerson("hannah.clarke@example.org", "Hannah", "Clarke", LEARNER, "K99904", Role.PRACTICE_MANAGER, is_lead=True),
    DemoPerson("ewan.mackay@example.org", "Ewan", "MacKay", LEARNER, "S99905", Role.GP, is_lead=True),
    DemoPerson("isla.grant@example.org", "Isla", "Grant", LEARNER, "S99905", Role.PHYSICIAN_ASSOCIATE),
    DemoPerson("ciara.byrne@example.org", "Ciara", "Byrne", LEARNER, "Z99906", Role.PRACTICE_NURSE, is_lead=True),
    DemoPerson("liam.quinn@example.org", "Liam", "Quinn", LEARNER, "Z99906", Role.OTHER),
]


@dataclass
class DemoLogin:
    """A line of the printed demo logins table."""

    role: str
    email: str
    practice: str
    second_factor: str


def current_totp_code() -> str:
    """Return the demo authenticator's code for the current 30-second window."""
    from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counters[len(counters) // 2]))


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _ensure_practice(spec: DemoPractice) -> tuple[Practice, bool]:
    practice = Practice.objects.filter(ods_code=spec.ods_code).first()
    if practice is not None:
        return practice, False
    practice = Practice(
        ods_code=spec.ods_code, name=spec.name, nation=spec.nation, arm=spec.arm,
        trial_id=spec.trial_id, randomised_on=spec.randomised_on,
    )
    if spec.withdrawn_on:
        practice.withdrawn_on = spec.withdrawn_on
        practice.withdrawal_reason = "Demonstration: the practice merged with a neighbouring practice."
        practice.withdrawal_data_choice = WithdrawalDataChoice.RETAIN
    practice.full_clean()
    practice.save()
    return practice, True


def _ensure_person(person: DemoPerson, practices: dict[str, Practice]):
    from allauth.account.models import EmailAddress

    User = get_user_model()
    user, created = User.objects.get_or_create(
        email=person.email, defaults={"first_name": person.first_name, "last_name": person.last_name}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # Verified, so the account can sign in straight away.
    EmailAddress.objects.update_or_create(
        user=user, email=person.email, defaults={"verified": True, "primary": True}
    )
    user.groups.add(Group.objects.get_or_create(name=person.group)[0])
    if person.ods_code:
        practice = practices[person.ods_code]
        if not user.memberships.filter(practice=practice).exists():
            # Members since randomisation (or an arbitrary early date), so the withdrawn practice
            # has staff who joined before it withdrew.
            practice_services.start_membership(
                user=user, practice=practice, role=person.role, is_lead=person.is_lead,
                on=practice.randomised_on or date(2025, 1, 6),
            )
    if person.group in STAFF_GROUPS:
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
    return user, created


@transaction.atomic
def seed_demo_accounts(stdout: IO[str] | None = None) -> list[DemoLogin]:
    """Create the demo practices and people that are missing; return the logins to print."""
    practices: dict[str, Practice] = {}
    for spec in PRACTICES:
        practice, created = _ensure_practice(spec)
        practices[spec.ods_code] = practice
        if created:
            _say(stdout, f"Created practice {practice} ({practice.get_arm_display()})")
    made = 0
    for person in [*ROLE_ACCOUNTS, *COLLEAGUES]:
        _, created = _ensure_person(person, practices)
        made += created
    _say(stdout, f"Demo people: {made} created, {len(ROLE_ACCOUNTS) + len(COLLEAGUES) - made} already there.")

    logins = []
    User = get_user_model()
    for person in ROLE_ACCOUNTS:
        user = User.objects.get(email=person.email)
        practice = practices[person.ods_code].name if person.ods_code else "-"
        second = "-"
        if person.group in STAFF_GROUPS:
            codes = RecoveryCodes(
                Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
            ).get_unused_codes()
            second = f"TOTP (demo secret) or recovery code {', '.join(codes[:2])}" if codes else "TOTP (demo secret)"
        logins.append(DemoLogin(person.group, person.email, practice, second))
    return logins


def format_logins(logins: list[DemoLogin], join_codes: dict[str, str]) -> str:
    """Return the demo logins as a plain-text table with the shared password and MFA notes."""
    rows = [("Role", "Email", "Practice", "Second factor")]
    rows += [(login.role, login.email, login.practice, login.second_factor) for login in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["", "Demo logins (password for all: " + DEMO_PASSWORD + ")", ""]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines += [
        "",
        f"Staff roles need two-factor authentication: add the secret {DEMO_TOTP_SECRET} to an authenticator",
        "app, or print the current code with `.venv/bin/python manage.py seed_demo --totp-code`.",
        "Each recovery code works once; seed_demo prints the next unused ones.",
        "",
        "Practice join codes: " + ", ".join(f"{name} {code}" for name, code in join_codes.items()),
    ]
    return "\n".join(lines)
