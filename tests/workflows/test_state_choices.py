"""The case list's state filter: its choices are made once per type, and follow the
workflows registered (workflows.list_views._state_choices)."""

import dataclasses
import enum

from django.db import models

from workflows import list_views
from workflows.registry import WORKFLOWS


def _made_afresh(case_type):
    workflows = [WORKFLOWS[case_type]] if case_type in WORKFLOWS else WORKFLOWS.values()
    states = {}
    for workflow in workflows:
        for value, label in workflow.states.choices:
            states.setdefault(value, label)
    return sorted(states.items(), key=lambda item: item[1])


def test_each_type_and_every_type_are_offered_their_states_sorted_by_label():
    for case_type in ["", *WORKFLOWS]:
        assert list_views._state_choices(case_type) == _made_afresh(case_type)
        # Made once: asked again, the same answer, and a list the caller may change.
        again = list_views._state_choices(case_type)
        assert again == _made_afresh(case_type)
        again.append(("x", "x"))
        assert list_views._state_choices(case_type) == _made_afresh(case_type)


def test_a_type_nobody_has_is_every_type_and_keeps_nothing_of_its_own():
    every = list_views._state_choices("")
    for typed in ("no_such_type", "<script>", "x" * 500):
        assert list_views._state_choices(typed) == every
    assert set(list_views._STATE_CHOICES) <= {"", *WORKFLOWS}


def test_a_workflow_registered_later_is_offered(monkeypatch):
    before = list_views._state_choices("")

    class DemoStates(models.TextChoices):
        PONDERING = "pondering", "Aardvark pondering"

    assert isinstance(DemoStates.PONDERING, enum.Enum)
    demo = dataclasses.replace(WORKFLOWS["modern_slavery"], case_type="demo", states=DemoStates)
    monkeypatch.setitem(WORKFLOWS, "demo", demo)
    assert list_views._state_choices("demo") == [("pondering", "Aardvark pondering")]
    assert list_views._state_choices("")[0] == ("pondering", "Aardvark pondering")
    monkeypatch.undo()
    assert list_views._state_choices("") == before
    assert list_views._state_choices("demo") == before
