"""The production container set-up: compose file, Dockerfile, entrypoint and health checks.

Docker itself does not run here, so the files are parsed and checked against what the
settings need, and the entrypoint and health-check scripts are run for real.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from kombu import Exchange, Queue

from config.celery import app as celery_app
from tests.casework.test_db_roles import APP_PASSWORD, app_role_set_up, database_url_of

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
# What production settings (config/settings.py) cannot start without.
PRODUCTION_REQUIRED = ("SAFECASE_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
VENV_BIN = Path(sys.executable).parent


# --- compose -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the anchors, aliases and << merge keys, as compose does.
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} substitution."""

    def substitute(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        if op == ":?":
            raise LookupError(f"{name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", substitute, value)


def test_compose_has_the_five_services_each_with_a_healthcheck(compose):
    services = compose["services"]
    assert set(APP_SERVICES + BACKING_SERVICES) <= set(services)
    for name in APP_SERVICES + BACKING_SERVICES:
        healthcheck = services[name].get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        assert healthcheck.get("test"), f"{name}'s healthcheck has no test"
        assert not healthcheck.get("disable"), f"{name}'s healthcheck is disabled"


def test_compose_backing_services_images_and_probes(compose):
    postgres, redis = compose["services"]["postgres"], compose["services"]["redis"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    # Sized for a county's data, not PostgreSQL's and Docker's small defaults (128 MB of
    # shared buffers; 64 MB of /dev/shm, too little for parallel queries).
    assert postgres["command"] == [
        "postgres", "-c", "shared_buffers=${POSTGRES_SHARED_BUFFERS:-1GB}"
    ]  # fmt: skip
    assert postgres["shm_size"] == "${POSTGRES_SHM_SIZE:-256mb}"
    assert redis["image"] == "redis:7"
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])
    assert "ping" in " ".join(redis["healthcheck"]["test"])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(compose, service):
    depends_on = compose["services"][service]["depends_on"]
    for backing in BACKING_SERVICES:
        assert depends_on[backing]["condition"] == "service_healthy", (service, backing)


@pytest.mark.parametrize("service", [*BACKING_SERVICES, "web", "worker"])
def test_state_lives_in_named_volumes(compose, service):
    declared = set(compose["volumes"])
    mounts = compose["services"][service].get("volumes", [])
    named = [m.split(":", 1)[0] for m in mounts if not m.startswith(("/", "."))]
    assert named, f"{service} mounts no named volume"
    assert set(named) <= declared, f"{service} mounts an undeclared volume: {named}"


def test_postgres_and_redis_keep_their_data_directories(compose):
    assert any(
        m.endswith(":/var/lib/postgresql/data") for m in compose["services"]["postgres"]["volumes"]
    )
    assert any(m.endswith(":/data") for m in compose["services"]["redis"]["volumes"])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_get_everything_production_settings_require(compose, service):
    env = dict(compose["services"][service]["environment"])
    if service == "web":  # only web migrates, as the owner of the tables
        owner = env.pop("DATABASE_OWNER_URL")
        assert owner.startswith("postgresql://safecase:${POSTGRES_PASSWORD:?")
        assert "@postgres:5432/safecase" in owner
    assert env == compose["x-safecase-env"], "the app services share the x-safecase-env anchor"
    assert "DATABASE_OWNER_URL" not in env
    for name in PRODUCTION_REQUIRED:
        assert str(env.get(name, "")).strip(), f"{service} lacks {name}"
    assert env["SAFECASE_ENV"] == "production"
    # Secrets come from the operator, and compose refuses to start without them.
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:?")
    assert env["DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_compose_refuses_to_start_without_the_secrets(compose):
    env = compose["x-safecase-env"]
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "SAFECASE_AUDIT_KEY", "SAFECASE_DB_APP_PASSWORD"):
        with pytest.raises(LookupError, match=name):
            interpolate(env[name], {})


