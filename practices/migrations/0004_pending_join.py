# The practice chosen at sign-up and held until the address is verified moves from columns on the
# user (accounts/migrations/0003) to its own table here; the held rows are copied before accounts
# removes its columns (run_before), so the reference points from practices down to accounts.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def copy_held_practices(apps, schema_editor):
    User = apps.get_model('accounts', 'User')
    PendingJoin = apps.get_model('practices', 'PendingJoin')
    held = User.objects.exclude(pending_join_code='', pending_invitation_token='')
    PendingJoin.objects.bulk_create(
        PendingJoin(
            user_id=user.pk, join_code=user.pending_join_code, role=user.pending_practice_role,
            invitation_token=user.pending_invitation_token,
        )
        for user in held
    )


def copy_back(apps, schema_editor):
    User = apps.get_model('accounts', 'User')
    PendingJoin = apps.get_model('practices', 'PendingJoin')
    for held in PendingJoin.objects.all():
        User.objects.filter(pk=held.user_id).update(
            pending_join_code=held.join_code, pending_practice_role=held.role,
            pending_invitation_token=held.invitation_token,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_pending_practice'),
        ('practices', '0003_membership_constraint_message'),
    ]
    run_before = [
        ('accounts', '0004_remove_pending_practice'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingJoin',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('join_code', models.CharField(blank=True, max_length=20)),
                ('role', models.CharField(blank=True, max_length=40)),
                ('invitation_token', models.CharField(blank=True, editable=False, max_length=64)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='pending_join', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.RunPython(copy_held_practices, copy_back),
    ]
