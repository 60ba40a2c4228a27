"""Celery tasks of the casework app. Tasks stay thin: they call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from casework.audit import audit_chain_verify
from casework.audit_checkpoint import audit_checkpoint_write
from casework.idempotency import idempotency_keys_expire
from casework.matching import TELL_LEADS_TASK, possible_match_leads_tell

VERIFY_AUDIT_CHAIN_TASK = "casework.tasks.verify_audit_chain"
EXPIRE_IDEMPOTENCY_KEYS_TASK = "casework.tasks.expire_idempotency_keys"
WRITE_AUDIT_CHECKPOINT_TASK = "casework.tasks.write_audit_checkpoint"


@shared_task(name=VERIFY_AUDIT_CHAIN_TASK, ignore_result=True)
def verify_audit_chain() -> str:
    """Walk the audit chain and keep the result, as ``manage.py verify_audit_chain`` does
    (nightly from beat); the auditor's workspace shows the latest run."""
    return audit_chain_verify().message


@shared_task(name=WRITE_AUDIT_CHECKPOINT_TASK, ignore_result=True)
def write_audit_checkpoint() -> str:
    """Write a signed checkpoint of the audit chain outside the database and email it to
    the auditors (beat, hourly: casework.audit_checkpoint)."""
    return audit_checkpoint_write().name


@shared_task(name=EXPIRE_IDEMPOTENCY_KEYS_TASK, ignore_result=True)
def expire_idempotency_keys() -> int:
    """Forget the API's idempotency keys older than a day (beat, hourly)."""
    return idempotency_keys_expire()


@shared_task(
    name=TELL_LEADS_TASK,
    acks_late=True,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=True,
    retry_backoff_max=120,
    max_retries=5,
    ignore_result=True,
)
def tell_possible_match_leads(case_id: int | None = None) -> int:
    """Tell the leads of a new case's possible matches in other teams' cases (sent when
    the raise commits), or, from beat every five minutes without a case, those still
    owed (casework.matching)."""
    return possible_match_leads_tell(case_id=case_id)
