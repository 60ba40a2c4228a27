"""The audit chain's anchor (issue 17, finding 2): each event's hash is an HMAC keyed
with a secret held outside the database, and signed checkpoints written outside it let
``verify_audit_chain`` find a deleted tail, an emptied table and a chain re-hashed
without the key."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import connection, transaction

from casework.audit import (
    GENESIS_HASH,
    AuditVerb,
    audit_chain_check,
    audit_record,
    canonical_content,
)
from casework.audit_checkpoint import audit_checkpoint_write, checkpoint_anchors
from casework.models import AuditEvent
from casework.roles import Role
from casework.tasks import write_audit_checkpoint
from config.celery import app as celery_app
from notifications.models import OutboxMessage


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


def chain(actor, count: int = 5) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_record(actor=actor, verb=AuditVerb.CASE_VIEWED, data={"n": n})
            for n in range(count)
        ]


def verify(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, (out.getvalue() + err.getvalue()).strip()


def forge(event_id: int, **columns) -> None:
    """What someone with the database but not the key can do: change columns behind the
    append-only trigger's back."""
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk=event_id).update(**columns)


def rehash_without_the_key(events: list[AuditEvent], *, from_index: int, key_id: str) -> None:
    """Rewrite ``events[from_index]`` and re-hash it and everything after with plain
    SHA-256 (the key is not in the database), keeping or blanking the key id."""
    previous = events[from_index - 1].hash if from_index else GENESIS_HASH
    for index, event in enumerate(events[from_index:], start=from_index):
        data = {"n": "forged"} if index == from_index else event.data
        text = canonical_content(
            at=event.at, actor_id=event.actor_id, verb=event.verb, case_id=event.case_id,
            object_type=event.object_type, object_id=event.object_id, data=data,
            prev_hash=previous, names=event.names, key_id=key_id,
        )  # fmt: skip
        digest = hashlib.sha256(text.encode()).hexdigest()
        forge(event.pk, data=data, prev_hash=previous, hash=digest, key_id=key_id)
        previous = digest


# Keyed hashes -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_event_is_signed_with_the_current_key(lead, settings):
    events = chain(lead, 2)
    assert {e.key_id for e in events} == {settings.SAFECASE_AUDIT_KEY_ID}
    plain = hashlib.sha256(
        canonical_content(
            at=events[0].at, actor_id=lead.pk, verb=events[0].verb, case_id=None,
            object_type="", object_id="", data=events[0].data, prev_hash=GENESIS_HASH,
            names=events[0].names, key_id=events[0].key_id,
        ).encode()
    ).hexdigest()  # fmt: skip
    assert events[0].hash != plain  # an HMAC, not a hash anyone can recompute
    assert verify() == (0, "OK: 2 events")


@pytest.mark.django_db
@pytest.mark.parametrize("key_id", ["k1", ""], ids=["same-key-id", "key-id-blanked"])
def test_a_rewrite_rehashed_without_the_key_is_found(lead, key_id):
    events = chain(lead)
    rehash_without_the_key(events, from_index=2, key_id=key_id)
    code, message = verify()
    assert code == 1
    assert f"event {events[2].pk}" in message


@pytest.mark.django_db
def test_a_chain_rebuilt_unkeyed_from_the_start_is_refused_in_production(lead, settings):
    events = chain(lead)
    rehash_without_the_key(events, from_index=0, key_id="")
    settings.SAFECASE_AUDIT_ACCEPT_UNKEYED = True  # development: events from before keys
    assert verify()[0] == 0
    settings.SAFECASE_AUDIT_ACCEPT_UNKEYED = False
    assert verify() == (1, f"BROKEN: event {events[0].pk} is not signed with a key")


@pytest.mark.django_db
def test_a_rotated_key_still_verifies_older_events(lead, settings):
    old = chain(lead, 2)
    settings.SAFECASE_AUDIT_RETIRED_KEYS = {"k1": settings.SAFECASE_AUDIT_KEY}
    settings.SAFECASE_AUDIT_KEY_ID, settings.SAFECASE_AUDIT_KEY = "k2", "a-new-key-" + "y" * 30
    new = chain(lead, 2)
    assert [e.key_id for e in old + new] == ["k1", "k1", "k2", "k2"]
    assert verify() == (0, "OK: 4 events")
    settings.SAFECASE_AUDIT_RETIRED_KEYS = {}  # the old key lost
    code, message = verify()
    assert code == 1
    assert "names a key this deployment does not hold (k1)" in message


