"""Urgency first and the triage queue in a real browser (issue 19): a frontline worker
raises a concern with someone at immediate risk and is told what to do now; the lead
finds it flagged at the top of the triage queue and allocates two other cases in one go.

Saves docs/screenshots/triage-queue.png and docs/screenshots/immediate-risk-case.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from casework.models import Case, Team
from tests.browser.data import INTAKE
from tests.browser.support import (
    assert_accessible,
    fill_intake,
    needs_chromium,
    screenshot,
    type_choice,
)
from workflows.registry import get_workflow
from workflows.services import case_raise

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"SC-\d{4}-\d{6}")


def test_an_urgent_concern_goes_first_and_the_lead_allocates_in_bulk(new_page, people):
    Team.objects.filter(slug="north").update(
        duty_lead_name="Grace Okafor", duty_phone="01632 960 001"
    )
    # Two concerns already waiting, raised earlier with no immediate risk.
    waiting = [
        case_raise(
            actor=people["frontline"],
            case_type="cse",
            data={**INTAKE["cse"], "summary": summary},
        )
        for summary in (
            "A 14-year-old girl seen getting into cars with older men after school.",
            "A boy of 15 missing from school three days a week, new trainers and phone.",
        )
    ]

    # The frontline worker raises a concern: someone is at immediate risk.
    page = new_page(people["frontline"])
    workflow = get_workflow("modern_slavery")
    page.goto("/concerns/new/")
    page.get_by_label(type_choice(workflow), exact=True).check()
    page.get_by_role("button", name="Continue").click()
    # The intake's short pages in turn (issue 19), then "Check your answers".
    answers = {**INTAKE["modern_slavery"], "immediate_risk": True}
    fill_intake(page, workflow, answers)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Submit concern").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Someone is at immediate risk: act now")
    urgent_panel = page.locator("[data-section=urgent]")
    expect(urgent_panel).to_contain_text("call 999")
    expect(urgent_panel).to_contain_text("Grace Okafor")
    expect(urgent_panel.get_by_role("link", name="01632 960 001")).to_have_attribute(
        "href", "tel:01632960001"
    )
    reference = REFERENCE.search(urgent_panel.inner_text())[0]
    urgent = Case.objects.get(reference=reference)
    assert urgent.immediate_risk is True
    assert_accessible(page, "urgent confirmation")

    # The lead opens the triage queue from the menu: the urgent concern is first, flagged.
    lead = new_page(people["lead"])
    lead.goto("/")
    lead.get_by_role("navigation", name="Menu").get_by_role("link", name="Triage queue").click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Triage queue")
    rows = lead.locator("table[data-section=queue] tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-reference", reference)
    expect(rows.first.get_by_text("Immediate risk")).to_be_visible()
    expect(rows.first).to_contain_text("Maria Kowalska")
    assert_accessible(lead, "triage queue")
    screenshot(lead, "triage-queue")

    # Bulk allocation: tick the two waiting cases, choose Priya, allocate.
    for case in waiting:
        lead.get_by_label(f"Select {case.reference}").check()
    lead.get_by_label("Allocate the selected cases to").select_option(
        label="Priya Shah (0 open cases)"
    )
    lead.get_by_role("button", name="Allocate selected cases").click()
    expect(lead.get_by_role("alert")).to_contain_text("2 cases allocated to Priya Shah")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reference", reference)
    for case in waiting:
        assert Case.objects.get(pk=case.pk).owner == people["frontline"]
    assert Case.objects.get(pk=urgent.pk).owner is None

    # The urgent case's page warns at the top.
    rows.first.get_by_role("link", name=reference, exact=True).click()
    banner = lead.get_by_role("region", name="Immediate risk")
    expect(banner).to_contain_text("someone was said to be at immediate risk")
    assert_accessible(lead, "immediate risk case")
    screenshot(lead, "immediate-risk-case")
