"""Helpers for the browser tests: axe-core checks, screenshots, signing in, and filling in
forms drawn from declared fields (``workflows.definitions.Field``) by their labels.

Selectors go by accessible role, label and text (what a person using a screen reader
hears), never by CSS structure, so that they hold while the pages' markup changes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from workflows.definitions import Field, FieldType

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
APP_CSS = ROOT / "static_build" / "assets" / "css" / "app.css"
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
# WCAG 2.2 AA, as DESIGN.md and issue 9 ask: axe's rules tagged with these levels.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed: apt-get install chromium (CI installs it)",
)

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""


# What Chromium says when axe is asked about a page a click has just replaced: the old
# document is gone and the new one not yet there (CI saw "reading 'documentElement'").
_MID_NAVIGATION = ("documentElement", "Execution context was destroyed", "navigat")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now.

    A form submitted by a click may still be loading its answer when this is called: the
    page is let finish loading first, and a run cut short by that navigation is run again
    on the page that arrived (at most three times), so the audit checks the page the
    user sees rather than failing on the one being replaced.
    """
    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            if not page.evaluate("typeof window.axe !== 'undefined'"):
                # Evaluated through the DevTools protocol, which the page's
                # Content-Security-Policy (no inline script) does not govern, unlike a
                # <script> tag added to the page.
                page.evaluate("source => { (0, eval)(source); }", AXE_JS.read_text())
            return page.evaluate(_AXE_RUN, AXE_TAGS)
        except PlaywrightError as error:
            if attempt == 2 or not any(sign in str(error) for sign in _MID_NAVIGATION):
                raise
    raise AssertionError("unreachable")


