from django.db import migrations


class Migration(migrations.Migration):
    """Case reference numbers come from a sequence: unique under concurrent intake and
    never reused (casework/references.py)."""

    dependencies = [("casework", "0002_cases_people_audit")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE casework_case_reference_seq START 1",
            "DROP SEQUENCE casework_case_reference_seq",
        ),
    ]
