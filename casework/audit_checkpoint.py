"""Signed checkpoints of the audit chain, kept outside the database (issue 17).

Every hour (Celery beat, ``casework.tasks.write_audit_checkpoint``) the number of events
and the id and hash of the newest are written, HMAC-signed with the audit key, to a new
file under ``SAFECASE_AUDIT_CHECKPOINT_DIR`` (opened with ``O_EXCL``: a checkpoint is
never overwritten) and emailed to every active auditor. ``verify_audit_chain`` checks
the chain against them (``casework.audit.audit_chain_check``): an event removed from the
end, an emptied table or a chain rebuilt from scratch no longer matches what a
checkpoint saw. Put the directory on storage the database's administrators cannot
write (docs/security.md).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from casework.audit import Anchor, UnknownAuditKey, audit_key_id, keyed_digest
from casework.roles import Role
from notifications.models import Channel
from notifications.services import outbox_enqueue

PREFIX = "audit-checkpoint-"
SUFFIX = ".json"
_FIELDS = ("at", "count", "last_id", "head_hash", "key_id")


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    at: str
    count: int
    last_id: int | None
    head_hash: str
    key_id: str
    signature: str
    name: str = ""

    def signed_text(self) -> str:
        return json.dumps(
            {field: getattr(self, field) for field in _FIELDS},
            sort_keys=True,
            separators=(",", ":"),
        )

    def anchor(self) -> Anchor:
        return Anchor(self.name, self.count, self.last_id, self.head_hash)


def _directory(directory: str | os.PathLike[str] | None) -> Path:
    return Path(directory if directory is not None else settings.SAFECASE_AUDIT_CHECKPOINT_DIR)


def _head() -> tuple[int, int | None, str]:
    """How many events there are and the newest one's id and hash, in one statement (one
    snapshot: writers append under the chain's lock in id order)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(id), "
            "(SELECT hash FROM casework_auditevent ORDER BY id DESC LIMIT 1) "
            "FROM casework_auditevent"
        )
        count, last_id, head = cursor.fetchone()
    return count, last_id, head or ""


def checkpoint_sign(checkpoint: Checkpoint) -> str:
    return keyed_digest(checkpoint.signed_text(), checkpoint.key_id)


def audit_checkpoint_write(
    *, directory: str | os.PathLike[str] | None = None, now: datetime | None = None
) -> Checkpoint:
    """Write a signed checkpoint of the chain as a new file (never overwriting one) and
    email it to the auditors; returns it."""
    with transaction.atomic():
        count, last_id, head = _head()
        at = (now or timezone.now()).astimezone(UTC)
        unsigned = Checkpoint(
            at=at.isoformat(), count=count, last_id=last_id, head_hash=head,
            key_id=audit_key_id(), signature="",
        )  # fmt: skip
        checkpoint = dataclasses.replace(unsigned, signature=checkpoint_sign(unsigned))
        folder = _directory(directory)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{PREFIX}{at:%Y%m%dT%H%M%S%fZ}-{count}{SUFFIX}"
        text = json.dumps(
            {**json.loads(checkpoint.signed_text()), "signature": checkpoint.signature},
            sort_keys=True,
            indent=2,
        )
        # O_EXCL: a file of that name already there is an error, never overwritten.
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
        with os.fdopen(fd, "w") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        checkpoint = dataclasses.replace(checkpoint, name=name)
        _email_auditors(checkpoint, text)
    return checkpoint


def _email_auditors(checkpoint: Checkpoint, text: str) -> None:
    auditors = get_user_model().objects.filter(is_active=True, groups__name=Role.AUDITOR.group_name)
    body = (
        f"The audit log held {checkpoint.count} events at {checkpoint.at}. Keep this message: "
        "it lets an auditor show later that no event was removed or rewritten. "
        f"Checkpoint {checkpoint.name}:\n{text}"
    )
    for pk in auditors.values_list("pk", flat=True).distinct():
        outbox_enqueue(
            recipient_id=pk,
            channel=Channel.EMAIL,
            template="audit.checkpoint",
            subject="Safecase audit log checkpoint",
            body=body,
            dedupe_key=f"audit-checkpoint:{checkpoint.name}:{pk}",
        )


def _read(path: Path) -> Checkpoint:
    data: dict[str, Any] = json.loads(path.read_text())
    return Checkpoint(
        at=str(data["at"]),
        count=int(data["count"]),
        last_id=None if data["last_id"] is None else int(data["last_id"]),
        head_hash=str(data["head_hash"]),
        key_id=str(data["key_id"]),
        signature=str(data["signature"]),
        name=path.name,
    )


def checkpoint_anchors(
    directory: str | os.PathLike[str] | None = None,
) -> tuple[list[Anchor], str]:
    """The anchors of every checkpoint in the directory, oldest first, and a problem in
    words when one cannot be trusted (unreadable, unknown key, bad signature)."""
    folder = _directory(directory)
    if not folder.is_dir():
        return [], ""
    anchors = []
    for path in sorted(folder.glob(f"{PREFIX}*{SUFFIX}")):
        try:
            checkpoint = _read(path)
            expected = checkpoint_sign(checkpoint)
        except (OSError, ValueError, KeyError, TypeError):
            return [], f"checkpoint {path.name} cannot be read"
        except UnknownAuditKey:
            return [], f"checkpoint {path.name} is signed with a key this deployment does not hold"
        if not hmac.compare_digest(expected, checkpoint.signature):
            return [], f"checkpoint {path.name} has a signature that does not match"
        anchors.append(checkpoint.anchor())
    return anchors, ""
