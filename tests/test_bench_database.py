"""What the bench records of the database server (bench/run.py): the blocks per scenario
(``db_blocks``) the bench database's backends found in PostgreSQL's shared buffers and
read from outside them, from ``pg_stat_database``; and what one round trip costs, back to
back and after a pause (``db_round_trip_us``)."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from bench.run import db_blocks, db_round_trip_us

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


def test_a_round_trip_is_timed_back_to_back_and_after_a_pause(monkeypatch):
    import bench.run

    slept = []
    monkeypatch.setattr(bench.run.time, "sleep", slept.append)
    found = db_round_trip_us(os.environ["DATABASE_URL"], rounds=5, idle_ms=20)
    assert set(found) == {"back_to_back", "after_idle"}
    assert all(isinstance(us, int) and us > 0 for us in found.values())
    # One pause before each statement timed after idle, none before the others.
    assert slept == [0.02] * 5
