"""Check that the audit log's hash chain is intact (DESIGN.md "Audit").

Streams every AuditEvent in id order, recomputes its keyed hash and checks that it links
to the event before, then that every signed checkpoint (``SAFECASE_AUDIT_CHECKPOINT_DIR``,
or ``--checkpoints DIR``) is still in the chain: its event at its position with its hash.
Prints ``OK: N events``, or where trust ends (``BROKEN at event <id>: expected <hash>,
found <hash>``, or ``BROKEN: <reason>`` for a key or a checkpoint) and exits 1. Each run
is kept (``AuditChainVerification``) and the latest is shown on the auditor's workspace.
Beat runs the same check nightly (``casework.tasks.verify_audit_chain``).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casework.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 at the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=2000,
            help="Events fetched from the database at a time (default 2000).",
        )
        parser.add_argument(
            "--checkpoints",
            default=None,
            help="The directory of signed checkpoints (default SAFECASE_AUDIT_CHECKPOINT_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = audit_chain_verify(
            chunk_size=options["chunk_size"], checkpoint_dir=options["checkpoints"]
        )
        if run.ok:
            self.stdout.write(run.message)
            return
        self.stderr.write(run.message)
        sys.exit(1)
