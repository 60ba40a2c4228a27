"""The Partnership analyst role's group (issue 21): figures and reports, no case content.
``casework.services.roles_ensure`` makes it too; this makes it exist on a deployed
database before anyone is given the role."""

from django.db import migrations

GROUP = "Partnership analyst"


def create(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("casework", "0018_case_type_labels"),
    ]

    operations = [migrations.RunPython(create, remove)]
