"""Each workflow described for people: a diagram and the reference tables.

The declared django-fsm transitions are the specification (DESIGN.md "Transitions"), so
the diagram and the tables are drawn from them and cannot drift from the code.
``workflow_dot`` is pure; ``dot_to_svg`` runs Graphviz's ``dot``, which only
``manage.py draw_workflows`` (``make diagrams``) needs: it writes docs/workflows/, and
the SVG it wrote is committed. The /workflows/ pages show that committed SVG, so no
server needs Graphviz, and only while its edges are exactly the declared transitions
(``svg_edges``; tests/workflows/test_diagrams.py fails on a stale one). Otherwise the page
says the diagram is not available: the tables say the same in words.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import subprocess
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from workflows.clocks import effective_duration
from workflows.definitions import RAISE, DeadlineRule, Unit, Workflow
from workflows.steps import LEAD, WORKER

DIAGRAM_DIR = Path(__file__).resolve().parent.parent / "docs" / "workflows"
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
FONT = "Helvetica,Arial,sans-serif"
START = "__start__"
DOT_TIMEOUT_SECONDS = 20
ANY_STATE, ANY_OTHER_STATE = "*", "+"  # django-fsm's wildcard sources


@dataclasses.dataclass(frozen=True)
class Edge:
    source: str
    target: str
    name: str
    label: str
    self_loop: bool  # target=None: an event recorded without a change of state


def sub_node(process: Any, state: str) -> str:
    """The node of a sub-process's state, apart from the main route's states."""
    return f"{process.name}.{state}"


def _sub_edges(workflow: Workflow) -> Iterator[Edge]:
    """A sub-process's steps as edges between its own states, once per step (each may be
    taken from every open state of the main route, which it leaves as it is)."""
    seen: set[str] = set()
    for t in workflow.transitions():
        process = t.custom.get("sub_process")
        if process is None or t.name in seen:
            continue
        seen.add(t.name)
        target = t.custom.get("sub_target")
        for source in t.custom["sub_source"]:
            yield Edge(
                sub_node(process, source),
                sub_node(process, target or source),
                t.name,
                t.custom.get("label", t.name),
                target is None,
            )


def edges(workflow: Workflow) -> Iterator[Edge]:
    """Every declared (source, transition) as an edge, wildcard sources expanded; a
    sub-process's steps between its own states."""
    states = list(workflow.states.values)
    yield from _sub_edges(workflow)
    for t in workflow.transitions():
        if t.custom.get("sub_process") is not None:
            continue
        label = t.custom.get("label", t.name)
        target = None if t.target is None else str(t.target)
        if t.source == ANY_STATE:
            sources = states
        elif t.source == ANY_OTHER_STATE:
            sources = [s for s in states if s != target]
        else:
            sources = [str(t.source)]
        for source in sources:
            yield Edge(source, target or source, t.name, label, target is None)


def _quote(text: str, width: int = 0) -> str:
    lines = textwrap.wrap(text, width) if width else [text]
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in lines or [""])
    return '"' + "\\n".join(escaped) + '"'