def describe_violations(name: str, violations: Iterable[Mapping[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{name}: {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    at {target}" for target in v["targets"][:8])
    return "\n".join(lines)


def assert_accessible(page: Page, name: str) -> None:
    """Fail, listing each rule, its impact, its help and where, if axe finds a violation."""
    violations = axe_violations(page)
    assert not violations, "axe-core found WCAG 2.2 AA violations:\n" + describe_violations(
        f"{name} ({page.url})", violations
    )


class AxeAudit:
    """Check many pages, then fail once listing every page's violations."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, page: Page, name: str) -> None:
        self.checked.append(name)
        violations = axe_violations(page)
        if violations:
            self.problems.append(describe_violations(f"{name} ({page.url})", violations))

    def assert_clean(self) -> None:
        assert not self.problems, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(
            self.problems
        )


def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG of the page at the fixed 1280-wide viewport: docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.set_viewport_size(VIEWPORT)
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path


def session_cookie(user: Any, base_url: str) -> dict[str, Any]:
    """A signed-in session for ``user`` as a browser cookie (for journeys not about sign-in)."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def status_of(page: Page, path: str) -> int:
    """Go to ``path`` and return the HTTP status of the page shown."""
    response = page.goto(path)
    assert response is not None
    return response.status


# Forms drawn from declared fields ---------------------------------------------------------


def label_pattern(label: str) -> re.Pattern[str]:
    """A control's label or legend exactly, with the "(optional)" the pages add."""
    return re.compile(rf"^\s*{re.escape(label)}(\s+\(optional\))?\s*$")


def _choice_label(spec: Field, value: Any) -> str:
    labels = {str(v): label for v, label in spec.choices}
    return labels[str(value)]


def fill_field(scope: Page | Locator, spec: Field, value: Any, nth: int = 0) -> None:
    """Answer one question found by its label (or its fieldset's legend)."""
    if value is None:
        return
    match spec.type:
        case FieldType.BOOLEAN:
            group = scope.get_by_role("group", name=label_pattern(spec.label)).nth(nth)
            group.get_by_label("Yes" if value else "No", exact=True).check()
        case FieldType.CHOICE if len(spec.choices) > 8:
            scope.get_by_label(label_pattern(spec.label)).nth(nth).select_option(str(value))
        case FieldType.CHOICE | FieldType.MULTICHOICE:
            group = scope.get_by_role("group", name=label_pattern(spec.label)).nth(nth)
            for item in value if isinstance(value, list) else [value]:
                group.get_by_label(_choice_label(spec, item), exact=True).check()
        case FieldType.RECORDS:
            _fill_records(scope, spec, value, nth)
        case FieldType.DATE | FieldType.DATETIME:
            # A GOV.UK date input: day, month and year (and hour, minute) boxes.
            group = scope.get_by_role("group", name=label_pattern(spec.label)).nth(nth)
            for part, text in date_parts(spec, value).items():
                group.get_by_label(part.capitalize(), exact=True).fill(text)
        case _:
            scope.get_by_label(label_pattern(spec.label)).nth(nth).fill(str(value))


def _fill_records(scope: Page | Locator, spec: Field, value: Any, nth: int) -> None:
    group = scope.get_by_role("group", name=label_pattern(spec.label)).nth(nth)
    add = re.compile("^Add another")
    for i, record in enumerate(value):
        if i and group.get_by_role("button", name=add).count():
            # An intake page adds records one at a time ("Add another").
            group.get_by_role("button", name=add).click()
            group = scope.get_by_role("group", name=label_pattern(spec.label)).nth(nth)
        for sub in spec.fields:
            fill_field(group, sub, record.get(sub.name), nth=i)


DATE_PART = re.compile(r"^(.*)-(day|month|year|hour|minute)$")


def field_name(name: str) -> str:
    """The field an input belongs to: a date input's ``<field>-day`` is ``<field>``'s."""
    found = DATE_PART.match(name)
    return found[1] if found else name


def date_parts(spec: Field, value: Any) -> dict[str, str]:
    """An ISO date (or date and time) as what is typed into a date input's boxes."""
    if spec.type is FieldType.DATETIME:
        moment = datetime.fromisoformat(str(value))
        return {
            "day": str(moment.day), "month": str(moment.month), "year": str(moment.year),
            "hour": f"{moment.hour:02d}", "minute": f"{moment.minute:02d}",
        }  # fmt: skip
    day = date.fromisoformat(str(value))
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


# The choose-a-type page offers a general concern (workflows.unclassified) as this (issue 19).
NOT_SURE = "Not sure which: raise a general concern"


def type_choice(workflow: Any) -> str:
    """The label of the radio that chooses ``workflow`` on the choose-a-type page."""
    from workflows.registry import FIRST_TYPE

    return NOT_SURE if workflow.case_type == FIRST_TYPE else workflow.label


def intake_heading(workflow: Any, section: Any) -> str:
    """The heading of one intake page: its title when the intake has several pages, the
    type's name when it is asked on one (as the general concern is)."""
    from workflows.intake import pages_of

    return section.title if len(pages_of(workflow)) > 1 else workflow.label


def fill_intake(page: Page, workflow: Any, answers: Mapping[str, Any]) -> None:
    """Answer an intake's short pages in turn, each question that applies to the answers,
    pressing Continue on each until "Check your answers"."""
    from workflows.forms import applicable
    from workflows.intake import page_fields, pages_of

    for section in pages_of(workflow):
        fields = applicable(page_fields(workflow, section.slug), answers)
        fill_fields(page.get_by_role("main"), fields, answers)
        page.get_by_role("button", name="Continue", exact=True).click()


def fill_fields(scope: Page | Locator, fields: Iterable[Field], values: Mapping[str, Any]) -> None:
    for spec in fields:
        if spec.name in values:
            fill_field(scope, spec, values[spec.name])


def sample_answer(spec: Field) -> Any:
    """A plausible answer to a required question a test does not care about."""
    match spec.type:
        case FieldType.BOOLEAN:
            return False
        case FieldType.CHOICE:
            return spec.choices[0][0]
        case FieldType.MULTICHOICE:
            return [spec.choices[0][0]]
        case FieldType.DATE:
            return timezone.localdate().isoformat()
        case FieldType.DATETIME:
            return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        case FieldType.INTEGER:
            return spec.min_value if spec.min_value is not None else 1
        case FieldType.RECORDS:
            return [{sub.name: sample_answer(sub) for sub in spec.fields if sub.required}]
    return f"{spec.label}: recorded in a browser test."


# Keyboard focus: every stop shows where it is, in view (WCAG 2.4.7, 2.4.11) ----------------

_FOCUS_STOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el.dataset.focusChecked) return null;
  el.dataset.focusChecked = '1';
  // GOV.UK draws a radio's or checkbox's focus ring on its label's ::before.
  const target = (el.type === 'radio' || el.type === 'checkbox') && el.labels && el.labels.length
    ? [el.labels[0], '::before'] : [el, null];
  const look = () => {
    const s = getComputedStyle(target[0], target[1]);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
            s.color, s.textDecorationLine, s.textDecorationThickness, s.borderColor,
            s.borderWidth].join('|');
  };
  const focused = look();
  el.blur();
  const blurred = look();
  el.focus();
  // At least part of it on screen (a tall control may be scrolled only partly into view).
  const r = el.getBoundingClientRect();
  const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
  const left = Math.max(r.left, 0), right = Math.min(r.right, window.innerWidth);
  const inView = bottom > top && right > left;
  const x = (left + right) / 2, y = (top + bottom) / 2;
  const hit = inView ? document.elementFromPoint(x, y) : null;
  const covered = !hit || !(el.contains(hit) || hit.contains(el)
    || (el.labels && [...el.labels].some(l => l.contains(hit))));
  const label = el.labels && el.labels[0] && el.labels[0].innerText;
  const name = (el.getAttribute('aria-label') || label || el.innerText || el.value
    || el.name || el.id || el.tagName).trim().replace(/\\s+/g, ' ');
  return {name: el.tagName.toLowerCase() + ' "' + name.slice(0, 60) + '"',
          indicator: focused !== blurred, inView, covered,
          where: `at ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x`
            + `${Math.round(r.height)} in ${window.innerWidth}x${window.innerHeight}`
            + (hit && hit !== el ? `, under ${hit.tagName.toLowerCase()}.${hit.className}` : '')};
}"""


def focus_problems(page: Page, name: str, limit: int = 250) -> list[str]:
    """Tab through every stop of the page once; list those whose focus is not visible
    (no change of style when focused) or that are off screen or covered when focused
    (WCAG 2.2 "Focus Not Obscured (Minimum)": some of it must show)."""
    problems = []
    page.evaluate(
        "() => document.querySelectorAll('[data-focus-checked]')"
        ".forEach(e => delete e.dataset.focusChecked)"
    )
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_STOP)
        if stop is None:
            break
        if not stop["indicator"]:
            problems.append(f"{name}: {stop['name']} shows no focus indicator")
        elif not stop["inView"] or stop["covered"]:
            problems.append(f"{name}: {stop['name']} is hidden when it has focus ({stop['where']})")
    else:
        problems.append(f"{name}: more than {limit} tab stops")
    return problems


_DATE_ORDER: dict[int, str] = {}


def date_keys(page: Page, iso: str) -> str:
    """The digits to type into a date input for ``iso``, in the order this Chromium's date
    input takes them (its build's locale decides, whatever the page's language): found
    once per browser on a scratch page, since it is the browser's, not the page's."""
    browser = page.context.browser
    key = id(browser)
    if key not in _DATE_ORDER:
        probe = page.context.new_page()
        probe.set_content("<input type=date id=probe>")
        probe.focus("#probe")
        probe.keyboard.type("01022003")
        value = probe.eval_on_selector("#probe", "el => el.value")
        probe.close()
        _DATE_ORDER[key] = {"2003-02-01": "%d%m%Y", "2003-01-02": "%m%d%Y"}[value]
    return date.fromisoformat(iso).strftime(_DATE_ORDER[key])