def test_production_settings_load_from_the_compose_environment_alone(compose):
    """Nothing from the developer's shell: the compose environment must be enough."""
    operator = {
        "SECRET_KEY": "compose-test-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "safecase.example.org",
        "POSTGRES_PASSWORD": "0123456789abcdef",
        "SAFECASE_DB_APP_PASSWORD": "fedcba9876543210",
        "SAFECASE_BASE_URL": "https://safecase.example.org",
        "SAFECASE_AUDIT_KEY": "compose-test-audit-key-" + uuid.uuid4().hex,
    }
    env = {
        name: interpolate(str(value), operator) for name, value in compose["x-safecase-env"].items()
    }
    env["PATH"] = os.environ["PATH"]

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_commands(compose):
    services = compose["services"]
    assert services["web"]["command"][0] == "gunicorn"
    worker = " ".join(services["worker"]["command"])
    assert worker.startswith("celery -A config worker")
    beat = " ".join(services["beat"]["command"])
    assert beat.startswith("celery -A config beat")
    assert "--schedule" in beat
    assert "--enable-remote-control" in beat  # beat's health check pings it
    for name in APP_SERVICES:
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"


def test_env_example_lists_every_variable_compose_reads():
    used = set(re.findall(r"\$\{(\w+)", (DOCKER / "compose.yml").read_text()))
    listed = set(re.findall(r"^(\w+)=", (DOCKER / ".env.example").read_text(), re.MULTILINE))
    assert used - listed == set()


# --- Dockerfile ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> list[list[str]]:
    """Instructions (continuation lines joined) split into stages."""
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(re.sub(r"\s+", " ", line))
    return stages


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [line[len(keyword) + 1 :] for line in stage if line.upper().startswith(keyword + " ")]


def test_dockerfile_stages(dockerfile):
    froms = [stage[0] for stage in dockerfile]
    assert froms[0].startswith("FROM node:20-slim AS ")
    assert all(f.startswith("FROM python:3.11-slim AS ") for f in froms[1:])
    assert len(froms) == 3

    node = dockerfile[0]
    copied = " ".join(instructions(node, "COPY"))
    assert copied == "package.json package-lock.json ./ frontend/ frontend/"
    runs = " ".join(instructions(node, "RUN"))
    assert "npm ci" in runs
    assert "npm run build" in runs

    build = " ".join(instructions(dockerfile[1], "RUN"))
    assert "pip install -r requirements.runtime.lock" in build
    assert "pip install --no-deps ." in build


def test_runtime_stage_runs_as_a_non_root_user(dockerfile):
    runtime = dockerfile[-1]
    users = instructions(runtime, "USER")
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user == "10001"
    assert any("--uid 10001" in run for run in instructions(runtime, "RUN"))


def test_runtime_stage_entrypoint_cmd_healthcheck_and_port(dockerfile):
    runtime = dockerfile[-1]
    assert instructions(runtime, "ENTRYPOINT") == ['["/app/docker/entrypoint.sh"]']
    cmd = instructions(runtime, "CMD")[-1]
    assert cmd.startswith('["gunicorn", "config.wsgi:application"')
    assert instructions(runtime, "EXPOSE") == ["8000"]
    healthcheck = instructions(runtime, "HEALTHCHECK")
    assert healthcheck
    assert '"python", "/app/docker/healthcheck.py", "web"' in healthcheck[-1]
    assert "/healthz" in (DOCKER / "healthcheck.py").read_text()
    assert (DOCKER / "entrypoint.sh").stat().st_mode & 0o111, "entrypoint.sh is not executable"


def test_collectstatic_runs_at_build_time_with_dummy_settings_only(dockerfile):
    runtime = dockerfile[-1]
    runs = [run for run in instructions(runtime, "RUN") if "collectstatic" in run]
    assert len(runs) == 1
    run = runs[0]
    assert "collectstatic --noinput" in run
    for assignment in ("SAFECASE_ENV=production", "ALLOWED_HOSTS=", "DATABASE_URL=postgresql://"):
        assert assignment in run
    secret = re.search(r"SECRET_KEY=(\S+)", run)
    assert secret
    assert len(secret.group(1)) >= 50
    # The dummy values must not become the image's environment.
    for env_line in instructions(runtime, "ENV"):
        assert "SECRET_KEY" not in env_line
        assert "DATABASE_URL" not in env_line
    copies = " ".join(instructions(runtime, "COPY"))
    assert "--from=assets /build/static_build/assets/ static_build/assets/" in copies


