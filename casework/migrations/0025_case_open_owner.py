from django.db import migrations, models


class Migration(migrations.Migration):
    """The open caseload of each person a lead may allocate to, from the index alone."""

    dependencies = [
        ("casework", "0024_audit_lookup_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("closed_at__isnull", True)),
                fields=["owner", "id"],
                name="case_open_owner",
            ),
        ),
    ]
