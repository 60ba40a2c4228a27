"""Appending to the audit chain (``casework.audit.audit_record_many``; DESIGN.md "Audit"):
writers at once still make one chain, and a batch larger than one statement is stored
as hashed, in order.

Each writer takes the chain's lock and reads the chain's head in one round trip
(``safecase_audit_chain_head``, migration ``casework.0031``); the head must be read after
the lock is granted, or two writers would link to the same event and fork the chain.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from casework.audit import (
    _INSERT_BATCH,
    GENESIS_HASH,
    AuditEntry,
    audit_chain_verify,
    audit_record,
    audit_record_many,
    event_hash,
)
from casework.models import AuditEvent
from casework.roles import Role
from tests.threads import run_in_threads

WRITERS = 6
EVENTS_EACH = 15


def _write(i: int) -> int:
    for n in range(EVENTS_EACH):
        with transaction.atomic():
            audit_record(actor=None, verb="test.concurrent", data={"writer": i, "n": n})
    return i


@pytest.mark.django_db(transaction=True)
def test_writers_at_once_make_one_unbroken_chain():
    results, errors = run_in_threads(_write, WRITERS)
    assert errors == []
    assert sorted(results) == list(range(WRITERS))

    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == WRITERS * EVENTS_EACH
    # Each event links to the one before it: no two share a predecessor.
    assert [e.prev_hash for e in events] == [GENESIS_HASH] + [e.hash for e in events[:-1]]
    # Times follow the chain's order (taken under the lock).
    assert [e.at for e in events] == sorted(e.at for e in events)
    result = audit_chain_verify()
    assert (result.ok, result.events_checked) == (True, WRITERS * EVENTS_EACH)


def _record_then_fail() -> None:
    with transaction.atomic():
        audit_record(actor=None, verb="test.rolled_back")
        raise RuntimeError("the change failed")


@pytest.mark.django_db(transaction=True)
def test_a_writer_rolled_back_leaves_no_link_behind():
    """A transaction that took the lock and then failed releases it and leaves the head
    where it was: the next event links to the last committed one."""
    with transaction.atomic():
        first = audit_record(actor=None, verb="test.kept")
    with pytest.raises(RuntimeError, match="the change failed"):
        _record_then_fail()
    with transaction.atomic():
        second = audit_record(actor=None, verb="test.kept")
    assert second.prev_hash == first.hash
    assert list(AuditEvent.objects.values_list("verb", flat=True)) == ["test.kept"] * 2


@pytest.mark.django_db
def test_a_batch_over_one_statement_is_stored_as_hashed_in_order(make_user):
    """The sweep records many reminders at once: more rows than one INSERT takes are
    written in several, each event given its own id, in the chain's order, with the
    data and names exactly as hashed."""
    lead = make_user("lead.north", Role.LEAD, ["north"])
    count = 2 * _INSERT_BATCH + 7
    entries = [
        AuditEntry(
            actor=lead,
            verb="test.batch",
            target=lead,
            data={"n": n, "user": lead.pk, "text": "naïve 'quoted' \\ \"text\"", "at": None},
        )  # fmt: skip
        for n in range(count)
    ]
    with transaction.atomic():
        events = audit_record_many(entries)
    assert len({e.pk for e in events}) == count
    stored = list(AuditEvent.objects.order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [e.data["n"] for e in stored] == list(range(count))
    assert stored[0].data["text"] == "naïve 'quoted' \\ \"text\""
    assert stored[0].names["users"] == {str(lead.pk): events[0].names["users"][str(lead.pk)]}
    assert stored[0].object_type == "auth.user"
    assert stored[0].object_id == str(lead.pk)
    assert all(event_hash(e) == e.hash for e in stored)
    result = audit_chain_verify()
    assert (result.ok, result.events_checked) == (True, count)
