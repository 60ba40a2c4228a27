"""Throwaway and kept benchmark databases on the server DATABASE_URL names: a connection
to that server's maintenance database, and the URL of another database on it. Shared by
bench/run.py (make bench) and bench/sweep.py."""

from __future__ import annotations

import psycopg

from config.env import database_config


def admin_connection(url: str) -> psycopg.Connection:
    """An autocommit connection to the ``postgres`` database of ``url``'s server, for
    CREATE and DROP DATABASE."""
    config = database_config(url)
    return psycopg.connect(
        dbname="postgres",
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        autocommit=True,
    )


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server, query string kept."""
    base, _, rest = url.rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")
