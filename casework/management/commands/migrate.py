"""``migrate`` as the owner of the tables when ``DATABASE_OWNER_URL`` is set (issue 17).

The application connects as a role that owns nothing (casework/db_roles.py), so only
the owner can create and alter tables. Without ``DATABASE_OWNER_URL`` this is Django's
own ``migrate``, connected as ``DATABASE_URL`` (development, tests).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from config.env import database_config

_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> Any:
        if not settings.DATABASE_OWNER_URL:
            return super().handle(*args, **options)
        connection = connections[options["database"]]
        owner = database_config(settings.DATABASE_OWNER_URL)
        saved = {key: connection.settings_dict.get(key) for key in _CREDENTIALS}
        connection.close()
        # Same database, the owner's credentials.
        connection.settings_dict.update({key: owner.get(key, "") for key in _CREDENTIALS})
        try:
            return super().handle(*args, **options)
        finally:
            connection.close()
            connection.settings_dict.update(saved)
