"""The bench's database blocks per scenario (bench/run.py, ``db_blocks``): how many of
the blocks the bench database's backends used were found in PostgreSQL's shared buffers
and how many were read from outside them, from ``pg_stat_database``."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from bench.run import db_blocks

pytestmark = pytest.mark.django_db


def test_the_test_databases_blocks_are_counted_and_another_databases_are_not():
    url = os.environ["DATABASE_URL"]
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
    hit, read = db_blocks(url, name)
    # The test database has been created, migrated and read: its backends found blocks.
    assert hit + read > 0
    assert db_blocks(url, "safecase_no_such_database") == (0, 0)
