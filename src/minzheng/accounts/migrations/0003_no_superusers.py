"""Administrators were superusers; their permissions now come from their role
(minzheng.accounts.roles), so that they read personal data only through a granted unmask."""

from django.db import migrations


def forwards(apps, schema_editor):
    apps.get_model("accounts", "User").objects.filter(role="administrator").update(
        is_superuser=False, is_staff=True
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_locked_account")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
