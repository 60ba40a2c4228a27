"""The same search gives the same answers on the embedded PostgreSQL of ``make run`` as on
the server the suite runs on (issue 18: "The same search answers in the embedded and the
machine's PostgreSQL (a test)").

``tests/casework/test_search_index.py`` fixes the answers of a set of searches (``GOLDEN``:
names folded and phonetic, a date of birth, a postcode, a phone number, an apostrophe)
and checks them on the server the suite is given: the machine's PostgreSQL 15 in CI. This
test starts the embedded server (``config.embedded``: ``pgserver``'s PostgreSQL 16,
without ``pg_trgm`` or any other extension) in a folder of its own and runs that same test
there, so both servers are held to the same answers on every run of the suite, whichever
one it is given.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_TEST = (
    "tests/casework/test_search_index.py::"
    "test_the_same_search_gives_the_same_answers_whatever_the_servers_text_config"
)


def test_the_golden_searches_answer_the_same_on_the_embedded_server(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SAFECASE_VAR_DIR"] = str(var)
    command = [sys.executable, "-m", "config.embedded", "--"]
    command += [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", GOLDEN_TEST]
    try:
        done = subprocess.run(  # noqa: S603
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
    finally:
        _stop(var / "pgdata")
    said = done.stdout + done.stderr
    # It ran on a server of its own, started for it, and not on the suite's.
    assert f"using the embedded PostgreSQL under {var / 'pgdata'}" in done.stderr, said
    assert (var / "pgdata" / "PG_VERSION").is_file(), said
    assert done.returncode == 0, said
    # The same three runs as on the suite's server (its text search configurations),
    # each with every answer of GOLDEN.
    assert re.search(r"\b3 passed\b", done.stdout), said


def _stop(pgdata: Path) -> None:
    """Stop the server if the run left it up (config.embedded stops it when its command
    ends; a timeout kills that first)."""
    if (pgdata / "postmaster.pid").exists():
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", _STOP, str(pgdata)], cwd=ROOT, capture_output=True,
            timeout=60, check=False,
        )  # fmt: skip


_STOP = "import sys, pgserver; pgserver.get_server(sys.argv[1], cleanup_mode='stop').cleanup()"
