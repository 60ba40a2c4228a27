"""Case references such as ``SC-2026-000123``.

The number comes from a PostgreSQL sequence (migration ``casework.0003``), so two
concurrent intakes never get the same number and a number is never reused, even when
the transaction that took it rolls back (a gap is harmless; a duplicate is not).
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

SEQUENCE = "casework_case_reference_seq"


def next_case_reference() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")  # noqa: S608 (a constant name)
        (number,) = cursor.fetchone()
    year = timezone.localdate().year
    return f"SC-{year}-{number:06d}"
