"""`make run`: migrate, load the demo data, then start web, worker and beat together.

Runs inside ``config.embedded`` so DATABASE_URL is set. Ctrl-C stops all three
(honcho forwards it); the data stays in var/ for the next run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def manage(*args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def main() -> None:
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo")
    port = os.environ.get("SAFECASE_PORT", "8000")
    password = os.environ.get("SAFECASE_DEMO_PASSWORD", "")
    print(
        f"\nSafecase is starting at http://127.0.0.1:{port}/\n"
        "Sign in as frontline.north, frontline.south, lead.north, lead.south, prevent.lead,\n"
        f"auditor or admin, with the password {password!r} (SAFECASE_DEMO_PASSWORD).\n"
        "Press Ctrl-C to stop web, worker and beat.\n",
        flush=True,
    )
    honcho = subprocess.run([str(BIN / "honcho"), "start", "-f", "Procfile"], cwd=ROOT, check=False)
    raise SystemExit(honcho.returncode)


if __name__ == "__main__":
    main()
