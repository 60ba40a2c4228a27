"""docs/clocks.md, written from the declared deadline rules (``manage.py document_clocks``).

One table of every clock: case type, task or period, start event, stop event, duration
and unit, statutory or local, and its source in RULES.md. A test checks the file matches
the declarations, so the document can never drift from what the code does.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflows.definitions import RAISE, ClockKind, DeadlineRule, Unit, Workflow

UNIT_WORDS = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    Unit.HOURS: ("hour", "hours"),
    Unit.MONTHS: ("month", "months"),
}

HEADER = """# Clocks

Every deadline Safecase keeps, written from the rules declared beside each workflow's
steps (`manage.py document_clocks` rewrites this file; a test fails if it is out of date).

- A **task** is something the council must do by the due time: it is reminded before and
  on the due day, escalated when late, shown as overdue until it is met or cancelled, and
  counted as missed when met late or never.
- A **period** is a protection or a window that someone else holds (the minimum recovery
  period, an appeal window, a closure notice or order in force): the case page shows its
  start, its end and what it allows or blocks; it ends quietly (an in-app note at most),
  is never overdue and never missed.
- **Start event**: the step and the input holding when the event happened; a clock
  starts at that date, not when the step was typed in. "when recorded" means the step
  has no such input. **Stop event**: the steps that meet (a task) or end (a period) it,
  each at its own event date, so a task done in time but recorded late is met on time.
- Working days are Monday to Friday less England and Wales bank holidays; an event after
  the cut-off (17:00 by default), at a weekend or on a bank holiday counts from the next
  working day (day 0), and the deadline is the end of the Nth working day after it.
- Local timescales can be changed per deployment (administrators' timescale settings);
  statutory ones cannot.
"""


def _duration(rule: DeadlineRule) -> str:
    one, many = UNIT_WORDS[rule.unit]
    text = f"{rule.duration} {one if rule.duration == 1 else many}"
    if rule.unit is Unit.WORKING_DAYS and rule.duration == 0:
        text = "the same working day"
    if rule.disregard_christmas_day:
        text += ", Christmas Day disregarded"
    if rule.due_at_field:
        text = f"by the date in `{rule.due_at_field}`, else {text}"
    return text


def _start(workflow: Workflow, rule: DeadlineRule) -> str:
    step = "intake (raise)" if rule.starts_on == RAISE else f"`{rule.starts_on}`"
    field = workflow.start_field(rule)
    return f"{step} at `{field}`" if field else f"{step}, when recorded"


def _stop(workflow: Workflow, rule: DeadlineRule) -> str:
    parts = []
    for name in rule.met_by:
        field = workflow.event_field(name)
        parts.append(f"`{name}` at `{field}`" if field else f"`{name}`, when recorded")
    stop = "; ".join(parts) or "its end"
    if rule.cancelled_by:
        stop += " (cancelled by " + ", ".join(f"`{n}`" for n in rule.cancelled_by) + ")"
    return stop


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def clocks_markdown(workflows: Iterable[Workflow]) -> str:
    rows = [
        "| case type | clock (`rule`) | kind | start event | stop event | duration | "
        "statutory or local | source | why this kind |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for workflow in workflows:
        for rule in workflow.deadline_rules:
            kind = "period" if rule.kind is ClockKind.PERIOD else "task"
            if rule.period_effect:
                kind += f": {rule.period_effect}"
            cells = [
                workflow.case_type,
                f"{rule.label} (`{rule.name}`)",
                kind,
                _start(workflow, rule),
                _stop(workflow, rule),
                _duration(rule),
                "statutory" if rule.statutory else "local default",
                rule.source,
                rule.kind_reason,
            ]
            rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return HEADER + "\n" + "\n".join(rows) + "\n"
