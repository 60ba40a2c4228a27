"""Run a command on the embedded defaults when no services are configured.

``python -m config.embedded -- CMD ...`` starts PostgreSQL from the ``pgserver``
package under ``var/pgdata`` when ``DATABASE_URL`` is unset, creates the
``safecase`` database, sets ``DATABASE_URL`` for CMD, runs it, and stops the
server when CMD ends (Ctrl-C included). With ``DATABASE_URL`` set it runs CMD
unchanged. Celery needs nothing here: without ``REDIS_URL`` the settings choose
the kombu filesystem transport under ``var/``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import warnings

from config.env import VAR_DIR, socket_database_url

DATABASE_NAME = "safecase"
_PR_SET_PDEATHSIG = 1


def start_embedded_postgres() -> tuple[object, str]:
    """Start (or join) the embedded server and return it with a DATABASE_URL for it."""
    warnings.filterwarnings("ignore", module="platformdirs")
    import pgserver

    pgdata = VAR_DIR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'safecase';")
    if "(1 row)" not in exists:
        server.psql("CREATE DATABASE safecase;")
    socket_dir = server.get_postmaster_info().socket_dir
    return server, socket_database_url(str(socket_dir), DATABASE_NAME)


def stop_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent dies (Linux), so that
    killing ``make`` alone still stops what it started: SIGTERM is passed on below."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def run(command: list[str]) -> int:
    stop_with_parent()
    env = os.environ.copy()
    server = None
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres()
        sys.stderr.write(f"safecase: using the embedded PostgreSQL under {VAR_DIR / 'pgdata'}\n")
    if not env.get("REDIS_URL"):
        broker = VAR_DIR / "celery"
        sys.stderr.write(f"safecase: using the Celery filesystem broker under {broker}\n")
    child = subprocess.Popen(command, env=env)
    # Ctrl-C reaches the whole process group; the child shuts itself down and we wait.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    finally:
        if server is not None:
            server.cleanup()


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        sys.stderr.write("usage: python -m config.embedded -- COMMAND [ARGS...]\n")
        raise SystemExit(2)
    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
