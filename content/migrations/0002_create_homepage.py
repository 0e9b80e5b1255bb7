from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("content.HomePage")
    Locale = apps.get_model("wagtailcore.Locale")

    # Replace Wagtail's default welcome page with our home page.
    Page.objects.filter(depth=2, slug="home").delete()
    homepage_content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="content")
    locale = Locale.objects.order_by("pk").first()
    homepage = HomePage.objects.create(
        title="Practice asthma learning",
        draft_title="Practice asthma learning",
        slug="home",
        content_type=homepage_content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale_id=locale.pk if locale else None,
        intro=(
            "<p>Short, practical education for the whole general-practice team on supported asthma "
            "self-management: personalised asthma action plans and regular reviews.</p>"
        ),
    )
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(hostname="localhost", root_page=homepage, is_default_site=True, site_name="Practice asthma learning")


def remove_homepage(apps, schema_editor):
    apps.get_model("content.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
