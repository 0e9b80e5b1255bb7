"""Production smoke data, made through the project's own code; run as `manage.py shell < .ci/smoke_setup.py`.

Expects the practice and its lead to have been imported with import_practices and import_staff
(the trial team's production commands). Sets the lead's password (imported staff get only a
set-password link), creates an admin with an authenticator app, and publishes a one-section module
whose knowledge check completes it, the way an editor would. Reads SMOKE_* environment variables.
"""

import os
import uuid

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import Site

from accounts.roles import ADMIN
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.services import record_module_version

User = get_user_model()

learner = User.objects.get(email=os.environ["SMOKE_LEARNER_EMAIL"])
learner.set_password(os.environ["SMOKE_PASSWORD"])
learner.save(update_fields=["password"])
EmailAddress.objects.filter(user=learner).update(verified=True)

admin, _ = User.objects.get_or_create(
    email=os.environ["SMOKE_ADMIN_EMAIL"], defaults={"first_name": "Ada", "last_name": "Admin"}
)
admin.set_password(os.environ["SMOKE_PASSWORD"])
admin.save(update_fields=["password"])
EmailAddress.objects.update_or_create(user=admin, email=admin.email, defaults={"verified": True, "primary": True})
admin.groups.add(Group.objects.get(name=ADMIN))
if not Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists():
    TOTP.activate(admin, os.environ["SMOKE_TOTP_SECRET"])

home = Site.objects.get(is_default_site=True).root_page
index = ModuleIndexPage.objects.first()
if index is None:
    index = home.add_child(instance=ModuleIndexPage(title="Modules", slug="modules"))
    index.save_revision().publish()
for slug, title in [("smoke-module", "Smoke module"), ("race-module", "Race module")]:
    if ModulePage.objects.filter(slug=slug).exists():
        continue
    module = index.add_child(instance=ModulePage(
        title=title, slug=slug, kind="team", summary="Checks the production path.", estimated_minutes=5,
        cpd_hours="0.25", completion_threshold=80,
    ))
    module.save_revision().publish()
    option_right, option_wrong = str(uuid.uuid4()), str(uuid.uuid4())
    body = [
        {"type": "rich_text", "id": str(uuid.uuid4()), "value": "<p>Supported self-management reduces asthma attacks.</p>"},
        {"type": "knowledge_check", "id": "check-1", "value": {
            "question": "Does a personalised asthma action plan help?", "kind": "single", "hint": "", "explanation": "",
            "options": [
                {"type": "item", "id": option_right, "value": {"text": "Yes", "is_correct": True, "feedback": "Right."}},
                {"type": "item", "id": option_wrong, "value": {"text": "No", "is_correct": False, "feedback": "Not so."}},
            ],
        }},
    ]
    section = module.add_child(instance=SectionPage(title="Why self-management", slug="why", weight=1, body=body))
    section.save_revision().publish()
    record_module_version(module=module)
    print(f"SMOKE module {slug} section {section.pk} right {option_right}")  # noqa: T201
