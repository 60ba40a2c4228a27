"""How the case page presents a case (issue 19, point 9): one primary action, the
details in the form's order and in words, a paused clock without its old due date, and
one date format on every page staff read."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from casework.models import Case
from casework.notes import case_note_add
from casework.roles import Role
from tests.samples import ADULT, PREVENT_SUBJECT
from tests.workflows.test_cse import child
from tests.workflows.test_cuckooing import INTAKE as CUCKOOING
from tests.workflows.walker import default_raise, sample_values
from workflows import community_trigger, cse, cuckooing, modern_slavery, prevent
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import get_workflow
from workflows.services import case_transition

pytestmark = pytest.mark.django_db

WORKFLOWS = {
    "community_trigger": (community_trigger.WORKFLOW, {}),
    "cse": (cse.WORKFLOW, None),
    "cuckooing": (cuckooing.WORKFLOW, CUCKOOING),
    "modern_slavery": (modern_slavery.WORKFLOW, ADULT),
    "prevent": (prevent.WORKFLOW, PREVENT_SUBJECT),
}
BUTTON = re.compile(r'<(?:a|button)\b[^>]*class="(govuk-button\b[^"]*)"[^>]*>', re.S)


@pytest.fixture
def frontline(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def prevent_lead(make_user):
    return make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])


def main(page: str) -> str:
    return page.split('id="main-content"', 1)[1].split("</main>", 1)[0]


def primary_buttons(page: str) -> list[str]:
    """The green buttons of the page's main content (not secondary, warning or start)."""
    return [
        classes
        for classes in BUTTON.findall(main(page))
        if not re.search(r"govuk-button--(secondary|warning|start)", classes)
    ]


def raise_case(case_type: str, frontline) -> Case:
    workflow, intake = WORKFLOWS[case_type]
    return default_raise(workflow, frontline)(child() if intake is None else intake)


def primary_action(page: str) -> str | None:
    found = re.search(r'class="govuk-button govuk-!-margin-bottom-2"[^>]*data-action="(\w+)"', page)
    return found.group(1) if found else None


@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_each_case_page_has_at_most_one_primary_button(
    client, frontline, lead, prevent_lead, case_type
):
    """Along the route the primary buttons lead, every state's page has one green button
    at most: the next step; the warning buttons are steps that close or withdraw."""
    manager = prevent_lead if case_type == "prevent" else lead
    case = raise_case(case_type, frontline)
    workflow = get_workflow(case_type)
    client.force_login(manager)
    for _ in range(6):
        page = client.get(f"/cases/{case.reference}/").content.decode()
        assert len(primary_buttons(page)) <= 1, (case.state, primary_buttons(page))
        for name in re.findall(r'govuk-button--warning[^"]*"[^>]*data-action="(\w+)"', page):
            meta = [t for t in workflow.transitions() if t.name == name][0]
            assert meta.target in workflow.terminal_states or name.startswith("withdraw")
        name = primary_action(page)
        if name is None:
            break
        fields = workflow.transition_meta(name)["fields"]
        case = case_transition(
            case=case,
            actor=manager,
            name=name,
            data=sample_values(fields),
            expected_version=case.version,
        )


def test_a_prevent_gateway_shows_one_green_button_and_its_closures_as_warnings(
    client, frontline, prevent_lead
):
    case = raise_case("prevent", frontline)
    for name in ("submit_referral", "start_gateway_assessment"):
        fields = prevent.WORKFLOW.transition_meta(name)["fields"]
        case = case_transition(
            case=case, actor=prevent_lead, name=name, data=sample_values(fields),
            expected_version=case.version,
        )  # fmt: skip
    client.force_login(prevent_lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert len(primary_buttons(page)) == 1
    assert primary_action(page) == "refer_to_channel"
    closing = re.findall(r'govuk-button--warning[^"]*"[^>]*data-action="(\w+)"', page)
    assert len(closing) >= 3
    assert all(name.startswith("close") for name in closing)


def summary_list(page: str, section: str) -> list[tuple[str, str]]:
    block = page.split(f'data-section="{section}"', 1)[1].split("</dl>", 1)[0]
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>', block, re.S
    )
    return [(key.strip(), re.sub(r"<[^>]+>|\s+", " ", value).strip()) for key, value in rows]


def test_details_follow_the_intake_form_in_words(client, frontline, lead):
    case = raise_case("cuckooing", frontline)
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    rows = summary_list(page, "details")
    labels = [html.unescape(label) for label, _ in rows]
    declared = [f.label for f in cuckooing.WORKFLOW.intake_fields]
    assert labels == sorted(labels, key=declared.index)
    values = dict(rows)
    assert values["Do children live at or visit the property?"] == "No"
    assert values["Have the police been told?"] == "Yes"
    assert all("_" not in value for _, value in rows), rows
    premises = dict(summary_list(page, "premises"))
    assert premises["Tenure"] == "Council tenancy"
    assert "council" not in premises["Tenure"].split()


