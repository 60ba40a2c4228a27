"""The bench's dealings with the database server (bench/run.py): a page's statements
replayed as the page sent them (``_replay``), prepared or planned at each use; the blocks
per scenario (``db_blocks``) the bench database's backends found in PostgreSQL's shared
buffers and read from outside them, from ``pg_stat_database``; and what one round trip
costs, back to back and after a pause (``db_round_trip_us``)."""

from __future__ import annotations

import os

import psycopg
import pytest
from django.db import connection

from bench.run import _replay, db_blocks, db_round_trip_us

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


def test_a_replay_prepares_what_the_page_prepared_and_nothing_else():
    statements = [
        ("SELECT 'kept' AS page_lookup", True),
        ("SELECT 'planned' AS page_panel", False),
        ("INSERT INTO no_such_table VALUES (1)", False),  # refused, in its savepoint
    ]
    kept: dict[str, str] = {}
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as direct:
        direct.prepare_threshold = None
        # More than psycopg's threshold of five runs of the same text, each rolled back.
        times = [_replay(direct, statements, kept) for _ in range(8)]
        prepared = direct.execute("SELECT statement FROM pg_prepared_statements").fetchall()
        assert direct.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert all(t > 0 for t in times)
    # The page's kept lookup prepared once and kept across the replays; nothing else.
    assert [row[0] for row in prepared] == ["PREPARE replay_0 AS SELECT 'kept' AS page_lookup"]
    assert kept == {"SELECT 'kept' AS page_lookup": "replay_0"}
