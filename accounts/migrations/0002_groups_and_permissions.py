"""Create the platform's groups (Learner, Practice lead, Editor, Moderator, Researcher, Admin)."""

from django.db import migrations

from accounts.permissions import apply_group_policy, ensure_permissions_exist


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make the ones we grant exist now.
    ensure_permissions_exist(apps)
    apply_group_policy(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("practices", "0001_initial"),
        ("content", "0002_create_homepage"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