def test_a_step_recorded_code_and_the_outcome_are_in_words(client, frontline, prevent_lead):
    case = raise_case("prevent", frontline)
    for name in ("submit_referral", "start_gateway_assessment", "close_nfa_at_gateway"):
        fields = prevent.WORKFLOW.transition_meta(name)["fields"]
        case = case_transition(
            case=case, actor=prevent_lead, name=name, data=sample_values(fields),
            expected_version=case.version,
        )  # fmt: skip
    client.force_login(prevent_lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    summary = dict(summary_list(page, "summary"))
    assert summary["Outcome"]
    assert "_" not in summary["Outcome"]
    details = dict(summary_list(page, "details"))
    assert details["Outcome of the gateway assessment"] == "No further action"


def test_a_paused_clock_shows_the_time_it_keeps_not_its_old_due_date(client, frontline, lead):
    case = default_raise(community_trigger.WORKFLOW, frontline)({})
    deadline = Deadline.objects.filter(case=case).first()
    old_due = timezone.localtime(deadline.due_at)
    Deadline.objects.filter(pk=deadline.pk).update(
        status=DeadlineStatus.PAUSED, paused_at=timezone.now(), remaining=4
    )
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    row = page.split(f'data-deadline="{deadline.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Paused, 4 working days left" in row
    assert (
        f"{old_due.day} {old_due:%B %Y}"
        not in row.split('data-label="Started"')[1].split("</td>", 1)[1]
    )


# One date format --------------------------------------------------------------------------

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SHORT_MONTH = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+\d|\d\s+(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)
CLOCK_24 = re.compile(r"\b\d{2}:\d{2}\b")
SLASHED = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
AM_PM_DOTS = re.compile(r"\b[ap]\.m\.")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", page)


def assert_one_format(page: str, where: str) -> None:
    text = visible_text(page)
    for name, pattern in (
        ("an ISO date", ISO_DATE),
        ("an abbreviated month", SHORT_MONTH),
        ("a 24-hour time", CLOCK_24),
        ("a slashed date", SLASHED),
        ("a.m./p.m.", AM_PM_DOTS),
    ):
        found = pattern.search(text)
        assert found is None, (
            f"{where} shows {name}: …{text[max(found.start() - 60, 0) : found.end() + 20]}…"
        )


def test_pages_staff_read_write_dates_one_way(client, frontline, lead):
    case = raise_case("cuckooing", frontline)
    case = case_transition(
        case=case, actor=lead, name="submit_concern",
        data=sample_values(cuckooing.WORKFLOW.transition_meta("submit_concern")["fields"]),
        expected_version=case.version,
    )  # fmt: skip
    case_note_add(case=case, actor=lead, text="Visited.")
    Deadline.objects.filter(case=case).update(due_at=timezone.now() + timedelta(days=2))
    client.force_login(lead)
    pages = {
        "the case page": f"/cases/{case.reference}/",
        "the case history": f"/cases/{case.reference}/history/",
        "the home page": "/",
        "the case list": "/cases/",
        "the notifications": "/notifications/",
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert_one_format(response.content.decode(), where)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    now = timezone.localtime()
    assert re.search(rf"{now.day} {now:%B %Y} at \d{{1,2}}:\d{{2}}(am|pm)", visible_text(page))


# References never broken ------------------------------------------------------------------

REFERENCE = re.compile(r"SC-\d{4}-\d{6}")


def loose_references(page: str) -> list[str]:
    """References printed as text but not in a ``app-reference`` span (attributes, URLs
    and the page's title are not text)."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r'<span class="app-reference">SC-\d{4}-\d{6}</span>', " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return [body[max(m.start() - 80, 0) : m.end() + 20] for m in REFERENCE.finditer(body)]


def test_references_are_printed_whole(client, frontline, lead, settings):
    case = raise_case("cuckooing", frontline)
    client.force_login(lead)
    for url in (
        f"/cases/{case.reference}/",
        f"/cases/{case.reference}/history/",
        f"/cases/{case.reference}/actions/submit_concern/",
        "/cases/",
        "/",
    ):
        page = client.get(url).content.decode()
        assert case.reference in page, url
        assert loose_references(page) == [], url
    scss = (settings.BASE_DIR / "frontend" / "scss" / "_references.scss").read_text()
    assert re.search(r"\.app-reference\s*\{\s*white-space:\s*nowrap;", scss)
