"""/healthz (liveness) and /readyz (readiness: database, broker and a worker's heartbeat)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.utils import OperationalError
from django.utils import timezone

from casework import health
from config.celery import app as celery_app
from notifications.models import WorkerHeartbeat

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


class _BrokenConnection:
    """Stands in for django.db.connection when the database is down."""

    def cursor(self):
        raise OperationalError('connection to server at "db", port 5432 failed: Connection refused')


@pytest.fixture
def unreachable_broker(monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", UNREACHABLE_BROKER)
    assert celery_app.conf.broker_write_url == UNREACHABLE_BROKER


@pytest.fixture
def worker_running(db):
    WorkerHeartbeat.objects.create(name="celery@here", last_seen=timezone.now())


@pytest.fixture
def database_down(monkeypatch):
    monkeypatch.setattr(health, "connection", _BrokenConnection())


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: any query here would fail the test.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_readyz_is_ok_when_database_broker_and_a_worker_answer(client, worker_running):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok"}
    assert body["worker_heartbeat"]["name"] == "celery@here"
    assert body["worker_heartbeat_max_age_seconds"] == 180


@pytest.mark.django_db
def test_readyz_is_unavailable_before_any_worker_reported(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["failed"]) == ("unavailable", ["worker"])
    assert body["errors"]["worker"] == "no worker has reported a heartbeat"


@pytest.mark.django_db
def test_readyz_reports_the_latest_worker_heartbeat_and_its_age(client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="celery@old", last_seen=now - timedelta(hours=2))
    WorkerHeartbeat.objects.create(name="celery@new", last_seen=now - timedelta(seconds=90))

    body = client.get("/readyz").json()

    heartbeat = body["worker_heartbeat"]
    assert heartbeat["name"] == "celery@new"
    assert 90 <= heartbeat["age_seconds"] < 150
    assert heartbeat["last_seen"] == (now - timedelta(seconds=90)).isoformat()


@pytest.mark.django_db
def test_a_heartbeat_older_than_the_threshold_makes_readyz_unavailable(client, settings):
    settings.SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS = 120
    WorkerHeartbeat.objects.create(name="celery@gone", last_seen=timezone.now() - timedelta(days=3))

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["worker"]
    assert body["errors"]["worker"] == "the latest worker heartbeat is older than 120 seconds"
    assert body["worker_heartbeat"]["age_seconds"] > 3 * 24 * 3600 - 60


@pytest.mark.django_db
def test_a_heartbeat_within_the_threshold_is_ready(client, settings):
    settings.SAFECASE_WORKER_HEARTBEAT_MAX_AGE_SECONDS = 120
    WorkerHeartbeat.objects.create(
        name="celery@late", last_seen=timezone.now() - timedelta(seconds=100)
    )

    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_503_names_the_broker_when_it_is_unreachable(
    client, worker_running, unreachable_broker
):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["errors"] == {"broker": "the broker did not answer"}
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_503_names_the_database_when_it_fails(client, database_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["errors"] == {"database": "the database did not answer"}
    assert body["worker_heartbeat"] is None


@pytest.mark.django_db
def test_readyz_gives_no_connection_details_to_anyone(client, database_down, caplog):
    response = client.get("/readyz")

    text = response.content.decode()
    for detail in ("OperationalError", '"db"', "5432", "Connection refused"):
        assert detail not in text
    # The operator finds them in the log.
    assert "Connection refused" in caplog.text


@pytest.mark.django_db
def test_readyz_503_names_both_when_both_fail(client, database_down, unreachable_broker):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failed"] == ["broker", "database"]


def test_probes_answer_get_only(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