def test_runtime_stage_copies_every_local_app(dockerfile):
    copies = instructions(dockerfile[-1], "COPY")
    local_apps = [
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    ]
    assert local_apps
    for directory in [*local_apps, "config", "templates", "docs/workflows"]:
        assert f"{directory}/ {directory}/" in copies, f"the image lacks {directory}/"


def test_dockerfile_copies_only_files_that_exist(dockerfile):
    for stage in dockerfile:
        for copy in instructions(stage, "COPY"):
            parts = [p for p in copy.split() if not p.startswith("--")]
            if "--from=" in copy:
                continue
            for source in parts[:-1]:
                if "*" in source:
                    continue
                assert (ROOT / source).exists(), f"COPY {source}: no such file"


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".venv", "var", "node_modules", "static_build", ".git", ".pytest_cache", ".env"):
        assert entry in ignored, entry


# --- entrypoint, run for real ------------------------------------------------------------


def database_url(db: dict) -> str:
    """A DATABASE_URL for Django's DATABASES entry (TCP host or socket directory)."""
    user = quote(db.get("USER") or "", safe="")
    auth = f"{user}:{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else user
    host = quote(db.get("HOST") or "", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}@{host}{port}/{db['NAME']}"


def run_entrypoint(*command: str, **env_changes: str | None) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    env["PATH"] = (
        f"{VENV_BIN}{os.pathsep}{env['PATH']}"  # `python` is the project's, as in the image
    )
    env.pop("SAFECASE_MIGRATE", None)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        ["sh", str(DOCKER / "entrypoint.sh"), *command],
        cwd="/",  # the script must find the project from its own location
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def test_database_url(db) -> str:
    return database_url(settings.DATABASES["default"])


def test_entrypoint_waits_for_the_database_then_runs_the_command(test_database_url):
    result = run_entrypoint("echo", "started", DATABASE_URL=test_database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "started"
    assert "is ready" in result.stdout
    assert "migrat" not in result.stdout.lower(), "a non-web command must not migrate"


def test_entrypoint_migrates_when_asked(test_database_url):
    result = run_entrypoint("echo", "started", DATABASE_URL=test_database_url, SAFECASE_MIGRATE="1")

    assert result.returncode == 0, result.stderr
    assert "No migrations to apply." in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "started"


def test_entrypoint_migrates_before_gunicorn(test_database_url):
    result = run_entrypoint("gunicorn", "--version", DATABASE_URL=test_database_url)

    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.strip().splitlines()]
    assert "No migrations to apply." in lines
    assert lines[-1].startswith("gunicorn (version ")


@pytest.fixture
def app_role(db, settings):
    with app_role_set_up(settings) as found:
        yield found


def test_entrypoint_sets_up_the_roles_migrates_as_the_owner_and_drops_its_credentials(
    app_role, test_database_url
):
    role, settings_dict = app_role
    app_url = database_url_of(settings_dict, user=role, password=APP_PASSWORD)
    result = run_entrypoint(
        "sh", "-c", "echo owner=${DATABASE_OWNER_URL:-none}",
        DATABASE_URL=app_url, DATABASE_OWNER_URL=test_database_url, SAFECASE_MIGRATE="1",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.strip().splitlines()]
    assert lines.count(f"OK: {role} set up") == 2  # before and after the migrations
    assert "No migrations to apply." in lines
    assert lines[-1] == "owner=none"  # the command never sees the owner's credentials


def test_entrypoint_gives_up_on_an_unreachable_database_with_one_line():
    started = time.monotonic()

    result = run_entrypoint(
        "echo",
        "started",
        DATABASE_URL="postgresql://postgres@127.0.0.1:1/x",
        SAFECASE_DB_WAIT_TIMEOUT="2",
    )

    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0]
    assert "127.0.0.1:1/x" in lines[0]
    assert time.monotonic() - started < 60


