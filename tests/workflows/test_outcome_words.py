"""A closed case's outcome in words (``Workflow.outcome_words``): every outcome code a
step records is declared with the words the case page, the raiser's status, the case
statistics and the committee pack say it in, never the code made lower case ("Nrm rg
negative", "Nfa at triage", as the reports wrote until 7 December 2026)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from casework.models import Case, Team
from reports.figures import case_statistics, outcome_label
from workflows.case_views import outcome_words
from workflows.models import FigureSum
from workflows.raiser import raiser_status
from workflows.registry import WORKFLOWS
from workflows.steps import step


def _declared() -> list[tuple[str, str, str, str]]:
    """(case type, step, code, words) of every step that records an outcome."""
    return [
        (case_type, name, meta["outcome"], meta.get("outcome_words", ""))
        for case_type, workflow in WORKFLOWS.items()
        for name in workflow.transition_names()
        if (meta := workflow.transition_meta(name)).get("outcome")
    ]


def test_every_outcome_a_step_records_is_declared_with_its_words():
    declared = _declared()
    assert len(declared) >= 20  # the closing steps of modern slavery, CSE, Prevent, DHR...
    for case_type, name, code, words in declared:
        assert words, f"{case_type}.{name} records {code} without words"
        assert WORKFLOWS[case_type].outcome_words(code) == words


def test_one_code_is_said_one_way_within_a_type():
    said: dict[tuple[str, str], set[str]] = {}
    for case_type, _, code, words in _declared():
        said.setdefault((case_type, code), set()).add(words)
    assert {key: len(words) for key, words in said.items() if len(words) > 1} == {}


def test_words_read_after_closed_in_the_raisers_status():
    """The raiser reads "Closed: <words>" with the first letter lowered, so no outcome's
    words begin with an abbreviation ("mASH", "nRM")."""
    for case_type, name, _, words in _declared():
        assert not words[:2].isupper(), (case_type, name, words)


def test_a_step_cannot_record_an_outcome_without_its_words():
    with pytest.raises(ValueError, match="outcome_words"):
        step(source="a", target="b", label="Close", outcome="SOMETHING_CLOSED")


def test_choices_undeclared_codes_and_free_text():
    cse = WORKFLOWS["cse"]
    assert cse.outcome_words("CP_PLAN_ENDED") == "Child protection plan ended"
    # A code no step declares (an earlier version's) is written in plain words, and
    # free text as it is.
    assert cse.outcome_words("SOME_OLD_CODE") == "Some old code"
    assert cse.outcome_words("Closed by agreement") == "Closed by agreement"
    # The cuckooing review's outcome is a choice of its step: its label is its words.
    cuckooing = WORKFLOWS["cuckooing"]
    choices = [
        spec.choices
        for name in cuckooing.transition_names()
        for spec in cuckooing.transition_meta(name).get("fields", ())
        if spec.name == "outcome_code"
    ]
    assert choices
    value, label = choices[0][0]
    assert cuckooing.outcome_words(str(value)) == str(label)


def test_the_case_page_and_the_raiser_say_the_decision():
    assert (
        outcome_words("modern_slavery", "NRM_RG_NEGATIVE")
        == "Negative reasonable grounds decision (NRM)"
    )
    case = Case(
        case_type="modern_slavery",
        state="closed",
        outcome_code="NRM_RG_NEGATIVE",
        closed_at=timezone.now(),
    )
    assert (
        raiser_status(case, WORKFLOWS["modern_slavery"])
        == "Closed: negative reasonable grounds decision (NRM)"
    )


@pytest.mark.django_db
def test_the_case_statistics_count_closings_under_their_words(auditor):
    north = Team.objects.get(slug="north")
    step_name = next(name for case_type, name, code, _ in _declared() if code == "NRM_RG_NEGATIVE")
    FigureSum.objects.create(
        grain=FigureSum.Grain.MONTH, measure="closed", day=date(2025, 5, 1),
        case_type="modern_slavery", team=north, key=f"{step_name}|NRM_RG_NEGATIVE", n=3,
    )  # fmt: skip
    stats = case_statistics(auditor, date(2025, 4, 1), date(2025, 5, 31), date(2025, 5, 31))
    assert stats.totals.closed_by_outcome == {"Negative reasonable grounds decision (NRM)": 3}
    # A closing keyed by its step alone takes the step's declared outcome's words.
    assert outcome_label("cse", "close_after_cp_plan", "") == "Child protection plan ended"
