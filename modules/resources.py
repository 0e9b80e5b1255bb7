"""Module resources (Wagtail documents) are private: learners get them only through the gated view.

Every document on this site is a resource of a module section, and who may have it depends on the
learner's practice (its arm, its withdrawal), which Wagtail's collection privacy cannot express.
So the design is:

- `learning.views.resource_download` is the one road for learners: it checks that the document
  belongs to the section, that the learner may open the module, records the download, and then
  streams the file itself.
- Wagtail's own `/documents/<id>/<file>` address serves a document only to people who may work
  with documents in the admin (editors, moderators, admins), for editing and previews; everyone
  else is sent to sign in, or refused (`refuse_public_document_serving`, a `before_serve_document`
  hook). This holds for every document, whatever collection an upload lands in.
- Documents are kept in the "Module resources" collection, whose view restriction names the
  content groups, so the admin shows them as private and Wagtail's own check agrees with ours.
  `WAGTAILDOCS_SERVE_METHOD = "serve_view"` keeps every document behind that view (never a
  redirect to a public storage URL).
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from wagtail.documents.permissions import permission_policy
from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction

from accounts.roles import ADMIN, EDITOR, MODERATOR

MODULE_RESOURCES_COLLECTION = "Module resources"
# The groups that write and approve modules; superusers pass any restriction.
CONTENT_GROUPS = (EDITOR, MODERATOR, ADMIN)
DOCUMENT_ADMIN_ACTIONS = ("add", "change", "choose", "delete")


@transaction.atomic
def module_resources_collection() -> Collection:
    """Return the private collection for module resources, creating it and its restriction if missing."""
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=MODULE_RESOURCES_COLLECTION).first()
    if collection is None:
        collection = root.add_child(name=MODULE_RESOURCES_COLLECTION)
    if not CollectionViewRestriction.objects.filter(collection=collection).exists():
        restriction = CollectionViewRestriction.objects.create(
            collection=collection, restriction_type=BaseViewRestriction.GROUPS
        )
        restriction.groups.set([Group.objects.get_or_create(name=name)[0] for name in CONTENT_GROUPS])
    return collection


def may_open_documents_directly(user) -> bool:
    """Return True if the user works with documents in the admin, so may open them by their own address."""
    return bool(
        user.is_authenticated and user.is_active
        and permission_policy.user_has_any_permission(user, DOCUMENT_ADMIN_ACTIONS)
    )
