"""Celery tasks of the casework app. Tasks stay thin: they call a service."""

from __future__ import annotations

from celery import shared_task

from casework.audit import audit_chain_verify
from casework.idempotency import idempotency_keys_expire

VERIFY_AUDIT_CHAIN_TASK = "casework.tasks.verify_audit_chain"
EXPIRE_IDEMPOTENCY_KEYS_TASK = "casework.tasks.expire_idempotency_keys"


@shared_task(name=VERIFY_AUDIT_CHAIN_TASK, ignore_result=True)
def verify_audit_chain() -> str:
    """Walk the audit chain and keep the result, as ``manage.py verify_audit_chain`` does
    (nightly from beat); the auditor's workspace shows the latest run."""
    return audit_chain_verify().message


@shared_task(name=EXPIRE_IDEMPOTENCY_KEYS_TASK, ignore_result=True)
def expire_idempotency_keys() -> int:
    """Forget the API's idempotency keys older than a day (beat, hourly)."""
    return idempotency_keys_expire()
