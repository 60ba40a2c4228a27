"""The bench serves the application as the image does (bench/run.py ``gunicorn_command``,
docker/gunicorn.conf.py): sync workers, as many as the image starts by default, and their
heartbeat files on tmpfs, not on this machine's disk where updating one can hold up a
worker between requests (docs/performance.md, a twenty-second session)."""

from __future__ import annotations

import runpy
from pathlib import Path

from bench import run

ROOT = Path(__file__).resolve().parent.parent


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_the_bench_runs_gunicorn_as_the_image_does(tmp_path, monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    image = runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    assert run.WORKER_TMP_DIR == Path(image["worker_tmp_dir"])  # the image's tmpfs
    shm = tmp_path / "shm"  # stands in for it, present whatever the machine
    shm.mkdir()
    monkeypatch.setattr(run, "WORKER_TMP_DIR", shm)
    command = run.gunicorn_command(8765, image["workers"], tmp_path / "access.log")
    assert _option(command, "--worker-class") == "sync"
    assert _option(command, "--workers") == str(image["workers"])
    assert _option(command, "--bind") == "127.0.0.1:8765"
    assert _option(command, "--worker-tmp-dir") == str(shm)


def test_without_tmpfs_the_heartbeat_stays_in_gunicorns_default(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "WORKER_TMP_DIR", tmp_path / "no-such-directory")
    command = run.gunicorn_command(8765, 3, tmp_path / "access.log")
    assert "--worker-tmp-dir" not in command
