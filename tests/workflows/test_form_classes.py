"""A form class is kept for each set of fields (workflows.forms.form_class): made once,
and each validation still judges its own answers alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from workflows.definitions import Field, FieldType
from workflows.forms import form_class, validate_fields

NAME = Field("name", FieldType.STRING, "Name", max_length=20)
AGE = Field("age", FieldType.INTEGER, "Age", required=False, min_value=0, max_value=120)
KIND = Field("kind", FieldType.CHOICE, "Kind", choices=(("a", "A"), ("b", "B")))


def test_the_same_fields_give_the_same_class_and_other_fields_another():
    assert form_class([NAME, AGE]) is form_class((NAME, AGE))
    assert form_class([NAME, AGE]) is not form_class([NAME])
    assert form_class([NAME]) is not form_class([Field("name", FieldType.STRING, "Name")])


def test_a_kept_class_judges_each_validation_on_its_own_answers():
    fields = [NAME, AGE, KIND]
    with pytest.raises(ValidationError) as refused:
        validate_fields(fields, {"name": "x" * 21, "age": 130, "kind": "c"})
    assert set(refused.value.message_dict) == {"name", "age", "kind"}

    assert validate_fields(fields, {"name": "Ana", "age": 30, "kind": "a"}) == {
        "name": "Ana",
        "age": 30,
        "kind": "a",
    }
    with pytest.raises(ValidationError) as again:
        validate_fields(fields, {"age": 30, "kind": "b"})
    assert set(again.value.message_dict) == {"name"}


def test_fields_that_cannot_be_kept_are_validated_as_before():
    listed = Field("kind", FieldType.CHOICE, "Kind", choices=[("a", "A"), ("b", "B")])
    with pytest.raises(TypeError):
        hash(listed)

    assert form_class([listed]) is not form_class([listed])
    assert validate_fields([listed], {"kind": "b"}) == {"kind": "b"}
    with pytest.raises(ValidationError):
        validate_fields([listed], {"kind": "c"})
