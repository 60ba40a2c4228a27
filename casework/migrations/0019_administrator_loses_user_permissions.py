"""The Administrator group held ``auth.change_user`` and friends, with which the Django
admin let an administrator make itself an auditor or a superuser (issue 17, finding 1).
No role holds a permission on users, groups or permissions now; staff are managed in the
service's own pages (casework.staff)."""

from django.db import migrations

ADMINISTRATOR = "Administrator"


def remove(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=ADMINISTRATOR).first()
    if group is None:
        return
    perms = Permission.objects.filter(
        content_type__app_label="auth", content_type__model__in=["user", "group", "permission"]
    )
    group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("casework", "0018_case_type_labels"),
    ]

    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
