"""Which interpreter `make install` makes .venv from (the Makefile's ``PYTHON``).

The distribution's python3.11, where it can make a venv, comes first: Debian's is built
with profile-guided and link-time optimisation, as the image's python:3.11-slim is: pages
took 5-17% less CPU on it at the median than on a default pyenv build
(docs/performance.md, a twenty-second session). Otherwise the first python3.11 on the
path, else python3.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = Path("/usr/bin/python3.11")


def chosen(*args: str, path: str | None = None) -> str:
    env = None
    if path is not None:
        env = {"PATH": path, "HOME": "/nonexistent"}
    done = subprocess.run(
        ["make", "--no-print-directory", *args, "--eval", "chosen: ; @echo $(PYTHON)", "chosen"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.strip()


def can_make_a_venv(python: str) -> bool:
    found = subprocess.run([python, "-c", "import ensurepip, venv"], capture_output=True)
    return found.returncode == 0


def test_the_interpreter_chosen_is_python_3_11_and_can_make_the_venv():
    python = chosen()
    assert python, "no interpreter found"
    assert can_make_a_venv(python)
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert version == "(3, 11)"


@pytest.mark.skipif(
    not (DISTRIBUTION.exists() and can_make_a_venv(str(DISTRIBUTION))),
    reason="no distribution python3.11 that can make a venv on this machine",
)
def test_the_distributions_optimised_python_comes_before_any_on_the_path():
    assert chosen() == str(DISTRIBUTION)
    assert chosen(path="/usr/local/bin:/bin") == str(DISTRIBUTION)


def test_an_interpreter_named_on_the_command_line_is_kept():
    assert chosen("PYTHON=/opt/python3.11/bin/python3.11") == "/opt/python3.11/bin/python3.11"


def test_without_the_distributions_python_the_first_on_the_path_is_chosen(tmp_path):
    """A python3.11 on the path that cannot make a venv is passed over for the next."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "python3.11").write_text("#!/bin/sh\nexit 1\n")
    (broken / "python3.11").chmod(0o755)
    python = chosen(path=f"{broken}:/usr/local/bin:/usr/bin:/bin")
    assert python != str(broken / "python3.11")
    assert can_make_a_venv(python)
