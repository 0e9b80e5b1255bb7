# The practice held until verification moved to practices.PendingJoin (practices/migrations/0004
# copies the rows first: it runs before this one).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_pending_practice'),
    ]

    operations = [
        migrations.RemoveField(model_name='user', name='pending_invitation_token'),
        migrations.RemoveField(model_name='user', name='pending_join_code'),
        migrations.RemoveField(model_name='user', name='pending_practice_role'),
    ]
