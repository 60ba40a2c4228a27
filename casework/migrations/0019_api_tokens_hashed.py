"""API tokens hashed at rest (issue 17, finding 6). The old plain-text tokens of
``rest_framework.authtoken`` are dropped: every API client signs in again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


PERMISSIONS = (
    "(SELECT p.id FROM auth_permission p JOIN django_content_type c"
    " ON c.id = p.content_type_id WHERE c.app_label = 'authtoken')"
)
FORGET_AUTHTOKEN = [
    "DROP TABLE IF EXISTS authtoken_token CASCADE",
    f"DELETE FROM auth_group_permissions WHERE permission_id IN {PERMISSIONS}",  # noqa: S608
    f"DELETE FROM auth_user_user_permissions WHERE permission_id IN {PERMISSIONS}",  # noqa: S608
    f"DELETE FROM auth_permission WHERE id IN {PERMISSIONS}",  # noqa: S608
    "DELETE FROM django_content_type WHERE app_label = 'authtoken'",
]


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0018_case_type_labels"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("prefix", models.CharField(max_length=12)),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("password_mark", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_reason", models.CharField(blank=True, max_length=200)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")],
            },
        ),
        # The plain-text tokens: gone, with the app that kept them.
        migrations.RunSQL(
            FORGET_AUTHTOKEN,
            migrations.RunSQL.noop,
        ),
    ]
