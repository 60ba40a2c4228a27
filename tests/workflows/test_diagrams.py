"""Workflow diagrams (DOT, the draw_workflows command) and the /workflows/ reference pages."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.utils.html import escape

from casework.roles import Role
from workflows import diagrams
from workflows.definitions import Workflow
from workflows.diagrams import graphviz_installed, workflow_dot
from workflows.models import TimescaleOverride
from workflows.registry import WORKFLOWS

MS = WORKFLOWS["modern_slavery"]
needs_graphviz = pytest.mark.skipif(not graphviz_installed(), reason="Graphviz is not installed")


def unwrapped(dot: str) -> str:
    """DOT text with the line breaks of wrapped labels undone."""
    return dot.replace("\\n", " ")


def edge_lines(dot: str) -> list[str]:
    return [line for line in dot.splitlines() if " -> " in line and "__start__" not in line]


def test_dot_has_every_state_and_transition_of_modern_slavery():
    dot = workflow_dot(MS)
    assert dot.startswith('digraph "modern_slavery" {')
    for state in MS.states:
        assert re.search(rf'^  "{state.value}" \[label=', dot, re.M), state.value
        assert state.label in unwrapped(dot), state.label
    transitions = MS.transitions()
    for t in transitions:
        label = t.custom["label"]
        target = t.target or t.source  # an event that changes no state loops back
        assert f'"{t.source}" -> "{target}" [label=' in dot, t.name
        assert f'label="{label}"' in unwrapped(dot), label
    assert len(edge_lines(dot)) == len(transitions)


def test_dot_marks_terminal_and_initial_states():
    dot = workflow_dot(MS)
    for state in MS.states:
        line = next(li for li in dot.splitlines() if li.startswith(f'  "{state.value}" ['))
        assert ("shape=doublecircle" in line) == (state.value in MS.terminal_states), line
        assert ("bold" in line) == (state.value == MS.initial_state), line
    assert '"__start__" -> "concern_raised";' in dot


class DemoState(models.TextChoices):
    OPEN = "open", "Open"
    WAITING = "waiting", 'Waiting for "the panel"'
    SHUT = "shut", "Shut"


def demo_workflow() -> Workflow:
    workflow = Workflow(
        case_type="demo", label="Demo", model=models.Model, states=DemoState,
        initial_state="open", terminal_states=("shut",), intake_fields=[],
    )  # fmt: skip
    workflow.transitions = lambda: [  # type: ignore[method-assign]
        SimpleNamespace(name="note", source="open", target=None, custom={"label": "Add a note"}),
        SimpleNamespace(name="wait", source="open", target="waiting", custom={"label": "Wait"}),
        SimpleNamespace(name="shut", source="+", target="shut", custom={"label": "Shut"}),
    ]
    return workflow


def test_event_without_a_change_of_state_is_a_dashed_loop_and_wildcards_expand():
    dot = workflow_dot(demo_workflow())
    assert '"open" -> "open" [label="Add a note", tooltip="note", style=dashed];' in dot
    assert '"open" -> "waiting" [label="Wait", tooltip="wait"];' in dot
    assert '"open" -> "shut" [label="Shut"' in dot
    assert '"waiting" -> "shut" [label="Shut"' in dot
    assert '"shut" -> "shut"' not in dot  # "+" is any *other* state
    assert r'label="Waiting for \"the panel\""' in unwrapped(dot)


@needs_graphviz
@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_graphviz_accepts_the_dot_of_every_workflow(case_type):
    svg = diagrams.dot_to_svg(workflow_dot(WORKFLOWS[case_type]))
    assert "<svg" in svg
    assert escape(WORKFLOWS[case_type].label) in svg


def test_command_writes_a_dot_file_per_workflow(tmp_path):
    out = io.StringIO()
    call_command("draw_workflows", output=str(tmp_path / "diagrams"), stdout=out)
    for case_type, workflow in WORKFLOWS.items():
        written = tmp_path / "diagrams" / f"{case_type}.dot"
        assert written.read_text() == workflow_dot(workflow)
        svg = tmp_path / "diagrams" / f"{case_type}.svg"
        assert svg.exists() == graphviz_installed()
        if graphviz_installed():
            assert "<svg" in svg.read_text()
    assert "modern_slavery: wrote" in out.getvalue()


def test_command_without_graphviz_writes_only_dot(tmp_path, monkeypatch):
    monkeypatch.setattr(
        "workflows.management.commands.draw_workflows.graphviz_installed", lambda: False
    )
    out = io.StringIO()
    call_command("draw_workflows", output=str(tmp_path), stdout=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.dot" for t in WORKFLOWS)
    assert "no SVG was drawn" in out.getvalue()


# The reference pages -----------------------------------------------------------------------


def rule_row(page: str, rule: str) -> str:
    match = re.search(rf'<tr class="govuk-table__row" id="rule-{rule}">(.*?)</tr>', page, re.S)
    assert match, rule
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[1]))


@pytest.mark.django_db
def test_index_lists_every_workflow(client, lead):
    client.force_login(lead)
    page = client.get("/workflows/").content.decode()
    for case_type, workflow in WORKFLOWS.items():
        assert f'href="/workflows/{case_type}/"' in page
        assert escape(workflow.label) in page


@pytest.mark.django_db
def test_reference_page_shows_states_transitions_and_deadlines(client, lead):
    client.force_login(lead)
    response = client.get("/workflows/modern_slavery/")
    assert response.status_code == 200
    page = response.content.decode()
    for state in MS.states:
        assert escape(state.label) in page
    for name in MS.transition_names():
        assert escape(MS.transition_meta(name)["label"]) in page
    assert "casework.manage_case" not in page  # who may take a step, in words
    assert "A safeguarding lead of the case&#x27;s team" in page
    rg = rule_row(page, "rg_decision")
    assert "Reasonable grounds decision (target)" in rg
    assert "5 working days" in rg
    assert "Submit the NRM referral" in rg  # starts on
    assert "Record a positive reasonable grounds decision" in rg  # met by
    assert "Local" in rg
    assert "Home Office guidance target" in rg
    recovery = rule_row(page, "recovery_period")
    assert "30 calendar days" in recovery
    assert "Statutory" in recovery


@pytest.mark.django_db
def test_reference_page_shows_a_local_override_but_never_for_a_statutory_rule(client, lead):
    TimescaleOverride.objects.create(case_type="modern_slavery", rule="rg_decision", duration=7)
    TimescaleOverride.objects.create(
        case_type="modern_slavery", rule="recovery_period", duration=45
    )
    client.force_login(lead)
    page = client.get("/workflows/modern_slavery/").content.decode()
    rg = rule_row(page, "rg_decision")
    assert "7 working days" in rg
    assert "the default is 5 working days" in rg
    recovery = rule_row(page, "recovery_period")
    assert "30 calendar days" in recovery
    assert "45" not in recovery


@pytest.mark.django_db
@pytest.mark.parametrize("graphviz", [True, False], ids=["with-graphviz", "without-graphviz"])
def test_reference_page_draws_its_own_svg_with_or_without_graphviz(
    client, lead, monkeypatch, graphviz
):
    """The page never runs Graphviz and never shows DOT source (issues 16 and 19): the
    diagram is an SVG drawn in Python from the declarations."""
    monkeypatch.setattr(diagrams.shutil, "which", lambda name: "/usr/bin/dot" if graphviz else None)
    monkeypatch.setattr(diagrams.subprocess, "run", fail_if_called)
    client.force_login(lead)
    page = client.get("/workflows/modern_slavery/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "<?xml" not in page
    assert "digraph" not in page
    assert "<pre" not in page


def fail_if_called(*args, **kwargs):
    raise AssertionError("the page ran a program")


@pytest.mark.django_db
def test_reference_page_draws_the_diagram_whatever_the_committed_svg_says(
    client, lead, monkeypatch, tmp_path
):
    """docs/workflows/*.svg are for the docs: a stale or missing one changes nothing."""
    stale = (diagrams.DIAGRAM_DIR / "modern_slavery.svg").read_text()
    (tmp_path / "modern_slavery.svg").write_text(stale.replace("Submit the NRM", "Send the NRM"))
    monkeypatch.setattr(diagrams, "DIAGRAM_DIR", tmp_path)
    client.force_login(lead)
    page = client.get("/workflows/modern_slavery/").content.decode()
    assert 'role="img"' in page
    assert "Send the NRM" not in page
    assert "digraph" not in page


# The committed diagrams are the declared transitions ---------------------------------------


@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_committed_dot_is_the_declared_workflow(case_type):
    """docs/workflows/<type>.dot is what draw_workflows writes now; if this fails, run
    `make diagrams` where Graphviz is installed and commit the .dot and .svg."""
    committed = (diagrams.DIAGRAM_DIR / f"{case_type}.dot").read_text()
    assert committed == workflow_dot(WORKFLOWS[case_type])


@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_committed_svg_has_exactly_the_declared_transitions(case_type):
    """Every declared (source, transition) is an edge of the committed SVG with its label,
    and the SVG has no other: checked without Graphviz. If this fails, run `make diagrams`
    where Graphviz is installed and commit the .dot and .svg."""
    workflow = WORKFLOWS[case_type]
    svg = diagrams.committed_svg_path(workflow).read_text()
    assert diagrams.svg_edges(svg) == diagrams.declared_edges(workflow)
    assert diagrams.inline_svg(workflow) is not None
    for state in workflow.states:
        assert f"<title>{state.value}</title>" in svg, state.value


def test_a_changed_transition_makes_the_svg_stale():
    svg = diagrams.committed_svg_path(MS).read_text()
    renamed = svg.replace("Submit the NRM referral", "Send the NRM referral", 1)
    assert diagrams.svg_edges(renamed) != diagrams.declared_edges(MS)
    assert diagrams.svg_edges(svg) == diagrams.declared_edges(MS)


def test_wrapped_labels_are_unwrapped_at_spaces_and_hyphens():
    assert diagrams._unwrap(["Close: returned to police-", "led management"]) == (
        "Close: returned to police-led management"
    )
    assert diagrams._unwrap(["Record the", "outcome"]) == "Record the outcome"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/workflows/", "/workflows/modern_slavery/"])
def test_reference_pages_are_for_leads_and_administrators(
    client, frontline, auditor, prevent_lead, lead, make_user, url
):
    administrator = make_user("admin", Role.ADMINISTRATOR, [])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/?next=")
    for user in (lead, prevent_lead, administrator):
        client.force_login(user)
        assert client.get(url).status_code == 200
    nobody = get_user_model().objects.create_user("nobody", password="x-long-pw-12")
    for user in (frontline, auditor, nobody):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403
        assert "for safeguarding leads and administrators" in response.content.decode()


@pytest.mark.django_db
def test_reference_page_of_an_unknown_type_is_404(client, lead):
    client.force_login(lead)
    assert client.get("/workflows/burglary/").status_code == 404
