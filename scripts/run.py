"""`make run`: prepare var/, migrate, load the demo data, then run web, worker and beat.

Runs inside ``config.embedded``, so DATABASE_URL is set (to the embedded PostgreSQL when
the environment gave none). The three processes are the Procfile's, started and watched
here rather than by honcho, so that:

- what they need exists whatever the settings: ``var/`` and its folders (beat's schedule,
  mail, attachments, the filesystem broker) are made before anything starts, also when
  DATABASE_URL and REDIS_URL point elsewhere;
- they stay in this process group: ``kill -9`` of the group (``kill -9 -<pgid>``) ends
  them all, and each is also told to stop (SIGTERM, by the kernel) if this process dies;
- any signal (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) or the end of any one of them stops the
  others: SIGTERM first (gunicorn finishes the answers it is writing, the worker the
  tasks it holds), SIGKILL after ``STOP_TIMEOUT`` seconds for whatever is left.

The data stays in var/ (or the configured services) for the next run.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from config.env import VAR_DIR  # noqa: E402 - needs ROOT on the path

STOP_TIMEOUT = 30.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
VAR_FOLDERS = ("mail", "media", "celery/queue", "celery/processed", "celery/control")
_PR_SET_PDEATHSIG = 1


def prepare_var(var_dir: Path = VAR_DIR) -> None:
    """Make var/ and every folder the processes write to, whatever the settings."""
    for folder in VAR_FOLDERS:
        (var_dir / folder).mkdir(parents=True, exist_ok=True)


def procfile(path: Path) -> list[tuple[str, str]]:
    """(name, command) for each ``name: command`` line of a Procfile."""
    entries = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


def _stop_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM if this supervisor dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, entries: list[tuple[str, str]], env: dict[str, str]) -> None:
        self.entries = entries
        self.env = env
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()
        self.width = max(len(name) for name, _ in entries)
        self.output = threading.Lock()

    def say(self, name: str, line: bytes) -> None:
        with self.output:
            sys.stdout.buffer.write(f"{name:<{self.width}} | ".encode() + line)
            sys.stdout.buffer.flush()

    def _relay(self, name: str, child: subprocess.Popen[bytes]) -> None:
        stream = child.stdout
        for line in iter(stream.readline, b"") if stream is not None else ():
            self.say(name, line)

    def start(self) -> None:
        for name, command in self.entries:
            child = subprocess.Popen(  # noqa: S603 - the project's own Procfile
                ["/bin/bash", "-c", f"exec {command}"],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                preexec_fn=_stop_with_parent,  # noqa: PLW1509 - only prctl, before exec
            )
            self.children[name] = child
            threading.Thread(target=self._relay, args=(name, child), daemon=True).start()
            self.say("run", f"started {name} (pid {child.pid})\n".encode())

    def on_signal(self, signum: int, frame: object) -> None:
        if not self.stopping.is_set():
            self.say("run", f"{signal.Signals(signum).name}: stopping everything\n".encode())
        self.stopping.set()

    def wait(self) -> int:
        """Until a signal or a process ends; then stop the rest. The exit status."""
        status = 0
        while not self.stopping.is_set():
            for name, child in self.children.items():
                code = child.poll()
                if code is not None:
                    self.say("run", f"{name} stopped (exit {code}); stopping the others\n".encode())
                    status = code or 1
                    self.stopping.set()
                    break
            self.stopping.wait(0.5)
        self.stop()
        return status

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, child in self.children.items():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.say("run", f"{name} did not stop in {STOP_TIMEOUT:g}s: killed\n".encode())
                child.kill()
                child.wait()


def manage(*args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def main() -> None:
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    prepare_var()
    supervisor = Supervisor(procfile(ROOT / "Procfile"), os.environ.copy())
    for signum in STOP_SIGNALS:
        signal.signal(signum, supervisor.on_signal)
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo")
    port = os.environ.get("SAFECASE_PORT", "8000")
    password = os.environ.get("SAFECASE_DEMO_PASSWORD", "")
    print(
        f"\nSafecase is starting at http://127.0.0.1:{port}/\n"
        "Sign in as frontline.north, frontline.south, lead.north, lead.south, prevent.lead,\n"
        f"auditor, analyst or admin, with the password {password!r} (SAFECASE_DEMO_PASSWORD).\n"
        "Press Ctrl-C to stop web, worker and beat.\n",
        flush=True,
    )
    if supervisor.stopping.is_set():  # a signal during the migration
        raise SystemExit(0)
    supervisor.start()
    raise SystemExit(supervisor.wait())


if __name__ == "__main__":
    main()
