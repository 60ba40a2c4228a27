"""`make run` from a fresh clone (scripts/run.py, the Procfile; issue 16).

Each test copies the project's tracked files (as a fresh clone has them: no var/, no
.venv, no built assets) to a temporary folder and starts `make run`'s own command there,
as the Makefile does, with DATABASE_URL and REDIS_URL set (a new database on the test
server, which the later ways of stopping reuse) and once with neither (the embedded
PostgreSQL and the filesystem broker). Each then checks that web, worker and beat all
came up and stay up (beat once died for want of var/), that the web server holds no more
database connections after a burst of requests than it has workers, and that the way the
test stops it leaves no process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
START_SECONDS = 120
STOP_SECONDS = 45
WEB_WORKERS = 2  # the Procfile's gunicorn --workers


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,  # noqa: S607
    )
    return [name for name in listed.stdout.decode().split("\0") if name]


def fresh_clone(target: Path) -> Path:
    """The tracked files as they are in the working tree, nothing generated."""
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not (target / "var").exists()
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_params() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"] or "",
    }


def admin(sql: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as conn:
        conn.execute(sql)


def connections_to(database: str) -> int:
    with psycopg.connect(dbname="postgres", autocommit=True, **server_params()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    clone: Path
    port: int
    log: Path

    def get(self, path: str) -> int:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, OSError):
            return 0

    def group(self) -> list[psutil.Process]:
        """Every live process of the run: its process group and anything working in the
        clone (a process that left the group would still be found)."""
        found = []
        for proc in psutil.process_iter(["pid", "cwd", "status"]):
            try:
                in_group = os.getpgid(proc.pid) == self.process.pid
                in_clone = (proc.info["cwd"] or "").startswith(str(self.clone))
            except (ProcessLookupError, psutil.Error):
                continue
            if (in_group or in_clone) and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        return [p for p in found if not _is_embedded_postgres(p, self.clone)]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _is_embedded_postgres(proc: psutil.Process, clone: Path) -> bool:
    """pgserver's PostgreSQL (working in var/pgdata) is checked on its own: it outlives a
    killed run on purpose (the data stays, the next run joins it)."""
    try:
        return proc.name() == "postgres" and (proc.cwd() or "").startswith(str(clone / "var"))
    except psutil.Error:
        return False


def embedded_postgres(clone: Path) -> list[psutil.Process]:
    return [p for p in psutil.process_iter() if _is_embedded_postgres(p, clone)]


def start(clone: Path, env: dict[str, str], command: list[str]) -> Running:
    port = free_port()
    env = {**env, "SAFECASE_PORT": str(port), "SAFECASE_DEMO_PASSWORD": "safecase-demo-2026"}
    log = clone / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    running = Running(process, clone, port, log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and running.get("/healthz") != 200:
        assert process.poll() is None, f"make run ended early:\n{running.output()[-3000:]}"
        time.sleep(1)
    assert running.get("/healthz") == 200, running.output()[-3000:]
    return running


def wait_ready(running: Running) -> None:
    """Web, worker (its heartbeat at start) and beat up: /readyz is 200 and beat started."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if running.get("/readyz") == 200 and "beat: Starting" in running.output():
            break
        time.sleep(1)
    assert running.get("/readyz") == 200, running.output()[-3000:]
    assert "beat: Starting" in running.output()
    for folder in ("mail", "media", "celery"):
        assert (running.clone / "var" / folder).is_dir(), folder
    time.sleep(3)  # beat writes its schedule as it starts; an error stops everything
    assert running.process.poll() is None, running.output()[-3000:]
    assert list((running.clone / "var").glob("celerybeat-schedule*"))
    names = {p.name() for p in running.group()}
    assert {"gunicorn", "celery"} <= names, names


