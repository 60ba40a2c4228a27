"""CCTV footage requests: a record beside cases, not a case type (docs/architecture.md).

The council's public-space cameras overwrite their recordings after a retention period
(28 or 31 days in the seed, or configured per camera). Footage lost to that cycle is the
commonest way it is lost, so a request carries a hard clock: the footage of the window's
start is overwritten at ``window_start + retention`` (the shortest retention among the
request's cameras), and it must be preserved by that time less a safety margin
(``SAFECASE_FOOTAGE_SAFETY_MARGIN_HOURS``). A request that cannot be met by then is
refused as it is made, with the reason (``footage.services.footage_request_create``).

The clock is the request's own (``preserve_by``), not a ``workflows.Deadline``: a
Deadline belongs to a case and is read by everything that reads a case's clocks, while
many requests (an insurer's, a data subject's) have no case. The same Celery sweep acts
on it (``footage.reminders``, registered with ``workflows.reminders.sweep``), exactly
once per stage through ``FootageReminder``'s unique rows, as the sweep does for Deadlines.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models

from casework.models import Case, Team


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), append_only=True)
class Camera(models.Model):
    """A camera of the council's public-space CCTV: the camera register."""

    camera_id = models.CharField("Camera ID", max_length=30, unique=True)
    location = models.CharField(max_length=200)
    retention_days = models.PositiveIntegerField(
        default=31, help_text="Days before the camera's recordings are overwritten."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["camera_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_days__gt=0), name="camera_retention_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.camera_id}: {self.location}"


class RequesterType(models.TextChoices):
    POLICE = "police", "Police (with an incident or crime number)"
    COUNCIL_CASE = "council_case", "The council, for one of its cases"
    INSURER = "insurer", "An insurer"
    SUBJECT_ACCESS = "subject_access", "A data subject's access request"


class LawfulBasis(models.TextChoices):
    CRIME = "crime", "UK GDPR / DPA 2018 Sch. 2 para 2: prevention or detection of crime"
    SUBJECT_ACCESS = "subject_access", "UK GDPR Art. 15: the data subject's right of access"
    LEGAL_PROCEEDINGS = "legal_proceedings", "DPA 2018 Sch. 2 para 5: legal proceedings"
    PUBLIC_TASK = "public_task", "UK GDPR Art. 6(1)(e): the council's public task (its case)"


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", "Awaiting a decision"
    APPROVED = "approved", "Approved: to be exported"
    REFUSED = "refused", "Refused"
    EXPORTED = "exported", "Exported and preserved"
    HANDED_OVER = "handed_over", "Handed over"
    DESTROYED = "destroyed", "Exported copy destroyed"
    LOST = "lost", "Lost: overwritten before it was preserved"


# Statuses in which the footage is still to be preserved before the overwrite.
AWAITING_PRESERVATION = (RequestStatus.REQUESTED, RequestStatus.APPROVED)
# Statuses in which the council still holds an exported copy.
COPY_KEPT = (RequestStatus.EXPORTED, RequestStatus.HANDED_OVER)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), append_only=True)
class FootageRequest(models.Model):
    """A request to preserve and disclose footage; its writes are audited services."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="footage_requests")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="footage_requests"
    )
    requester_type = models.CharField(max_length=20, choices=RequesterType.choices)
    requester_name = models.CharField(max_length=200)
    incident_reference = models.CharField(max_length=60, blank=True)
    cameras = models.ManyToManyField(Camera, related_name="requests")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    # The hard clock: when the window's first footage is overwritten, and the time it must
    # be preserved by (that less the safety margin).
    overwrite_at = models.DateTimeField()
    preserve_by = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    exported_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    media_reference = models.CharField(max_length=100, blank=True)
    retain_until = models.DateField(null=True, blank=True)
    destroyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destruction_method = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "preserve_by"], name="footage_status_preserve"),
            models.Index(fields=["team", "status"], name="footage_team_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gte=models.F("window_start")),
                name="footage_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values), name="footage_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["exported", "handed_over", "destroyed"])
                | models.Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="footage_export_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"CCTV-{self.pk:06d}"


class CustodyTransfer(models.Model):
    """One link of the chain of custody of the exported copy: who handed it to whom, when,
    and the receipt (a signature or reference); the recipient's own SHA-256 of the copy
    matched the one recorded at export."""

    request = models.ForeignKey(
        FootageRequest, on_delete=models.PROTECT, related_name="custody_transfers"
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_by = models.CharField(max_length=200)
    received_for = models.CharField("Organisation", max_length=200)
    received_at = models.DateTimeField()
    receipt_reference = models.CharField(max_length=100)
    sha256_confirmed = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.request} to {self.received_by}"


class FootageReminderStage(models.TextChoices):
    PRESERVE_SOON = "preserve_soon", "Reminder: preserve before the overwrite"
    PRESERVE_BY_PASSED = "preserve_by_passed", "Escalation: the margin before overwrite is gone"
    DESTROY_DUE = "destroy_due", "Reminder: the exported copy is due for destruction"


class FootageReminder(models.Model):
    """What the sweep did for one stage of one request's clock: at most one row each."""

    request = models.ForeignKey(FootageRequest, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=30, choices=FootageReminderStage.choices)
    acted_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "stage"], name="unique_footage_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} for {self.request}"
