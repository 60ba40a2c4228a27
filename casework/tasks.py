"""Celery tasks of the casework app. Tasks stay thin: they call a service."""

from __future__ import annotations

from celery import shared_task

from casework.audit import audit_chain_verify

VERIFY_AUDIT_CHAIN_TASK = "casework.tasks.verify_audit_chain"


@shared_task(name=VERIFY_AUDIT_CHAIN_TASK, ignore_result=True)
def verify_audit_chain() -> str:
    """Walk the audit chain and keep the result, as ``manage.py verify_audit_chain`` does
    (nightly from beat); the auditor's workspace shows the latest run."""
    return audit_chain_verify().message
