"""Journeys in a real browser (headless Debian Chromium driven by Playwright), asserting
what the page shows and what the database holds (issue 9, items 5 and 6):

1. a frontline user raises each type of concern through its intake form, gets a reference
   and finds it among their cases; one journey is made by keyboard alone;
2. a lead triages a case, allocates it, refers it to a partner with a lawful basis and
   closes it through its workflow's steps;
3. an auditor finds a case in the audit log and exports its history as CSV;
4. people without access are refused: a hidden case is the same 404 as a missing one, and
   an auditor's attempt to act is a 403.

The forms are filled in from the workflows' own field declarations (``workflows/<type>.py``),
each question found by its label, so a question added to a workflow is answered here or
the test says which one is missing.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import Page, expect

from casework.audit import AuditVerb
from casework.models import AuditEvent, Case
from casework.permissions import named_case_types
from casework.sessions import RENEWED_AT
from referrals.checks import SPECIAL_CATEGORY_FIELDS
from referrals.models import PartnerAgency, Referral, ReferralState
from referrals.types import REFERRAL_TYPES
from tests.browser.data import INTAKE, days_ago
from tests.browser.support import (
    DATE_PART,
    assert_accessible,
    date_keys,
    date_parts,
    field_name,
    fill_field,
    fill_fields,
    fill_intake,
    focus_problems,
    intake_heading,
    label_pattern,
    needs_chromium,
    sample_answer,
    status_of,
    type_choice,
)
from tests.conftest import DEMO_PASSWORD
from tests.samples import LAWFUL_BASIS_STEP
from workflows.definitions import Field, FieldType
from workflows.forms import applicable
from workflows.intake import intake_fields, page_fields, pages_of
from workflows.registry import WORKFLOWS, get_workflow
from workflows.services import case_raise, case_transition

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"SC-\d{4}-\d{6}")
# The reference on its own, as the confirmation shows it (its link to the raiser's page for
# the case also names it).
SHOWN_REFERENCE = re.compile(rf"^{REFERENCE.pattern}$")


def raise_concern_in_browser(page: Page, case_type: str) -> str:
    """Go from the home page through the intake pages; return the reference shown."""
    workflow = get_workflow(case_type)
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Raise a concern").click()
    # A general concern is offered as "Not sure which" (issue 19).
    page.get_by_label(type_choice(workflow), exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        intake_heading(workflow, pages_of(workflow)[0])
    )
    fill_intake(page, workflow, INTAKE[case_type])
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    main = page.get_by_role("main")
    expect(main).to_contain_text(INTAKE[case_type]["summary"])
    for spec in applicable(intake_fields(workflow), INTAKE[case_type]):
        if spec.name in INTAKE[case_type]:
            expect(main.get_by_text(spec.label, exact=True).first).to_be_visible()
    page.get_by_role("button", name="Submit concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concern raised")
    reference = page.get_by_role("main").get_by_text(SHOWN_REFERENCE).inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    return reference


# 1. A frontline user raises each type of concern -------------------------------------------


# A death for review is recorded by a lead, not frontline staff (a named compartment;
# tests/workflows/test_intake_pages.py raises one through the pages as a lead).
@pytest.mark.parametrize("case_type", sorted(set(WORKFLOWS) - named_case_types()))
def test_a_frontline_user_raises_each_type_of_concern(case_type, new_page, people):
    workflow = get_workflow(case_type)
    unanswered = [
        f.name
        for f in applicable(intake_fields(workflow), INTAKE[case_type])
        if f.required and f.name not in INTAKE[case_type]
    ]
    assert not unanswered, f"add answers for {case_type}'s required fields: {unanswered}"
    page = new_page(people["frontline"])

    reference = raise_concern_in_browser(page, case_type)

    case = Case.objects.get(reference=reference)
    assert case.case_type == case_type
    assert case.raised_by == people["frontline"]
    assert case.team.slug == "north"
    assert case.state == workflow.initial_state
    assert case.summary == INTAKE[case_type]["summary"]
    assert AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_RAISED).count() == 1
    # The raiser finds it under their concerns on the home page, and among their cases.
    page.get_by_role("link", name="Go to your home page").click()
    mine = page.get_by_role("table", name=re.compile("Concerns you raised"))
    expect(mine.get_by_role("row").filter(has_text=reference)).to_contain_text(workflow.label)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("main").get_by_role("link", name=reference)).to_be_visible()


# The keyboard-only journey ----------------------------------------------------------------

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const form = el.closest('form');
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', id: el.id,
    value: (el.type === 'checkbox' || el.tagName === 'BUTTON') ? el.value : '',
    text: (el.innerText || el.value || '').trim().slice(0, 80),
    label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : '',
    checked: !!el.checked, inForm: !!(form && form.method === 'post'),
    inMain: !!el.closest('main'),
  };
}"""