def test_entrypoint_without_a_database_url_names_it():
    result = run_entrypoint("echo", "started", DATABASE_URL=None)

    assert result.returncode == 2
    assert "started" not in result.stdout
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr


def test_entrypoint_without_a_command_says_so():
    result = run_entrypoint()

    assert result.returncode == 2
    assert "no command" in result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_entrypoint_is_clean_posix_sh():
    result = subprocess.run(
        ["shellcheck", "-s", "sh", str(DOCKER / "entrypoint.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


# --- health-check script, run for real ---------------------------------------------------


def load_healthcheck():
    spec = importlib.util.spec_from_file_location("safecase_healthcheck", DOCKER / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("safecase.example.org", "safecase.example.org"),
        (" safecase.example.org , other.example.org", "safecase.example.org"),
        (".example.org", "example.org"),
        ("*", "localhost"),
        ("", None),
    ],
)
def test_healthcheck_host_header_is_one_allowed_hosts_accepts(allowed_hosts, host):
    assert load_healthcheck().host_header(allowed_hosts) == host


def run_healthcheck(kind: str, **env_changes: str) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, str(DOCKER / "healthcheck.py"), kind],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_web_healthcheck_passes_against_a_live_server(live_server, settings):
    settings.ALLOWED_HOSTS = ["safecase.example.org"]

    result = run_healthcheck(
        "web",
        SAFECASE_HEALTHCHECK_URL=f"{live_server.url}/healthz",
        ALLOWED_HOSTS="safecase.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("healthy: ")


def test_web_healthcheck_fails_when_the_host_is_refused(live_server, settings):
    settings.ALLOWED_HOSTS = ["safecase.example.org"]

    result = run_healthcheck(
        "web", SAFECASE_HEALTHCHECK_URL=f"{live_server.url}/healthz", ALLOWED_HOSTS="elsewhere.org"
    )

    assert result.returncode == 1
    assert "400" in result.stdout


def test_web_healthcheck_fails_when_nothing_listens():
    result = run_healthcheck("web", SAFECASE_HEALTHCHECK_URL="http://127.0.0.1:1/healthz")

    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: web: ")
    assert "Traceback" not in result.stderr


needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="Celery remote control (ping) needs a broker with broadcast: Redis (REDIS_URL)",
)


@needs_redis
@pytest.mark.celery_real
def test_worker_healthcheck_pings_a_real_worker():
    node = f"celery@healthcheck-{uuid.uuid4().hex[:12]}"
    queue = f"test-healthcheck-{uuid.uuid4().hex}"
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, hostname=node, queues=[queue]
        ):
            healthy = run_healthcheck("worker", SAFECASE_HEALTHCHECK_NODE=node)
    finally:
        with celery_app.connection_for_write() as conn:
            bound = Queue(queue, Exchange(queue), routing_key=queue)(conn.default_channel)
            bound.declare()  # registers the binding with this channel, so delete() unbinds it
            bound.delete()
    missing = run_healthcheck(
        "worker", SAFECASE_HEALTHCHECK_NODE=node, SAFECASE_HEALTHCHECK_TIMEOUT="1"
    )

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert missing.returncode == 1
    assert f"{node} did not answer" in missing.stdout


@needs_redis
@pytest.mark.celery_real
def test_beat_healthcheck_pings_a_real_beat(tmp_path):
    node = f"celerybeat@healthcheck-{uuid.uuid4().hex[:12]}"
    beat = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "beat",
            "--loglevel=WARNING",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
            "--enable-remote-control",
            "--hostname",
            node,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        result = None
        while time.monotonic() < deadline and beat.poll() is None:
            result = run_healthcheck(
                "beat", SAFECASE_HEALTHCHECK_NODE=node, SAFECASE_HEALTHCHECK_TIMEOUT="2"
            )
            if result.returncode == 0:
                break
    finally:
        beat.terminate()
        _, beat_errors = beat.communicate(timeout=30)

    assert result is not None, f"beat exited early: {beat_errors}"
    assert result.returncode == 0, result.stdout + beat_errors
