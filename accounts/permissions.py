"""What each permission group may do in the admin: the one policy the migration and migrate apply.

Learner and Practice lead carry no Django permissions: what they may see on the site is decided
by their practice membership (practices.selectors), checked in every view. Staff groups get
Wagtail admin access plus the model, page and collection permissions below. The policy is
applied additively, so permissions an administrator grants by hand in the admin are kept.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from .roles import ADMIN, ALL_GROUPS, EDITOR, MODERATOR, RESEARCHER

ACCESS_ADMIN = "wagtailadmin.access_admin"

# Model permissions as "app_label.codename".
GROUP_PERMISSIONS: dict[str, tuple[str, ...]] = {
    EDITOR: (ACCESS_ADMIN,),
    MODERATOR: (ACCESS_ADMIN,),
    # Researchers keep the practice registry (arm, randomisation, withdrawal) and see who is in it.
    RESEARCHER: (
        ACCESS_ADMIN,
        "practices.view_practice",
        "practices.add_practice",
        "practices.change_practice",
        "practices.view_membership",
    ),
}

# Page permissions, granted on the tree's root page so they cover the home page and the modules.
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "lock_page")
GROUP_PAGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    EDITOR: EDITOR_PAGE_PERMISSIONS,
    # The moderator is the clinical approver: the only role besides Admin that publishes.
    MODERATOR: (*EDITOR_PAGE_PERMISSIONS, "publish_page", "unlock_page"),
    ADMIN: ("add_page", "bulk_delete_page", "change_page", "lock_page", "publish_page", "unlock_page"),
}

# Document and image permissions, granted on the root collection.
_MEDIA_EDIT = (
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
)
_MEDIA_ALL = (*_MEDIA_EDIT, "wagtaildocs.delete_document", "wagtailimages.delete_image")
GROUP_COLLECTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    EDITOR: _MEDIA_EDIT,
    MODERATOR: _MEDIA_ALL,
    ADMIN: (
        *_MEDIA_ALL,
        "wagtailcore.add_collection",
        "wagtailcore.change_collection",
        "wagtailcore.delete_collection",
    ),
}

# Wagtail's first migration creates "Editors" and "Moderators" (and ties the default moderation
# workflow to Moderators). Renaming them keeps that workflow pointing at our Moderator group and
# leaves one set of roles in the admin.
WAGTAIL_DEFAULT_GROUPS = {"Editors": EDITOR, "Moderators": MODERATOR}


def ensure_permissions_exist(apps=global_apps) -> None:
    """Create any missing content types and model permissions for every installed app."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, apps=apps, verbosity=0)


def apply_group_policy(apps=global_apps) -> None:
    """Create the six groups and grant each the permissions above (never revoking any)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    for old_name, new_name in WAGTAIL_DEFAULT_GROUPS.items():
        if not Group.objects.filter(name=new_name).exists():
            Group.objects.filter(name=old_name).update(name=new_name)
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL_GROUPS}

    def permission(dotted: str):
        app_label, codename = dotted.split(".", 1)
        return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()

    for name, dotted_names in GROUP_PERMISSIONS.items():
        perms = [p for p in (permission(d) for d in dotted_names) if p is not None]
        groups[name].permissions.add(*perms)
    # Admin may do everything the admin offers, including what later apps add.
    groups[ADMIN].permissions.add(*Permission.objects.all())

    root_page = Page.objects.filter(depth=1).order_by("path").first()
    if root_page is not None:
        for name, codenames in GROUP_PAGE_PERMISSIONS.items():
            for perm in Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=codenames):
                GroupPagePermission.objects.get_or_create(group=groups[name], page=root_page, permission=perm)

    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    if root_collection is not None:
        for name, dotted_names in GROUP_COLLECTION_PERMISSIONS.items():
            for perm in (permission(d) for d in dotted_names):
                if perm is not None:
                    GroupCollectionPermission.objects.get_or_create(
                        group=groups[name], collection=root_collection, permission=perm
                    )