# Each tab stop a post form should have, in document order: every enabled control, one
# per radio group (the browser stops on a group once), and its submit button.
_EXPECTED_STOPS = """() => {
  const form = [...document.querySelectorAll('main form')].find(f => f.method === 'post');
  const seen = new Set(); const stops = [];
  for (const el of form.querySelectorAll('input, select, textarea, button, a[href]')) {
    if (el.type === 'hidden' || el.disabled || el.closest('[hidden]')) continue;
    const value = (el.type === 'checkbox' || el.tagName === 'BUTTON') ? el.value : '';
    const key = el.type === 'radio' ? 'radio:' + el.name
      : el.name ? 'name:' + el.name + ':' + value : el.tagName + ':' + (el.innerText || '').trim();
    if (el.type === 'radio' && seen.has(key)) continue;
    if (el.type !== 'radio' && el.type !== 'checkbox' && seen.has(key)) continue;
    seen.add(key); stops.push(key);
  }
  return stops;
}"""


def focused(page: Page) -> dict[str, Any] | None:
    return page.evaluate(_FOCUSED)


def stop_key(el: dict[str, Any]) -> str:
    if el["type"] == "radio":
        return f"radio:{el['name']}"
    if el["name"]:
        return f"name:{el['name']}:{el['value']}"
    return f"{el['tag'].upper()}:{el['text']}"


