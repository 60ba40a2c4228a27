"""Each workflow described for people: a diagram and the reference tables.

The declared django-fsm transitions are the specification (DESIGN.md "Transitions"), so
the diagram and the tables are drawn from them and cannot drift from the code.

The /workflows/ pages draw their diagrams here, in Python (``page_diagrams``: a small
layered layout of states as boxes and steps as arrows, an accessible ``<svg role="img">``
with a title and a description), so no server needs Graphviz (issue 19).

For the docs, ``workflow_dot`` is pure and ``dot_to_svg`` runs Graphviz's ``dot``, which
only ``manage.py draw_workflows`` (``make diagrams``) needs: it writes docs/workflows/,
and the SVG it wrote is committed; tests/workflows/test_diagrams.py fails on a stale one
(``svg_edges``).
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import subprocess
import textwrap
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from workflows.clocks import effective_duration, timescale_overrides
from workflows.definitions import RAISE, DeadlineRule, Unit, Workflow
from workflows.plain import plain_citation
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
    overrides = timescale_overrides()
    return [_rule_row(workflow, rule, overrides) for rule in workflow.deadline_rules]


def _rule_row(
    workflow: Workflow, rule: DeadlineRule, overrides: Mapping[tuple[str, str], int]
) -> dict[str, Any]:
    duration = effective_duration(workflow, rule, overrides)
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
        "basis": plain_citation(rule.source),
        "notes": notes,
    }


# The diagram the pages draw: an SVG made here, in Python -----------------------------------
#
# A small layered layout (no Graphviz at runtime): each state is a box in the layer of its
# shortest distance from the starting state, layers top to bottom, boxes in declared order
# left to right. An arrow goes down from a box's foot to the next box's head; an arrow
# to the same or an earlier layer bends round the right-hand side. Events recorded
# without a change of state are not drawn (the list of steps beside the diagram has them).

BOX_WIDTH, LINE_HEIGHT, BOX_PADDING = 170, 15, 10
GAP_X, GAP_Y, MARGIN = 40, 70, 20
BOX_CHARS = 24


@dataclasses.dataclass(frozen=True)
class Graph:
    """What a diagram draws: states (value, label) in order, where a case starts and
    ends, and the steps between states (source, target, label)."""

    key: str
    title: str
    states: list[tuple[str, str]]
    initial: str
    terminal: frozenset[str]
    arrows: list[tuple[str, str, str]]


def main_graph(workflow: Workflow) -> Graph:
    labels = dict(workflow.states.choices)
    arrows = [
        (e.source, e.target, e.label)
        for e in edges(workflow)
        if not e.self_loop and e.source in labels and e.target in labels
    ]
    return Graph(
        key=workflow.case_type,
        title=f"How a {workflow.label.lower()} case moves from stage to stage",
        states=[(str(v), str(lbl)) for v, lbl in workflow.states.choices],
        initial=str(workflow.initial_state),
        terminal=frozenset(str(s) for s in workflow.terminal_states),
        arrows=arrows,
    )


def sub_graphs(workflow: Workflow) -> list[Graph]:
    graphs = []
    for process in workflow.sub_processes:
        prefix = f"{process.name}."
        arrows = [
            (e.source.removeprefix(prefix), e.target.removeprefix(prefix), e.label)
            for e in _sub_edges(workflow)
            if e.source.startswith(prefix) and not e.self_loop
        ]
        graphs.append(
            Graph(
                key=f"{workflow.case_type}-{process.name}",
                title=f"{process.label}, beside the main route",
                states=[(str(v), str(lbl)) for v, lbl in process.states.choices],
                initial=str(process.initial_state),
                terminal=frozenset(),
                arrows=arrows,
            )
        )
    return graphs


def _layers(graph: Graph) -> dict[str, int]:
    """Each state's layer: its fewest steps from the start; the states where a case ends
    (and any never reached) share the last."""
    layer = {graph.initial: 0}
    frontier = [graph.initial]
    while frontier:
        following = []
        for state in frontier:
            for source, target, _ in graph.arrows:
                if source == state and target not in layer and target not in graph.terminal:
                    layer[target] = layer[state] + 1
                    following.append(target)
        frontier = following
    last = max(layer.values()) + 1
    return {
        value: last if value in graph.terminal else layer.get(value, last)
        for value, _ in graph.states
    }


@dataclasses.dataclass
class _Box:
    x: float
    y: float
    lines: list[str]

    @property
    def height(self) -> float:
        return len(self.lines) * LINE_HEIGHT + 2 * BOX_PADDING


def _boxes(graph: Graph) -> tuple[dict[str, _Box], float, float]:
    layer = _layers(graph)
    rows: dict[int, list[str]] = {}
    for value, _ in graph.states:
        rows.setdefault(layer[value], []).append(value)
    labels = dict(graph.states)
    widest = max(len(row) for row in rows.values())
    width = widest * (BOX_WIDTH + GAP_X) - GAP_X + 2 * MARGIN + GAP_X * 3
    boxes: dict[str, _Box] = {}
    y = MARGIN + 20.0
    for number in sorted(rows):
        row = rows[number]
        offset = (widest - len(row)) * (BOX_WIDTH + GAP_X) / 2
        tallest = 0.0
        for n, value in enumerate(row):
            lines = textwrap.wrap(labels[value], BOX_CHARS) or [value]
            box = _Box(MARGIN + offset + n * (BOX_WIDTH + GAP_X), y, lines)
            boxes[value] = box
            tallest = max(tallest, box.height)
        y += tallest + GAP_Y
    return boxes, width, y - GAP_Y + MARGIN


def _esc(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _arrow_path(source: _Box, target: _Box, bend: float) -> str:
    if target.y > source.y:
        x1, y1 = source.x + BOX_WIDTH / 2, source.y + source.height
        x2, y2 = target.x + BOX_WIDTH / 2, target.y - 2
        middle = (y1 + y2) / 2
        return f"M{x1:.0f},{y1:.0f} C{x1:.0f},{middle:.0f} {x2:.0f},{middle:.0f} {x2:.0f},{y2:.0f}"
    if target.y == source.y:  # side by side: straight across
        y = source.y + min(source.height, target.height) / 2
        if target.x > source.x:
            return f"M{source.x + BOX_WIDTH:.0f},{y:.0f} H{target.x - 2:.0f}"
        return f"M{source.x:.0f},{y:.0f} H{target.x + BOX_WIDTH + 2:.0f}"
    x1, y1 = source.x + BOX_WIDTH, source.y + source.height / 2
    x2, y2 = target.x + BOX_WIDTH + 2, target.y + target.height / 2
    reach = max(x1, x2) + bend
    return f"M{x1:.0f},{y1:.0f} C{reach:.0f},{y1:.0f} {reach:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"


def render_svg(graph: Graph) -> str:
    """The graph as an accessible ``<svg role="img">`` with a title and a description;
    each box and arrow carries its own ``<title>`` (shown on hover)."""
    boxes, width, height = _boxes(graph)
    labels = dict(graph.states)
    key = graph.key.replace("_", "-")
    ends = [labels[s] for s, _ in graph.states if s in graph.terminal]
    desc = f"It starts at “{labels[graph.initial]}”"
    desc += f" and ends at {', or '.join(f'“{e}”' for e in ends)}." if ends else "."
    desc += " The list of steps on this page says the same in words."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="app-diagram" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'aria-labelledby="diagram-{key}-title diagram-{key}-desc" font-family="Arial,sans-serif">',
        f'<title id="diagram-{key}-title">{_esc(graph.title)}</title>',
        f'<desc id="diagram-{key}-desc">{_esc(desc)}</desc>',
        f'<defs><marker id="arrow-{key}" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#0b0c0c"/></marker></defs>',
    ]
    start = boxes[graph.initial]
    cx = start.x + BOX_WIDTH / 2
    parts.append(
        f'<g class="app-diagram__start"><circle cx="{cx:.0f}" cy="{MARGIN:.0f}" r="5" '
        f'fill="#0b0c0c"/><path d="M{cx:.0f},{MARGIN + 5:.0f} V{start.y - 2:.0f}" '
        f'stroke="#0b0c0c" fill="none" marker-end="url(#arrow-{key})"/></g>'
    )
    seen: set[tuple[str, str]] = set()
    for n, (source, target, _label) in enumerate(graph.arrows):
        steps = [lbl for s, t, lbl in graph.arrows if (s, t) == (source, target)]
        if (source, target) in seen:
            continue
        seen.add((source, target))
        path = _arrow_path(boxes[source], boxes[target], 25 + (n % 6) * 12)
        title = f"{labels[source]} to {labels[target]}: {'; '.join(steps)}"
        parts.append(
            f'<g class="app-diagram__step"><title>{_esc(title)}</title>'
            f'<path d="{path}" stroke="#505a5f" fill="none" stroke-width="1.5" '
            f'marker-end="url(#arrow-{key})"/></g>'
        )
    for value, _ in graph.states:
        parts.append(_box_svg(boxes[value], labels[value], value, graph))
    parts.append("</svg>")
    return "\n".join(parts)


def _box_svg(box: _Box, label: str, value: str, graph: Graph) -> str:
    first = value == graph.initial
    last = value in graph.terminal
    where = " (where a case starts)" if first else " (where a case ends)" if last else ""
    fill = "#ffffff" if not last else "#f3f2f1"
    parts = [
        f'<g class="app-diagram__stage"><title>{_esc(label + where)}</title>',
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{BOX_WIDTH}" height="{box.height:.0f}" '
        f'rx="6" fill="{fill}" stroke="#0b0c0c" stroke-width="{3 if first else 1.5}"/>',
    ]
    if last:
        parts.append(
            f'<rect x="{box.x + 4:.0f}" y="{box.y + 4:.0f}" width="{BOX_WIDTH - 8}" '
            f'height="{box.height - 8:.0f}" rx="4" fill="none" stroke="#0b0c0c"/>'
        )
    for n, line in enumerate(box.lines):
        y = box.y + BOX_PADDING + (n + 1) * LINE_HEIGHT - 4
        parts.append(
            f'<text x="{box.x + BOX_WIDTH / 2:.0f}" y="{y:.0f}" text-anchor="middle" '
            f'font-size="13" fill="#0b0c0c">{_esc(line)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def page_diagrams(workflow: Workflow) -> list[dict[str, str]]:
    """The diagrams of a workflow's page: its main route, then each process beside it."""
    return [
        {"title": graph.title, "svg": render_svg(graph)}
        for graph in [main_graph(workflow), *sub_graphs(workflow)]
    ]
