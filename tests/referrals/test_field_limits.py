"""Field limits agree from form to column (issue 15): a value a form accepts is never
refused by the database, so no input gives a 500 (``DataError``).

Every declared input (intake, steps, referral content and the referral's own steps) that
is stored in a column (a person's, the premises', or a named ``column``) accepts no more
characters than that column holds, and every choice fits it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from casework.models import Person, Premises
from referrals import services as referral_services
from referrals.services import referral_create, referral_record_decision, referral_send
from referrals.types import DECISION_FIELDS, REFERRAL_TYPES
from tests.referrals.conftest import complete_content
from workflows.definitions import Field, FieldType
from workflows.forms import form_field, validate_fields
from workflows.modern_slavery import DutyToNotifyNotification
from workflows.registry import WORKFLOWS


def _fields(where: str, fields) -> Iterator[tuple[str, Field]]:
    for spec in fields:
        yield f"{where}.{spec.name}", spec
        if spec.type is FieldType.RECORDS:
            yield from _fields(f"{where}.{spec.name}", spec.fields)


def declared_fields() -> Iterator[tuple[str, Field]]:
    for case_type, workflow in sorted(WORKFLOWS.items()):
        yield from _fields(f"{case_type}.intake", workflow.intake_fields)
        for name in workflow.transition_names():
            yield from _fields(f"{case_type}.{name}", workflow.transition_meta(name)["fields"])
    for value, spec in sorted(REFERRAL_TYPES.items()):
        yield from _fields(f"referral.{value}", spec.fields)
    yield from _fields("referral.decision", DECISION_FIELDS)
    yield from _fields("referral.acknowledge", referral_services.ACKNOWLEDGE_FIELDS)


def column_of(spec: Field) -> models.Field | None:
    if spec.person:
        return Person._meta.get_field(spec.person.split(".", 1)[1])
    if spec.premises:
        return Premises._meta.get_field(spec.premises)
    if spec.column:
        app_label, model, name = spec.column.split(".")
        return apps.get_model(app_label, model)._meta.get_field(name)
    return None


FIELDS = list(declared_fields())
STORED = [(where, spec) for where, spec in FIELDS if column_of(spec) is not None]


def test_the_stored_fields_are_found():
    # The person's and premises' fields, the Duty to Notify notification's and the
    # partner's reference: if this shrinks, a column lost its declaration.
    assert len(STORED) > 40
    assert any(spec.column.startswith("workflows.DutyToNotifyNotification") for _, spec in STORED)


@pytest.mark.parametrize(("where", "spec"), STORED, ids=[w for w, _ in STORED])
def test_every_stored_fields_limit_matches_its_column(where, spec):
    column = column_of(spec)
    limit = getattr(form_field(spec), "max_length", None)
    if spec.type in (FieldType.STRING, FieldType.TEXT):
        if isinstance(column, models.CharField):
            assert limit == column.max_length, f"{where}: form {limit}, column {column.max_length}"
        else:
            assert isinstance(column, models.TextField), where
    if spec.type is FieldType.CHOICE and isinstance(column, models.CharField):
        too_long = [v for v, _ in spec.choices if len(v) > column.max_length]
        assert too_long == [], where


@pytest.mark.parametrize(
    ("where", "spec"),
    [(w, s) for w, s in FIELDS if s.type in (FieldType.STRING, FieldType.TEXT)],
    ids=[w for w, s in FIELDS if s.type in (FieldType.STRING, FieldType.TEXT)],
)
def test_every_text_input_is_bounded_and_says_so(where, spec):
    assert form_field(spec).max_length == spec.length_limit is not None


def test_a_string_over_its_column_is_a_field_error_not_a_500():
    intake = WORKFLOWS["modern_slavery"].intake_fields
    with pytest.raises(ValidationError) as info:
        validate_fields(intake, {"subject_family_name": "x" * 201, "subject_phone": "1" * 51})
    errors = info.value.message_dict
    # Intake messages are written by hand for each question (issue 19 point 4).
    assert "200 characters or fewer" in errors["subject_family_name"][0]
    assert "50 characters or fewer" in errors["subject_phone"][0]


@pytest.mark.django_db
def test_a_long_value_is_refused_when_drafting_the_anonymous_notification(case_for, partners, lead):
    case = case_for("dtn_anonymous")
    with pytest.raises(ValidationError) as info:
        referral_create(
            case=case,
            actor=lead,
            referral_type="dtn_anonymous",
            partner=partners["home_office_sca"],
            content=complete_content("dtn_anonymous", referrer_organisation="z" * 501),
        )
    assert list(info.value.message_dict) == ["referrer_organisation"]
    assert DutyToNotifyNotification.objects.count() == 0


@pytest.mark.django_db
def test_a_long_partner_reference_is_refused_not_a_500(draft_for, lead):
    referral = referral_send(referral=draft_for("dtn_anonymous"), actor=lead)
    with pytest.raises(ValidationError) as info:
        referral_record_decision(
            referral=referral,
            actor=lead,
            decision="recorded",
            data={
                "decided_on": timezone.localdate().isoformat(),
                "decision_details": "Recorded by the MSU.",
                "partner_reference": "R" * 101,
            },
        )
    assert "partner_reference" in info.value.message_dict
