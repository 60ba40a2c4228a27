"""The inputs of footage requests, declared once for the pages and the API.

Declared as ``workflows.definitions.Field`` so that both validate through
``workflows.forms.validate_fields`` (one set of GOV.UK messages) and the pages draw them
with the intake form's controls. ``*_call`` turns validated values into a service call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from footage import services
from footage.models import FootageRequest, LawfulBasis, RequesterType
from workflows.definitions import Field, FieldType
from workflows.forms import validate_fields

REQUEST_FIELDS = [
    Field(
        "requester_type", FieldType.CHOICE, "Who is asking for the footage",
        choices=RequesterType.choices,
    ),
    Field("requester_name", FieldType.STRING, "Name of the officer, organisation or person"),
    Field(
        "incident_reference", FieldType.STRING, "Police incident or crime number",
        required=False, help_text="Needed for a police request.",
    ),
    Field(
        "case_reference", FieldType.STRING, "Safecase case reference", required=False,
        help_text="Needed for the council's own case; give it for any request about a case.",
    ),
    Field(
        "cameras", FieldType.STRING, "Camera IDs",
        help_text="As in the camera register, separated by commas: for example CAM-001, CAM-014.",
    ),
    Field("window_start", FieldType.DATETIME, "Start of the footage needed"),
    Field("window_end", FieldType.DATETIME, "End of the footage needed"),
    Field("reason", FieldType.TEXT, "Why the footage is needed"),
]  # fmt: skip

DECISIONS = (("approve", "Approve"), ("refuse", "Refuse"))


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def camera_ids(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def request_create(*, actor: Any, data: Mapping[str, Any], team: Any = None) -> FootageRequest:
    """Validate a new request's inputs and record it (``footage_request_create``)."""
    values = validate_fields(REQUEST_FIELDS, data)
    return services.footage_request_create(
        actor=actor,
        requester_type=values["requester_type"],
        requester_name=values["requester_name"],
        incident_reference=values.get("incident_reference", ""),
        case_reference=values.get("case_reference", ""),
        camera_ids=camera_ids(values["cameras"]),
        window_start=_moment(values["window_start"]),
        window_end=_moment(values["window_end"]),
        reason=values["reason"],
        team=team,
    )


@dataclasses.dataclass(frozen=True)
class Action:
    """A step on a request: its label, inputs, and the service it calls."""

    name: str
    label: str
    fields: Sequence[Field]
    call: Callable[..., Any]
    takes_file: bool = False


def _decide(request, actor, values, version, file):
    return services.footage_request_decide(
        request=request, actor=actor, approve=values["decision"] == "approve",
        lawful_basis=values.get("lawful_basis", ""), reason=values["reason"], version=version,
    )  # fmt: skip


def _export(request, actor, values, version, file):
    return services.footage_request_export(
        request=request, actor=actor, media_reference=values["media_reference"],
        sha256=values.get("sha256", ""), file=file,
        retain_until=_day(values.get("retain_until")), version=version,
    )  # fmt: skip


def _hand_over(request, actor, values, version, file):
    return services.footage_request_hand_over(
        request=request, actor=actor, received_by=values["received_by"],
        received_for=values["received_for"], received_at=_moment(values["received_at"]),
        receipt_reference=values["receipt_reference"],
        sha256_confirmed=values["sha256_confirmed"], version=version,
    )  # fmt: skip


def _destroy(request, actor, values, version, file):
    return services.footage_request_destroy(
        request=request, actor=actor, method=values["method"], version=version
    )


ACTIONS = {
    a.name: a
    for a in [
        Action(
            "decide",
            "Decide the request",
            [
                Field("decision", FieldType.CHOICE, "Decision", choices=DECISIONS),
                Field(
                    "lawful_basis", FieldType.CHOICE, "Lawful basis for disclosure",
                    required=False, choices=LawfulBasis.choices,
                    help_text="Needed to approve.",
                ),
                Field("reason", FieldType.TEXT, "Reasons for the decision"),
            ],
            _decide,
        ),
        Action(
            "export",
            "Record the export",
            [
                Field("media_reference", FieldType.STRING, "Media reference"),
                Field(
                    "sha256", FieldType.STRING, "SHA-256 of the exported file", required=False,
                    help_text="As the export station computed it, if you do not upload the file.",
                ),
                Field(
                    "retain_until", FieldType.DATE, "Date to destroy the council's copy",
                    required=False, help_text="Leave blank for the local default.",
                ),
            ],
            _export,
            takes_file=True,
        ),
        Action(
            "hand-over",
            "Record a handover",
            [
                Field("received_by", FieldType.STRING, "Received by"),
                Field("received_for", FieldType.STRING, "Organisation"),
                Field("received_at", FieldType.DATETIME, "When they received it"),
                Field("receipt_reference", FieldType.STRING, "Signature or receipt reference"),
                Field(
                    "sha256_confirmed", FieldType.STRING,
                    "SHA-256 of the copy, as the recipient checked it",
                ),
            ],
            _hand_over,
        ),
        Action(
            "destroy",
            "Record the destruction of the council's copy",
            [Field("method", FieldType.TEXT, "How the copy was destroyed, and who witnessed it")],
            _destroy,
        ),
    ]
}  # fmt: skip


def action_take(
    *,
    request: FootageRequest,
    actor: Any,
    name: str,
    data: Mapping[str, Any],
    version: int | None,
    file: IO[bytes] | None = None,
) -> Any:
    """Validate an action's inputs and call its service."""
    action = ACTIONS[name]
    values = validate_fields(action.fields, data)
    return action.call(request, actor, values, version, file)


def version_of(data: Mapping[str, Any]) -> int | None:
    raw = data.get("version")
    if raw in (None, ""):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    raise ValidationError({"version": ["Reload the request and try again."]})
