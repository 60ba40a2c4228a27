"""Write requirements.runtime.lock: the pins of requirements.lock that production needs.

``requirements.lock`` (``make lock``: uv with the ``dev`` extra) pins everything a
developer installs, test and lint tools included. The production image (docker/Dockerfile)
must carry none of them, so it installs this file instead: the packages reachable from
pyproject.toml's ``[project] dependencies`` alone, following the lock's own "# via"
annotations, at exactly the versions the full lock pins (so development and production
run the same code).

    python scripts/runtime_lock.py            # rewrite requirements.runtime.lock
    python scripts/runtime_lock.py --check    # exit 1 if it is out of date

It needs nothing but the standard library, so ``make lock`` runs it right after uv.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL_LOCK = ROOT / "requirements.lock"
RUNTIME_LOCK = ROOT / "requirements.runtime.lock"
HEADER = (
    "# The production subset of requirements.lock (no dev extra), written by\n"
    "#    python scripts/runtime_lock.py  (make lock)\n"
    "# Do not edit: change pyproject.toml and run make lock.\n"
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==")
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_roots(pyproject: Path = ROOT / "pyproject.toml") -> set[str]:
    """The names in ``[project] dependencies`` (the dev extra is not among them)."""
    data = tomllib.loads(pyproject.read_text())
    names = set()
    for requirement in data["project"]["dependencies"]:
        match = REQUIREMENT_NAME.match(requirement)
        if match:
            names.add(normalise(match.group(1)))
    return names


def parse_lock(text: str) -> list[tuple[str, list[str], set[str]]]:
    """Each pin as (name, its lines, the packages it is there for, from "# via")."""
    entries: list[tuple[str, list[str], set[str]]] = []
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            entries.append((normalise(match.group(1)), [line], set()))
            continue
        if not entries or not line.startswith(" "):
            continue
        name, lines, via = entries[-1]
        lines.append(line)
        comment = line.strip().removeprefix("#").strip()
        comment = comment.removeprefix("via").strip()
        if comment and not comment.startswith("-r "):
            via.add(normalise(comment.split()[0]))
    return entries


def runtime_lock(full_lock_text: str, roots: set[str]) -> str:
    """The runtime subset of the full lock's text, in its order, with its annotations."""
    entries = parse_lock(full_lock_text)
    known = {name for name, _, _ in entries}
    missing = roots - known
    if missing:
        raise SystemExit(f"runtime_lock: not pinned in requirements.lock: {sorted(missing)}")
    needed = set(roots)
    changed = True
    while changed:
        changed = False
        for name, _, via in entries:
            if name not in needed and via & needed:
                needed.add(name)
                changed = True
    body = [line for name, lines, _ in entries if name in needed for line in lines]
    return HEADER + "\n".join(body) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = runtime_lock(FULL_LOCK.read_text(), runtime_roots())
    if args.check:
        if not RUNTIME_LOCK.exists() or RUNTIME_LOCK.read_text() != text:
            sys.stderr.write("requirements.runtime.lock is out of date: run make lock\n")
            return 1
        return 0
    RUNTIME_LOCK.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
