"""Create the "Clinical sign-off" workflow: a Moderator approves every page before it is published.

It is assigned to the site's home page, so the module index, every module and every section
(including ones created later) go through it. Editors can save drafts and submit; only a
Moderator (the clinical approver) can approve and so publish.
"""

from django.db import migrations

WORKFLOW_NAME = "Clinical sign-off"
TASK_NAME = "Clinical approval by a moderator"
MODERATOR = "Moderator"


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    # The accounts app creates this group; get_or_create keeps this migration safe on its own.
    moderators, _ = Group.objects.get_or_create(name=MODERATOR)

    # Historical models skip Task's own save(), so set the specific content type by hand.
    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.add(moderators)

    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})

    site = Site.objects.filter(is_default_site=True).first()
    home = Page.objects.filter(pk=site.root_page_id).first() if site else None
    if home is None:
        home = Page.objects.filter(depth=2).order_by("path").first()
    if home is not None:
        # A page has at most one workflow of its own; this one replaces any there.
        WorkflowPage.objects.update_or_create(page=home, defaults={"workflow": workflow})


def remove_workflow(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    Task = apps.get_model("wagtailcore", "Task")
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is not None:
        WorkflowPage.objects.filter(workflow=workflow).delete()
        workflow.active = False
        workflow.save(update_fields=["active"])
    Task.objects.filter(name=TASK_NAME).update(active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("modules", "0002_version_content_hash"),
        ("accounts", "0002_groups_and_permissions"),
        ("content", "0002_create_homepage"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_workflow, remove_workflow)]