def half_sent_request(port: int) -> socket.socket:
    """A request the server has accepted and is reading: its last line is not sent yet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(1)  # a worker has taken the connection and waits for the rest
    return sock


def finish(sock: socket.socket) -> bytes:
    with sock:
        sock.sendall(b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def stop_and_check(running: Running, how: str) -> None:
    pid = running.process.pid
    if how == "SIGTERM":
        # A request in flight when the signal comes is answered, not dropped.
        in_flight = half_sent_request(running.port)
        running.process.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert finish(in_flight).startswith(b"HTTP/1.1 200 OK"), running.output()[-2000:]
    elif how == "SIGINT to the group":  # Ctrl-C in the terminal
        os.killpg(pid, signal.SIGINT)
    elif how == "SIGKILL to the group":
        os.killpg(pid, signal.SIGKILL)
    elif how == "SIGKILL to run.py alone":
        running.process.kill()
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and (running.group() or running.process.poll() is None):
        time.sleep(0.5)
    left = [(p.pid, p.name()) for p in running.group()]
    assert left == [], f"{how} left {left}:\n{running.output()[-2000:]}"
    if how.startswith("SIG") and "KILL" not in how:
        assert running.process.returncode == 0, running.output()[-2000:]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    return fresh_clone(tmp_path / "safecase")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """One database for the file's runs with DATABASE_URL: the first (SIGTERM) meets it
    empty, as a fresh clone does, and migrates it from nothing; the later ones meet what
    the run before them left, as a second `make run` does, so that only one of them
    spends the half a minute of migrating from nothing (the suite's time)."""
    name = f"{settings.DATABASES['default']['NAME']}_makerun"
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    yield name
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def burst_connections(running: Running, database: str) -> tuple[int, int]:
    """Connections to the database after 15 requests one by one, then after 40 at once."""
    for _ in range(15):
        assert running.get("/readyz") == 200
    after_sequence = connections_to(database)
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda _: running.get("/readyz"), range(40)))
    assert set(statuses) == {200}, statuses
    return after_sequence, connections_to(database)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a Redis to use)")
@pytest.mark.parametrize(
    # Ctrl-C (SIGINT to the group) is the embedded test's way.
    "how",
    ["SIGTERM", "SIGKILL to the group", "SIGKILL to run.py alone"],
)
def test_make_run_with_database_and_redis_urls_from_a_fresh_clone(clone, database, how):
    db = server_params()
    url = f"postgresql://{db['user']}:{db['password']}@{db['host']}:{db['port']}/{database}"
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("SAFECASE_VAR_DIR", None)
    running = start(clone, env, [PYTHON, "scripts/run.py"])
    try:
        wait_ready(running)
        if how == "SIGTERM":  # the connection count once, not for every way of stopping
            after_sequence, after_burst = burst_connections(running, database)
            # gunicorn's workers hold one each; the worker and beat may hold theirs.
            assert after_sequence <= WEB_WORKERS + 2, after_sequence
            assert after_burst <= WEB_WORKERS + 2, after_burst
        stop_and_check(running, how)
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)


def test_make_run_embedded_from_a_fresh_clone(clone):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("SAFECASE_VAR_DIR", None)
    running = start(clone, env, [PYTHON, "-m", "config.embedded", "--", PYTHON, "scripts/run.py"])
    try:
        wait_ready(running)
        assert embedded_postgres(clone)
        stop_and_check(running, "SIGINT to the group")
        psutil.wait_procs(embedded_postgres(clone), timeout=20)
        assert embedded_postgres(clone) == []  # a clean stop stops it too
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
        _stop_embedded_postgres(clone)


def _stop_embedded_postgres(clone: Path) -> None:
    pid_file = clone / "var" / "pgdata" / "postmaster.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        psutil.wait_procs([psutil.Process(pid)], timeout=20)


def test_killing_make_alone_stops_what_it_started(tmp_path):
    """`make` does not pass a signal on to its recipe; config.embedded (the recipe) asks
    the kernel for SIGTERM when its parent dies and passes that on to its command."""
    child_pid = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        f"proc = subprocess.Popen([sys.executable, '-m', 'config.embedded', '--', 'bash', '-c',"
        f" 'echo $$ > {child_pid}; exec sleep 120'])\n"
        "time.sleep(120)\n"
    )
    make = subprocess.Popen([PYTHON, "-c", script], cwd=ROOT, env=os.environ.copy())  # noqa: S603
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not child_pid.exists():
            time.sleep(0.2)
        time.sleep(0.5)
        pid = int(child_pid.read_text())
        started = psutil.Process(make.pid).children(recursive=True)
        assert pid in {p.pid for p in started}
        make.kill()  # SIGKILL to the "make" stand-in only
        make.wait(10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.2)
        assert not _running(pid), "the command outlived the killed make"
    finally:
        if make.poll() is None:
            make.kill()
        for proc in started:  # still running only if the test failed
            if _running(proc.pid):
                proc.kill()


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
