"""The bench's simulated staff (bench/locustfile.py) arrive at their own moments: each
waits as between two requests before its first, rather than all 16 sending their first
request at the instant locust starts them (docs/performance.md, a twenty-second session:
that burst queued at the client for up to 100 ms while the server took 15 ms).

Run in a child process: importing locust patches the interpreter's sockets for gevent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = {
    "cookie_name": "sessionid",
    "leads": [
        {"username": f"t0{n}-lead-1", "session": "s", "token": "t", "cases": ["SC-2026-000001"],
         "person_ids": [1], "premises_ids": [2]}
        for n in range(1, 4)
    ],
}  # fmt: skip

# Starts `count` case-page users as locust's User.run does (their task set, then
# on_start) and prints, as JSON, what each slept before its first request.
CHILD = """
import json, sys
from locust.env import Environment
from locust.user.task import DefaultTaskSet
from bench import locustfile
locustfile.CasePage.host = "http://127.0.0.1:9"  # never asked: no request is sent
environment = Environment(user_classes=[locustfile.CasePage])
waits = []
for _ in range(int(sys.argv[1])):
    user = locustfile.CasePage(environment)
    user._taskset_instance = DefaultTaskSet(user)
    user._taskset_instance._sleep = waits.append
    user.on_start()
print(json.dumps(waits))
"""


def _first_waits(tmp_path: Path, think: str, count: int) -> list[float]:
    data = tmp_path / "data.json"
    data.write_text(json.dumps(DATA))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(count)], cwd=ROOT, capture_output=True, text=True,
        env={"BENCH_DATA": str(data), "BENCH_THINK": think, "PATH": "/usr/bin:/bin"},
        timeout=120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("think", ["1", "2"])
def test_each_user_reads_for_a_moment_before_its_first_request(tmp_path, think):
    waits = _first_waits(tmp_path, think, 30)
    mean = float(think)
    assert len(waits) == 30  # one wait each, before any request
    assert all(0.5 * mean <= wait <= 1.5 * mean for wait in waits)
    assert len({round(wait, 6) for wait in waits}) > 20  # spread out, not one instant


def test_a_saturation_run_starts_at_once(tmp_path):
    assert _first_waits(tmp_path, "0", 5) == [0, 0, 0, 0, 0]