# Checkpoints ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deleted_tail_is_found_by_the_checkpoint(lead):
    events = chain(lead)
    checkpoint = audit_checkpoint_write()
    assert (checkpoint.count, checkpoint.last_id) == (5, events[-1].pk)
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk__in=[e.pk for e in events[3:]]).delete()
    assert audit_chain_check().ok  # the links that are left are intact ...
    code, message = verify()  # ... but the checkpoint saw more
    assert code == 1
    assert message.startswith(f"BROKEN: checkpoint {checkpoint.name} saw 5 events up to event ")
    assert "the chain has 3" in message


@pytest.mark.django_db
def test_an_emptied_table_is_found_by_the_checkpoint(lead):
    chain(lead, 3)
    audit_checkpoint_write()
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred: fire them now so the table can be emptied.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE casework_auditevent CASCADE")
    code, message = verify()
    assert code == 1
    assert "the chain has 0" in message


@pytest.mark.django_db
def test_a_chain_rebuilt_from_scratch_is_found_by_the_checkpoint(lead, settings):
    events = chain(lead)
    audit_checkpoint_write()
    rehash_without_the_key(events, from_index=0, key_id="")
    settings.SAFECASE_AUDIT_ACCEPT_UNKEYED = True
    code, message = verify()
    assert code == 1
    assert f"has event {events[-1].pk} as number 5 with hash {events[-1].hash}" in message


@pytest.mark.django_db
def test_later_events_after_a_checkpoint_verify(lead):
    chain(lead, 2)
    audit_checkpoint_write()
    chain(lead, 2)
    audit_checkpoint_write()
    assert verify() == (0, "OK: 4 events")


@pytest.mark.django_db
def test_a_checkpoint_is_written_once_read_only_and_signed(lead, settings, tmp_path):
    chain(lead, 2)
    checkpoint = audit_checkpoint_write()
    path = tmp_path / "audit-checkpoints" / checkpoint.name
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o440
    with pytest.raises(FileExistsError):  # O_EXCL: never overwritten
        os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    saved = json.loads(path.read_text())
    assert saved["count"] == 2
    assert saved["head_hash"] == checkpoint.head_hash
    # Someone who edits a checkpoint (to match a shortened chain) breaks its signature.
    os.chmod(path, 0o640)
    path.write_text(json.dumps({**saved, "count": 1}))
    anchors, problem = checkpoint_anchors()
    assert problem == f"checkpoint {checkpoint.name} has a signature that does not match"
    assert verify()[0] == 1


@pytest.mark.django_db
def test_a_checkpoint_is_emailed_to_the_auditors(make_user, lead):
    auditor = make_user("auditor", Role.AUDITOR, [])
    chain(lead, 1)
    checkpoint = audit_checkpoint_write()
    (message,) = OutboxMessage.objects.filter(template="audit.checkpoint")
    assert message.recipient_id == auditor.pk
    assert checkpoint.head_hash in message.body
    assert checkpoint.signature in message.body


@pytest.mark.django_db
def test_the_checkpoint_task_writes_one_and_beat_runs_it_hourly(lead, tmp_path):
    chain(lead, 1)
    name = write_audit_checkpoint()
    assert (tmp_path / "audit-checkpoints" / name).exists()
    entry = celery_app.conf.beat_schedule["write-audit-checkpoint"]
    assert entry["task"] == write_audit_checkpoint.name
    assert entry["schedule"].minute == {5}
    assert len(entry["schedule"].hour) == 24


@pytest.mark.django_db
def test_verify_reads_checkpoints_from_a_directory_given(lead, tmp_path):
    events = chain(lead, 3)
    elsewhere = tmp_path / "offsite"
    audit_checkpoint_write(directory=elsewhere)
    with pgtrigger.ignore("casework.AuditEvent:append_only"):
        AuditEvent.objects.filter(pk=events[-1].pk).delete()
    assert verify()[0] == 0  # the default directory has no checkpoint
    assert verify("--checkpoints", str(elsewhere))[0] == 1