def tab_to(page: Page, matches, limit: int = 80) -> dict[str, Any]:
    """Press Tab until the focused element satisfies ``matches``; fail after ``limit``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = focused(page)
        if el and matches(el):
            return el
    raise AssertionError("Tab never reached the element wanted")


def by_text(text: str):
    return lambda el: el["text"] == text or el["label"] == text


def test_a_concern_can_be_raised_by_keyboard_alone(new_page, people):
    """Sign in, raise a modern slavery concern and submit it using only the keyboard:
    Tab and Shift+Tab to move, typing into fields, Space for checkboxes, arrow keys for
    radios and Enter to follow links and press buttons. Every control of the intake form
    is reached in order, and the skip link moves focus to the main content."""
    case_type = "modern_slavery"
    workflow = get_workflow(case_type)
    answers = INTAKE[case_type]
    specs = {f.name: f for f in intake_fields(workflow)}
    page = new_page()
    page.goto("/sign-in/")

    # The skip link is the first stop and takes focus to the main content.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Username"
    page.keyboard.type("frontline.north")
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    tab_to(page, lambda el: el["inMain"] and el["text"].startswith("Raise a concern"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("What is your concern about?")
    el = tab_to(page, lambda el: el["type"] == "radio")
    # The radios frontline staff are offered (not the types only leads record).
    labels = [w.label for t, w in WORKFLOWS.items() if t not in named_case_types()]
    for _ in range(labels.index(workflow.label) - labels.index(el["label"])):
        page.keyboard.press("ArrowDown")
    if not focused(page)["checked"]:
        page.keyboard.press("Space")
    assert focused(page)["label"] == workflow.label
    assert focused(page)["checked"]
    tab_to(page, by_text("Continue"))
    page.keyboard.press("Enter")

    for section in pages_of(workflow):  # each of the intake's short pages in turn
        expect(page.get_by_role("heading", level=1)).to_have_text(section.title)
        asked = applicable(page_fields(workflow, section.slug), answers)
        # Walk the form from the skip link to its last button, answering on the way.
        expected = page.evaluate(_EXPECTED_STOPS)
        page.keyboard.press("Tab")
        assert focused(page)["text"] == "Skip to main content"
        page.keyboard.press("Enter")
        # The skip link's script moves focus to the main content; on a busy machine it
        # can do so after the next key, which then counts the first field twice (a CI run
        # failed so). Wait for it, as a person sees where focus went before moving on.
        page.wait_for_function("document.activeElement.id === 'main-content'")
        stops: list[str] = []
        for _ in range(200):
            page.keyboard.press("Tab")
            el = focused(page)
            assert el is not None, "focus left the page inside the form"
            if not el["inForm"]:
                if stops:
                    break  # past the form's last control
                continue
            stops.append(stop_key(el))  # a date's day, month and year are boxes of their own
            answer_by_keyboard(page, el, specs.get(field_name(el["name"])), answers)
        assert stops == expected, "the keyboard does not reach every control in order"

        # Shift+Tab goes back through the buttons to Continue, then past it to the last
        # question of the page.
        for _ in range(len(stops)):
            page.keyboard.press("Shift+Tab")
            if focused(page)["text"] == "Continue":
                break
        assert focused(page)["text"] == "Continue"
        page.keyboard.press("Shift+Tab")
        assert field_name(focused(page)["name"]) == asked[-1].name
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    tab_to(page, by_text("Submit concern"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Concern raised")

    reference = page.get_by_role("main").get_by_text(SHOWN_REFERENCE).inner_text().strip()
    case = Case.objects.get(reference=reference)
    assert case.raised_by == people["frontline"]
    assert case.details["exploitation_types"] == answers["exploitation_types"]
    assert case.details["consent_status"] == answers["consent_status"]
    assert case.details["immediate_risk"] is False
    assert case.summary == answers["summary"]


def answer_by_keyboard(page: Page, el: dict[str, Any], spec: Field | None, answers: dict) -> None:
    """Answer the focused control from ``answers`` with keys only."""
    if spec is None or spec.name not in answers:
        return
    value = answers[spec.name]
    if spec.type is FieldType.MULTICHOICE:
        wanted = {label for v, label in spec.choices if v in value}
        if (el["label"] in wanted) != el["checked"]:
            page.keyboard.press("Space")
        return
    if spec.type in (FieldType.CHOICE, FieldType.BOOLEAN):
        values = (
            ["true", "false"] if spec.type is FieldType.BOOLEAN else [v for v, _ in spec.choices]
        )
        target = ("true" if value else "false") if spec.type is FieldType.BOOLEAN else value
        for _ in range(values.index(target)):
            page.keyboard.press("ArrowDown")
        if not focused(page)["checked"]:
            page.keyboard.press("Space")
        return
    if spec.type in (FieldType.DATE, FieldType.DATETIME):
        part = DATE_PART.match(el["name"])
        if part:  # a GOV.UK date input: one box each for day, month and year
            page.keyboard.type(date_parts(spec, value)[part[2]])
        else:
            page.keyboard.type(date_keys(page, value))  # each part moves on when full
        return
    page.keyboard.type(str(value))


def answer_form_by_keyboard(page: Page, fields: list[Field], answers: dict, submit: str) -> None:
    """From the skip link, Tab through the page's form answering each question, then press
    Enter on its ``submit`` button; fail if a question is never reached."""
    specs = {f.name: f for f in fields}
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    reached: set[str] = set()
    last = None
    for _ in range(120):
        page.keyboard.press("Tab")
        el = focused(page)
        assert el is not None, f"focus left the page before the {submit!r} button"
        if el["tag"] == "button" and el["text"] == submit:
            break
        if not el["inForm"] or (el["type"] == "date" and el["name"] == last):
            continue  # outside the form, or Tab moving through a date's day, month and year
        last = el["name"]
        reached.add(field_name(el["name"]))
        answer_by_keyboard(page, el, specs.get(field_name(el["name"])), answers)
    assert set(specs) <= reached, f"never reached: {set(specs) - reached}"
    page.keyboard.press("Enter")


def test_a_lead_moves_a_case_on_and_allocates_it_by_keyboard_alone(new_page, people):
    """The case page's step buttons (links drawn as buttons: Space presses them), a
    step's form, and the allocation form, with the keyboard only."""
    case = case_raise(actor=people["frontline"], case_type="cuckooing", data=INTAKE["cuckooing"])
    page = new_page(people["lead"])
    page.goto(f"/cases/{case.reference}/")
    meta = get_workflow("cuckooing").transition_meta("submit_concern")
    tab_to(page, by_text(meta["label"]))
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=1)).to_have_text(meta["label"])
    answers = {"submitted_on": days_ago(1), "police_informed": True, "mash_notified": False,
               **LAWFUL_BASIS_STEP}  # fmt: skip
    answer_form_by_keyboard(page, meta["fields"], answers, meta["label"])
    expect(page.get_by_role("alert").filter(has_text=meta["label"])).to_have_count(1)

    tab_to(page, by_text("Allocate this case"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate this case")
    choices = page.get_by_role("group", name="Allocate to").get_by_role("radio")
    labels = [
        choices.nth(i).evaluate("el => el.labels[0].innerText.trim()")
        for i in range(choices.count())
    ]  # noqa: E501
    worker = Field(
        "assignee", FieldType.CHOICE, "Allocate to", choices=[(label, label) for label in labels]
    )  # noqa: E501
    answer_form_by_keyboard(
        page, [worker], {"assignee": "Priya Shah (frontline.north) (0 open cases)"}, "Allocate"
    )  # noqa: E501
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)

    after = Case.objects.get(pk=case.pk)
    assert after.state == "safeguarding_concern_submitted"
    assert after.details["submitted_on"] == days_ago(1)
    assert after.owner == people["frontline"]


# 2. A lead triages, allocates, refers and closes ------------------------------------------


def choose(scope, label: str, option: str) -> None:
    """Pick ``option`` of a choice question whether it is drawn as radios or a select."""
    group = scope.get_by_role("group", name=label_pattern(label))
    if group.count():
        group.get_by_label(option, exact=True).check()
    else:
        scope.get_by_label(label_pattern(label)).select_option(label=option)


def take_step(page: Page, case_type: str, name: str, answers: dict[str, Any]) -> None:
    """On the case page, press the step's button, answer its form and submit it."""
    workflow = get_workflow(case_type)
    meta = workflow.transition_meta(name)
    page.get_by_role("button", name=meta["label"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(meta["label"])
    values = {f.name: sample_answer(f) for f in meta["fields"] if f.required} | answers
    fill_fields(page.get_by_role("main"), meta["fields"], values)
    page.get_by_role("main").get_by_role("button", name=meta["label"], exact=True).click()
    problem = page.get_by_role("heading", name="There is a problem")
    expect(page).to_have_url(re.compile(r"/cases/[^/]+/$"))
    assert not problem.count(), page.get_by_role("main").inner_text()
    expect(page.get_by_role("alert").filter(has_text=meta["label"])).to_have_count(1)


def test_a_lead_triages_allocates_refers_and_closes_a_case(new_page, people):
    frontline, lead = people["frontline"], people["lead"]
    case = case_raise(actor=frontline, case_type="cuckooing", data=INTAKE["cuckooing"])
    page = new_page(lead)
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Cases").click()
    page.get_by_role("main").get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)

    take_step(page, "cuckooing", "submit_concern", {"police_informed": True, **LAWFUL_BASIS_STEP})
    expect(page.get_by_role("heading", level=1)).to_contain_text("Safeguarding concern submitted")

    # Allocate it to the frontline worker of the team.
    page.get_by_role("link", name="Allocate this case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate this case")
    # Each choice shows the person's open caseload (issue 19).
    choose(
        page.get_by_role("main"),
        "Allocate to",
        f"Priya Shah ({frontline.get_username()}) (0 open cases)",
    )
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    assert Case.objects.get(pk=case.pk).owner == frontline

    # Refer it to adult social care, without consent, on a recorded lawful gateway.
    spec = REFERRAL_TYPES["adult_safeguarding_concern"]
    partner = PartnerAgency.objects.filter(kind__in=spec.partner_kinds).order_by("name").first()
    page.get_by_role("button", name="Make a referral").click()
    page.get_by_label(spec.label, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(spec.label)
    main = page.get_by_role("main")
    choose(main, "Partner agency", partner.name)
    fill_fields(main, spec.fields, {f.name: sample_answer(f) for f in spec.fields if f.required})
    fill_field(
        main,
        Field("consent_given", FieldType.BOOLEAN, "Has consent to share this referral been given?"),
        False,
    )  # noqa: E501
    choose(
        main,
        "Lawful gateway relied on",
        "DPA 2018 Sch. 1 para 18: safeguarding of children and individuals at risk",
    )  # noqa: E501
    main.get_by_label(label_pattern("Why sharing is necessary and proportionate")).fill(
        "Asking the occupier would alert the people exploiting him."
    )
    # Issue 15: the special-category answer and its condition, apart from the gateway.
    fill_fields(main, SPECIAL_CATEGORY_FIELDS, {
        "special_category_shared": "yes", "special_category_condition": "dpa_2018_sch1_para18",
    })  # fmt: skip
    page.get_by_role("button", name="Save the draft").click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+/$"))
    referral = Referral.objects.get(case=case)
    assert referral.state == ReferralState.DRAFT
    # The seeded partner has no secure mailbox: the lead sends it by hand and records it.
    page.get_by_role("button", name="Record as sent").click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+/actions/send/$"))
    page.get_by_role("main").get_by_role("button", name="Record as sent").click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+/$"))
    expect(page.get_by_role("main")).to_contain_text(partner.name)
    assert_accessible(page, "a sent referral")
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.state == ReferralState.SENT
    assert referral.gateway == "dpa_2018_sch1_para18"
    assert referral.consent_given is False
    assert referral.special_category_condition == "dpa_2018_sch1_para18"
    assert referral.authorised_by == lead

    # Back to the case: triage, then close with no further action.
    page.goto(f"/cases/{case.reference}/")
    take_step(
        page, "cuckooing", "start_triage", {"occupier_aware": False, "occupier_consents": False}
    )  # noqa: E501
    take_step(page, "cuckooing", "record_s42_test", {
        "s42_care_and_support_needs": True,
        "s42_abuse_or_neglect": True,
        "s42_unable_to_protect": False,
        "s42_rationale": "He can and does protect himself once the visitors are moved on.",
    })  # fmt: skip
    take_step(page, "cuckooing", "close_no_further_action", {
        "rationale": "The s42 criteria are not met; police are leading on the exploiters.",
    })  # fmt: skip
    expect(page.get_by_role("main")).to_contain_text("This case is closed.")
    assert Case.objects.get(pk=case.pk).state == "closed"
    verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
    for verb in (AuditVerb.CASE_RAISED, AuditVerb.CASE_ALLOCATED):
        assert verb in verbs, verbs


# 3. An auditor finds a case and exports its history ---------------------------------------


def test_an_auditor_finds_a_case_in_the_audit_log_and_exports_its_history(new_page, people):
    case = case_raise(
        actor=people["frontline"], case_type="modern_slavery", data=INTAKE["modern_slavery"]
    )
    case = case_transition(
        case=case, actor=people["lead"], name="start_triage", data={},
        expected_version=case.version,
    )  # fmt: skip
    other = case_raise(actor=people["frontline"], case_type="cse", data=INTAKE["cse"])
    page = new_page(people["auditor"])
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("Case reference").fill(case.reference)
    page.get_by_role("button", name="Search").click()
    results = page.get_by_role("table")
    expect(results.get_by_role("link", name=case.reference).first).to_be_visible()
    expect(results.get_by_role("link", name=other.reference)).to_have_count(0)
    results.get_by_role("link", name=case.reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"{case.reference}: audit timeline"
    )
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Export this case.s audit events as CSV")).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    ours = AuditEvent.objects.filter(case=case).exclude(verb=AuditVerb.AUDIT_EXPORTED)
    assert rows
    assert len(rows) == ours.count()
    text = "\n".join(",".join(row.values()) for row in rows)
    assert case.reference in text
    assert other.reference not in text
    assert AuditVerb.CASE_RAISED.value in text
    assert AuditEvent.objects.filter(
        actor=people["auditor"], verb=AuditVerb.AUDIT_EXPORTED
    ).exists()


# 4. People without access are refused -----------------------------------------------------


def test_hidden_cases_are_the_same_404_as_missing_ones_and_auditors_cannot_act(new_page, people):
    north = case_raise(actor=people["frontline"], case_type="cse", data=INTAKE["cse"])
    prevent = case_raise(actor=people["frontline"], case_type="prevent", data=INTAKE["prevent"])
    missing = "SC-2026-999999"

    def refusal(page: Page, reference: str) -> tuple[str, str]:
        """The page shown for a case, with its reference blanked: must be a 404."""
        assert status_of(page, f"/cases/{reference}/") == 404, reference
        text = page.get_by_role("main").inner_text()
        return page.title().replace(reference, "REF"), text.replace(reference, "REF")

    # Another team's frontline worker and lead: another team's case and a Prevent case.
    for who in ("frontline_south", "lead_south"):
        page = new_page(people[who])
        assert refusal(page, north.reference) == refusal(page, missing), who
        assert refusal(page, prevent.reference) == refusal(page, missing), who
    # A lead of the case's own team who is not Prevent-cleared.
    page = new_page(people["lead"])
    assert status_of(page, f"/cases/{north.reference}/") == 200
    assert refusal(page, prevent.reference) == refusal(page, missing)

    # An auditor reads the case, is offered no step, and posting one is refused (403).
    page = new_page(people["auditor"])
    assert status_of(page, f"/cases/{north.reference}/") == 200
    expect(page.get_by_role("main")).to_contain_text(north.summary)
    step = get_workflow("cse").transition_meta("refer_to_mash")["label"]
    expect(page.get_by_role("button", name=step)).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/cases/{north.reference}/actions/refer_to_mash/",
        form={"csrfmiddlewaretoken": token, "version": str(north.version)},
        headers={"Referer": page.url},
    )
    assert response.status == 403
    assert status_of(page, f"/cases/{north.reference}/actions/refer_to_mash/") == 403
    after = Case.objects.get(pk=north.pk)
    assert (after.state, after.version) == (north.state, north.version)
    assert (
        not AuditEvent.objects.filter(case=north, actor=people["auditor"])
        .exclude(verb__in=[AuditVerb.CASE_VIEWED])
        .exists()
    )


def test_every_tab_stop_shows_its_focus_in_view(new_page, people, casebook):
    """WCAG 2.4.7 and 2.4.11, which axe cannot check: Tab reaches each control of the main
    pages, and each shows a focus indicator and is on screen, uncovered, when focused."""
    cse = casebook.cases["cse"]
    pages = {
        "sign-in": (None, "/sign-in/"),
        "home (lead)": ("lead", "/"),
        "case list": ("lead", "/cases/"),
        "case page": ("lead", f"/cases/{cse.reference}/"),
        "intake form": ("frontline", "/concerns/new/cuckooing/"),
        "referral form": ("lead", f"/cases/{cse.reference}/referrals/new/mash_referral/"),
        "audit log": ("auditor", f"/audit/?reference={cse.reference}"),
    }
    problems = []
    for name, (who, path) in pages.items():
        page = new_page(people[who] if who else None)
        page.goto(path)
        problems += focus_problems(page, name)
    assert not problems, "\n".join(problems)


def test_the_session_timeout_warning_works_by_keyboard(new_page, people, settings):
    """Before the idle sign-out a modal warning takes the focus; it passes axe, and Enter
    on "Stay signed in" renews the session and closes it."""
    page = new_page(people["frontline"])
    page.clock.install()
    page.goto("/")
    warning_at = settings.SESSION_COOKIE_AGE - settings.SAFECASE_SESSION_WARNING_SECONDS
    dialog = page.get_by_role("dialog", name="You are about to be signed out")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward(warning_at * 1000 + 1000)
    expect(dialog).to_be_visible()
    assert_accessible(page, "session timeout warning")
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    assert focused(page)["text"] == "Stay signed in"
    with page.expect_response(lambda r: r.url.endswith("/session/keep-alive/")) as renewed:
        page.keyboard.press("Enter")
    assert renewed.value.status == 204
    expect(dialog).to_be_hidden()
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/cases/$"))  # still signed in, not sent to sign in


def test_the_session_warning_counts_from_what_is_left_of_the_idle_timeout(
    new_page, people, settings
):
    """A page read renews the idle timeout at most once a minute (casework/sessions.py):
    a page drawn 50 seconds after the last renewal warns 50 seconds earlier than a whole
    idle timeout from now, because that is when the server will end the session."""
    page = new_page(people["frontline"])
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    store = SessionStore(session_key=key)
    store[RENEWED_AT] = int(time.time()) - 50
    store.save()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 50)
    Session.objects.filter(session_key=key).update(expire_date=expires)
    page.clock.install()
    page.goto("/")
    dialog = page.get_by_role("dialog", name="You are about to be signed out")
    warning_at = settings.SESSION_COOKIE_AGE - 50 - settings.SAFECASE_SESSION_WARNING_SECONDS
    page.clock.fast_forward((warning_at - 5) * 1000)
    expect(dialog).to_be_hidden()
    page.clock.fast_forward(10_000)
    expect(dialog).to_be_visible()
    # "Stay signed in" gives back a whole idle timeout, and the next warning comes then.
    with page.expect_response(lambda r: r.url.endswith("/session/keep-alive/")):
        page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    whole = settings.SESSION_COOKIE_AGE - settings.SAFECASE_SESSION_WARNING_SECONDS
    page.clock.fast_forward((whole - 5) * 1000)
    expect(dialog).to_be_hidden()
    page.clock.fast_forward(10_000)
    expect(dialog).to_be_visible()
