"""Keep every module resource in the private "Module resources" collection (see modules/resources.py).

Creates the collection under the root with a view restriction to the content groups, and moves
every existing document into it. Safe to run twice.
"""

from django.db import migrations
from django.db.models import F

NAME = "Module resources"
CONTENT_GROUPS = ("Editor", "Moderator", "Admin")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's materialised-path alphabet
_STEP = 4


def _segment(number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, len(_ALPHABET))
        digits = _ALPHABET[remainder] + digits
    return digits.rjust(_STEP, "0")


def move_documents_to_private_collection(apps, schema_editor):
    Collection = apps.get_model("wagtailcore", "Collection")
    CollectionViewRestriction = apps.get_model("wagtailcore", "CollectionViewRestriction")
    Document = apps.get_model("wagtaildocs", "Document")
    Group = apps.get_model("auth", "Group")

    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return
    children = Collection.objects.filter(depth=2, path__startswith=root.path)
    collection = children.filter(name=NAME).first()
    if collection is None:
        # The historical model has no treebeard methods: add the child as add_child would.
        last = children.order_by("-path").first()
        number = int(last.path[-_STEP:], len(_ALPHABET)) + 1 if last else 1
        collection = Collection.objects.create(name=NAME, path=root.path + _segment(number), depth=2, numchild=0)
        Collection.objects.filter(pk=root.pk).update(numchild=F("numchild") + 1)
    if not CollectionViewRestriction.objects.filter(collection=collection).exists():
        restriction = CollectionViewRestriction.objects.create(collection=collection, restriction_type="groups")
        restriction.groups.set([Group.objects.get_or_create(name=name)[0] for name in CONTENT_GROUPS])
    Document.objects.exclude(collection=collection).update(collection=collection)


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0003_clinical_sign_off_workflow"),
        ("accounts", "0002_groups_and_permissions"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(move_documents_to_private_collection, migrations.RunPython.noop)]
