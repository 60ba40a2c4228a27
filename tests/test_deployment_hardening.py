"""Issue 17, low findings: the production image, the compose file and production settings.

- the image installs a runtime-only lock (no test, lint or browser tools) and every app;
- compose publishes web on loopback only, behind a proxy that alone sets
  X-Forwarded-Proto, and Django trusts that header only when told it is behind one;
- production sends mail over TLS unless told otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scripts import runtime_lock
from tests.test_settings import assert_one_line_naming, manage, production_env

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
# Development tools that must never reach the production image.
DEV_TOOLS = (
    "pytest",
    "pytest-django",
    "pytest-timeout",
    "pytest-xdist",
    "factory-boy",
    "ruff",
    "schemathesis",
    "playwright",
    "locust",
    "pyinstrument",
    "hypothesis",
    "flask",
)


def pinned(path: Path) -> set[str]:
    names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", path.read_text(), re.MULTILINE)
    return {runtime_lock.normalise(name) for name in names}


# --- the runtime lock and the image ----------------------------------------------------------


def test_runtime_lock_has_no_development_tools():
    runtime = pinned(ROOT / "requirements.runtime.lock")
    assert runtime, "requirements.runtime.lock pins nothing"
    assert runtime & set(DEV_TOOLS) == set()
    # ...while the full lock, for developers, still has them.
    assert {"pytest", "ruff", "playwright"} <= pinned(ROOT / "requirements.lock")


def test_runtime_lock_has_every_runtime_dependency_at_the_full_locks_version():
    runtime_text = (ROOT / "requirements.runtime.lock").read_text()
    full_text = (ROOT / "requirements.lock").read_text()
    assert runtime_lock.runtime_roots() <= pinned(ROOT / "requirements.runtime.lock")
    for line in runtime_text.splitlines():
        if "==" in line and not line.startswith(" "):
            assert re.search(rf"^{re.escape(line)}$", full_text, re.MULTILINE), line


def test_runtime_lock_is_up_to_date_with_the_full_lock():
    result = subprocess.run(
        [sys.executable, "scripts/runtime_lock.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_runtime_lock_follows_dependencies_of_dependencies_only():
    full = (
        "celery==5.0\n    # via safecase (pyproject.toml)\n"
        "kombu==5.0\n    # via celery\n"
        "pytest==9.0\n    # via\n    #   safecase (pyproject.toml)\n    #   pytest-django\n"
        "pluggy==1.0\n    # via pytest\n"
        "packaging==24\n    # via\n    #   pytest\n    #   kombu\n"
    )
    text = runtime_lock.runtime_lock(full, {"celery"})
    names = re.findall(r"^(\S+)==", text, re.MULTILINE)
    assert names == ["celery", "kombu", "packaging"]


def test_make_lock_writes_both_locks():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlock:", 1)[1].split("\n\n", 1)[0]
    assert "-o requirements.lock" in recipe
    assert "scripts/runtime_lock.py" in recipe


def test_image_installs_the_runtime_lock_and_every_app():
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    runs = [line for line in text.splitlines() if line.strip().startswith("RUN ")]
    assert any("pip install -r requirements.runtime.lock" in run for run in runs)
    assert not any(re.search(r"-r requirements\.lock\b", run) for run in runs)
    assert not any("[dev]" in run or "--extra" in run for run in runs)
    copies = [line for line in text.splitlines() if line.strip().startswith("COPY ")]
    assert any("requirements.runtime.lock" in copy for copy in copies)
    for app in ("config", "casework", "workflows", "referrals", "notifications", "footage"):
        assert sum(f"{app}/ {app}/" in copy for copy in copies) == 2, app
    # the reports app (issue 21) is in both the build and the runtime stages
    assert sum("reports/ reports/" in copy for copy in copies) == 2


# --- compose: loopback behind a proxy --------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def test_compose_publishes_web_on_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    assert compose["services"]["web"]["ports"], "web publishes no port for the proxy"


def test_compose_trusts_the_proxys_headers_it_alone_can_send(compose):
    env = compose["x-safecase-env"]
    assert env["TRUST_X_FORWARDED_PROTO"] == "${TRUST_X_FORWARDED_PROTO:-true}"
    assert env["SAFECASE_TRUSTED_PROXIES"].startswith("${SAFECASE_TRUSTED_PROXIES:-")
    assert env["EMAIL_USE_TLS"] == "${EMAIL_USE_TLS:-true}"
    assert env["EMAIL_USE_SSL"] == "${EMAIL_USE_SSL:-false}"


# --- production settings ---------------------------------------------------------------------


def settings_values(*names: str, **changes: str | None) -> list[str]:
    code = "from django.conf import settings as s; " + "; ".join(
        f"print(repr(getattr(s, {name!r}, None)))" for name in names
    )
    result = manage("shell", "--verbosity", "0", "-c", code, env=production_env(**changes))
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[: len(names)]


def test_production_does_not_trust_x_forwarded_proto_by_default():
    assert settings_values("SECURE_PROXY_SSL_HEADER", TRUST_X_FORWARDED_PROTO=None) == ["None"]


def test_production_trusts_x_forwarded_proto_when_behind_a_proxy():
    values = settings_values("SECURE_PROXY_SSL_HEADER", TRUST_X_FORWARDED_PROTO="true")
    assert values == ["('HTTP_X_FORWARDED_PROTO', 'https')"]


@pytest.mark.parametrize(("trust", "expected"), [(None, "False"), ("true", "True")])
def test_a_forged_x_forwarded_proto_does_not_make_plain_http_secure(trust, expected):
    code = (
        "from django.test import RequestFactory\n"
        "r = RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https')\n"
        "print('secure', r.is_secure())\n"
    )
    env = production_env(TRUST_X_FORWARDED_PROTO=trust)
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert f"secure {expected}" in result.stdout, result.stdout


def test_production_email_uses_tls_by_default():
    values = settings_values("EMAIL_USE_TLS", "EMAIL_USE_SSL", EMAIL_USE_TLS=None)
    assert values == ["True", "False"]


def test_production_email_uses_implicit_tls_when_ssl_is_chosen():
    values = settings_values(
        "EMAIL_USE_TLS", "EMAIL_USE_SSL", EMAIL_USE_TLS=None, EMAIL_USE_SSL="true"
    )
    assert values == ["False", "True"]


def test_production_email_tls_and_ssl_together_is_a_configuration_error():
    result = manage("check", env=production_env(EMAIL_USE_TLS="true", EMAIL_USE_SSL="true"))
    assert_one_line_naming(result, "EMAIL_USE_SSL")