def workflow_dot(workflow: Workflow) -> str:
    """The workflow as a Graphviz digraph: states, and transitions labelled as declared.

    Terminal states are double circles, the initial state is bold with an arrow from a
    start point, and a transition that records an event without changing state
    (``target=None``) is a dashed loop.
    """
    lines = [
        f"digraph {_quote(workflow.case_type)} {{",
        f"  graph [label={_quote(workflow.label)}, labelloc=t, fontname={_quote(FONT)},"
        " fontsize=16, rankdir=TB, nodesep=0.4, ranksep=0.5];",
        f"  node [shape=box, style=rounded, fontname={_quote(FONT)}, fontsize=11];",
        f"  edge [fontname={_quote(FONT)}, fontsize=9];",
        f'  {_quote(START)} [shape=point, width=0.15, label=""];',
    ]
    for state in workflow.states:
        attrs = [f"label={_quote(state.label, 22)}"]
        if state.value in workflow.terminal_states:
            attrs.append("shape=doublecircle")
        if state.value == workflow.initial_state:
            attrs.append('style="rounded,bold"')
        lines.append(f"  {_quote(state.value)} [{', '.join(attrs)}];")
    lines.append(f"  {_quote(START)} -> {_quote(str(workflow.initial_state))};")
    for process in workflow.sub_processes:
        lines += _sub_cluster(process)
    for edge in edges(workflow):
        attrs = [f"label={_quote(edge.label, 28)}", f"tooltip={_quote(edge.name)}"]
        if edge.self_loop:
            attrs.append("style=dashed")
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _sub_cluster(process: Any) -> list[str]:
    """A sub-process as a box of its own states, said to run beside the main route."""
    start = sub_node(process, START)
    title = f"{process.label}: beside the main route, from any open state"
    lines = [
        f"  subgraph {_quote('cluster_' + process.name)} {{",
        f"    label={_quote(title, 40)}; style=dashed; fontsize=12;",
        f'    {_quote(start)} [shape=point, width=0.15, label=""];',
    ]
    for state in process.states:
        attrs = [f"label={_quote(state.label, 22)}"]
        if state.value == process.initial_state:
            attrs.append('style="rounded,bold"')
        lines.append(f"    {_quote(sub_node(process, state.value))} [{', '.join(attrs)}];")
    lines.append(f"    {_quote(start)} -> {_quote(sub_node(process, process.initial_state))};")
    lines.append("  }")
    return lines


def graphviz_installed() -> bool:
    return shutil.which("dot") is not None


@functools.lru_cache(maxsize=16)
def dot_to_svg(dot: str) -> str:
    """Graphviz's SVG of ``dot`` (raises ``OSError`` or ``SubprocessError`` on failure)."""
    result = subprocess.run(
        ["dot", "-Tsvg"],
        input=dot,
        capture_output=True,
        text=True,
        timeout=DOT_TIMEOUT_SECONDS,
        check=True,
    )
    return result.stdout


def declared_edges(workflow: Workflow) -> Counter[tuple[str, str, str, str]]:
    """(source, target, transition name, label) of every declared edge, counted."""
    return Counter((e.source, e.target, e.name, e.label) for e in edges(workflow))


