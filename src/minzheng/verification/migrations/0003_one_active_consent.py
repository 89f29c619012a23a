"""One active consent per member and household: earlier duplicates (recorded before a new
consent superseded the previous one) are revoked as of the newer one's recording."""

from django.conf import settings
from django.db import migrations, models


def revoke_duplicates(apps, schema_editor):
    Consent = apps.get_model("verification", "Consent")
    newest = {}
    active = Consent.objects.filter(revoked_at__isnull=True).order_by("recorded_at", "pk")
    for consent in active:
        key = (consent.household_id, consent.id_number)
        older = newest.get(key)
        if older is not None:
            older.revoked_at, older.revoked_by_id = consent.recorded_at, consent.recorded_by_id
            older.save(update_fields=["revoked_at", "revoked_by"])
        newest[key] = consent


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0002_verbose_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(revoke_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="consent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("household_id", "id_number"),
                name="one_active_consent_per_member",
            ),
        ),
    ]
