# Reminders that reached nobody (issue 14): listed for administrators and on the leads'
# dashboards, so a partial index keeps reading them cheap however many reminders exist.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0008_deadline_kinds"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(("recipients", 0), ("skipped", False)),
                fields=["acted_at"],
                name="reminder_unheard_acted",
            ),
        ),
    ]