def svg_edges(svg: str) -> Counter[tuple[str, str, str, str]]:
    """The same, read from a Graphviz SVG of ``workflow_dot``: each edge's title is
    ``source->target``, its link title the transition's name (the DOT tooltip), and its
    text lines the wrapped label."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own committed file
    found: Counter[tuple[str, str, str, str]] = Counter()
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") != "edge":
            continue
        source, _, target = (group.findtext(f"{SVG_NS}title") or "").partition("->")
        if source == START or source.endswith(f".{START}"):
            continue
        link = next(group.iter(f"{SVG_NS}a"), None)
        name = link.get(XLINK_TITLE, "") if link is not None else ""
        lines = [t.text or "" for t in group.findall(f"{SVG_NS}text")]
        found[(source, target, name, _unwrap(lines))] += 1
    return found


def _unwrap(lines: list[str]) -> str:
    """Undo ``textwrap.wrap``: lines joined by a space, or by nothing after a hyphen."""
    text = ""
    for line in lines:
        text += line if not text or text.endswith("-") else f" {line}"
    return text


def committed_svg_path(workflow: Workflow) -> Path:
    return DIAGRAM_DIR / f"{workflow.case_type}.svg"


@functools.lru_cache(maxsize=16)
def _committed_svg(path: Path, mtime: float) -> str | None:
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        return None
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else None


def inline_svg(workflow: Workflow) -> str | None:
    """The committed diagram as an ``<svg>`` element for a page, or None when there is none
    or it no longer shows exactly the declared transitions."""
    path = committed_svg_path(workflow)
    try:
        svg = _committed_svg(path, path.stat().st_mtime)
    except OSError:
        return None
    if svg is None or svg_edges(svg) != declared_edges(workflow):
        return None
    return svg


# The reference tables ----------------------------------------------------------------------

PERMISSIONS = {
    LEAD: "A safeguarding lead of the case's team",
    WORKER: "The allocated worker, or a safeguarding lead of the case's team",
}
UNIT_WORDS = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    Unit.HOURS: ("hour", "hours"),
    Unit.MONTHS: ("month", "months"),
}


def duration_words(duration: int, unit: Unit | str) -> str:
    """``5 working days``, ``1 month``."""
    one, many = UNIT_WORDS.get(Unit(unit), (str(unit), str(unit)))
    return f"{duration} {one if duration == 1 else many}"


def state_rows(workflow: Workflow) -> list[dict[str, Any]]:
    return [
        {
            "name": state.value,
            "label": state.label,
            "initial": state.value == workflow.initial_state,
            "terminal": state.value in workflow.terminal_states,
        }
        for state in workflow.states
    ]


def _source_words(workflow: Workflow, source: Any) -> str:
    if source == ANY_STATE:
        return "Any state"
    if source == ANY_OTHER_STATE:
        return "Any other state"
    return workflow.state_label(source)


def transition_rows(workflow: Workflow) -> list[dict[str, Any]]:
    """One row per transition name with every state it may be taken from, in process order
    (by the earliest declared state it starts from)."""
    order = {state: n for n, state in enumerate(workflow.states.values)}
    rows: dict[str, dict[str, Any]] = {}
    for t in workflow.transitions():
        permission = t.custom.get("permission_name", "")
        row = rows.setdefault(
            t.name,
            {
                "name": t.name,
                "label": t.custom.get("label", t.name),
                "sources": [],
                "target": None if t.target is None else workflow.state_label(t.target),
                "permission": permission,
                "permission_words": PERMISSIONS.get(permission, ""),
                "order": len(order),
            },
        )
        process = t.custom.get("sub_process")
        if process is not None:
            # Taken from any open state, which it keeps: said in the sub-process's states.
            sub_target = t.custom.get("sub_target")
            row["sources"] = [
                f"{process.label}: {process.state_label(s)}" for s in t.custom["sub_source"]
            ]
            row["target"] = (
                f"{process.label}: {process.state_label(sub_target)}" if sub_target else None
            )
            continue
        row["sources"].append(_source_words(workflow, t.source))
        row["order"] = min(row["order"], order.get(t.source, -1))
    return sorted(rows.values(), key=lambda row: row["order"])


def _event_words(workflow: Workflow, name: str) -> str:
    """A transition's label, or words for the intake and for a state's name."""
    if name == RAISE:
        return "The concern is raised"
    if name in workflow.states.values:
        return f"Entering “{workflow.state_label(name)}”"
    try:
        return workflow.transition_meta(name)["label"]
    except KeyError:
        return name


def rule_rows(workflow: Workflow) -> list[dict[str, Any]]:
    """The deadline rules with the duration in force here (a local override or as declared)."""
    return [_rule_row(workflow, rule) for rule in workflow.deadline_rules]


def _rule_row(workflow: Workflow, rule: DeadlineRule) -> dict[str, Any]:
    duration = effective_duration(workflow, rule)
    notes = []
    if rule.repeatable:
        notes.append("Starts again each time")
    if rule.disregard_christmas_day:
        notes.append("Christmas Day is disregarded")
    if rule.cancelled_by:
        cancelled = ", ".join(_event_words(workflow, n) for n in rule.cancelled_by)
        notes.append(f"Cancelled by: {cancelled}")
    return {
        "name": rule.name,
        "label": rule.label,
        "duration": duration_words(duration, rule.unit),
        "declared": duration_words(rule.duration, rule.unit),
        "overridden": duration != rule.duration,
        "starts_on": _event_words(workflow, rule.starts_on),
        "met_by": [_event_words(workflow, n) for n in rule.met_by],
        "statutory": rule.statutory,
        "source": rule.source,
        "notes": notes,
    }
