"""axe-core on every page type, in headless Debian Chromium (issue 9, item 5), and the
screenshots of the main pages in docs/screenshots/ that the README shows (item 7).

Each test visits a family of pages as the person who would use them, forms in their error
state too, and fails once at the end listing every page's violations (rule, impact, help,
where), so that one broken page does not hide the others. Zero violations of WCAG 2.2 AA
(axe's wcag2a, wcag2aa, wcag21a, wcag21aa and wcag22aa rules) is the bar.
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.defaults import server_error
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from casework.api_tokens import api_token_issue
from casework.models import StaffApproval
from casework.permissions import named_case_types
from tests.browser.data import INTAKE
from tests.browser.support import (
    AxeAudit,
    fill_fields,
    fill_intake,
    needs_chromium,
    screenshot,
    status_of,
)
from tests.conftest import DEMO_PASSWORD
from tests.two_factor import totp_device
from workflows.forms import applicable
from workflows.intake import page_fields, pages_of
from workflows.registry import WORKFLOWS, get_workflow

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

MISSING = "/cases/SC-2026-999999/"
REFERENCE = re.compile(r"^SC-\d{4}-\d{6}$")


def visit(page: Page, audit: AxeAudit, name: str, path: str, status: int = 200) -> None:
    assert status_of(page, path) == status, f"{name}: {path}"
    audit.check(page, name)


def submit_empty(page: Page, audit: AxeAudit, name: str, button: str) -> None:
    """Submit the form on the page as it is and check the error summary state."""
    page.get_by_role("main").get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    audit.check(page, name)


def route_exists(name: str, **kwargs: Any) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def test_signed_out_and_error_pages(new_page, people):
    audit = AxeAudit()
    page = new_page()
    visit(page, audit, "sign-in", "/sign-in/")
    page.get_by_role("button", name="Sign in").click()
    audit.check(page, "sign-in with errors")
    visit(page, audit, "page not found (signed out)", "/no-such-page/", 404)
    visit(page, audit, "accessibility statement", reverse("accessibility"))
    # No route fails on purpose: the 500 page Django's handler renders (no request
    # context, no database) is served to the browser as the server would send it.
    error_page = server_error(RequestFactory().get("/")).content.decode()
    page.route(
        "**/server-error/",
        lambda route: route.fulfill(
            status=500, content_type="text/html; charset=utf-8", body=error_page
        ),
    )
    visit(page, audit, "server error", "/server-error/", 500)
    for _ in range(5):
        page.goto("/sign-in/")
        page.get_by_label("Username").fill("frontline.north")
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-in attempts")
    audit.check(page, "locked out")
    audit.assert_clean()


def test_home_notifications_and_workflows_for_every_role(new_page, people, casebook):
    audit = AxeAudit()
    for role in ("frontline", "lead", "prevent_lead", "auditor", "administrator"):
        page = new_page(people[role])
        visit(page, audit, f"home ({role})", "/")
        screenshot(page, f"home-{role.replace('_', '-')}")
    page = new_page(people["lead"])
    visit(page, audit, "notifications", reverse("notifications:notification-list"))
    visit(
        page, audit, "notification preferences", reverse("notifications:notification-preferences")
    )  # noqa: E501
    visit(page, audit, "workflows", reverse("workflows:workflow-list"))
    visit(
        page,
        audit,
        "workflow (cuckooing)",
        reverse("workflows:workflow-detail", args=["cuckooing"]),
    )  # noqa: E501
    visit(page, audit, "page not found (signed in)", MISSING, 404)
    visit(page, audit, "forbidden (lead in the audit log)", reverse("audit:search"), 403)
    audit.assert_clean()


def test_case_list_case_pages_and_the_forms_that_act_on_them(new_page, people, casebook):
    audit = AxeAudit()
    cases, lead = casebook.cases, people["lead"]
    page = new_page(lead)
    visit(page, audit, "case list", "/cases/")
    screenshot(page, "case-list")
    visit(page, audit, "case list (filtered)", "/cases/?case_type=cse")
    results = page.get_by_role("main").get_by_role("link", name=REFERENCE)
    expect(results).to_have_text([cases["cse"].reference])
    visit(page, audit, "case list (nothing found)", "/cases/?q=no-such-person-at-all")
    expect(results).to_have_count(0)
    for case_type, case in cases.items():
        viewer = new_page(people["prevent_lead"]) if case_type == "prevent" else page
        visit(viewer, audit, f"case page ({case_type})", f"/cases/{case.reference}/")
    page.goto(f"/cases/{cases['cuckooing'].reference}/")
    screenshot(page, "case-page")

    cse = cases["cse"]
    step = next(t.name for t in get_workflow("cse").transitions() if t.source == cse.state)
    visit(page, audit, "transition form", f"/cases/{cse.reference}/actions/{step}/")
    label = get_workflow("cse").transition_meta(step)["label"]
    if get_workflow("cse").transition_meta(step)["fields"]:
        submit_empty(page, audit, "transition form with errors", label)
    base = f"/cases/{cse.reference}/deadlines"
    visit(page, audit, "pause a clock", f"{base}/{casebook.open_clock.pk}/pause/")
    submit_empty(page, audit, "pause a clock with errors", "Pause the clock")
    visit(page, audit, "resume a clock", f"{base}/{casebook.paused_clock.pk}/resume/")
    visit(page, audit, "allocate", f"/cases/{cse.reference}/allocate/")
    submit_empty(page, audit, "allocate with errors", "Allocate")
    visit(page, audit, "who can read the case", f"/cases/{cse.reference}/access/")
    visit(page, audit, "person", f"/people/{casebook.person.pk}/")
    if cases["cuckooing"].premises_id:
        visit(page, audit, "premises", f"/premises/{cases['cuckooing'].premises_id}/")
    visit(page, audit, "person edit", f"/people/{casebook.person.pk}/edit/")
    page.get_by_label("Estimated age").fill("about twenty")
    submit_empty(page, audit, "person edit with errors", "Save changes")
    for name in ("case-note-add", "case-attachment-add"):
        if path := route_exists(name, reference=cse.reference):
            visit(page, audit, name, path)

    referral = casebook.referral
    visit(page, audit, "referral type", f"/cases/{cse.reference}/referrals/new/")
    page.get_by_role("button", name="Continue").click()
    audit.check(page, "referral type with errors")
    visit(page, audit, "referral form", f"/cases/{cse.reference}/referrals/new/mash_referral/")
    born = page.get_by_role("main").get_by_role("group", name="The child: date of birth")
    born.get_by_label("Day", exact=True).fill("45")  # a GOV.UK date input's boxes
    born.get_by_label("Month", exact=True).fill("13")
    born.get_by_label("Year", exact=True).fill("2099")
    page.get_by_role("button", name="Save the draft").click()
    audit.check(page, "referral form with errors")
    visit(page, audit, "referral", f"/referrals/{referral.pk}/")
    visit(page, audit, "referral print view", f"/referrals/{referral.pk}/print/")

    # The raiser of a Prevent case sees only that it was received; others' steps are 403.
    page = new_page(people["frontline"])
    visit(page, audit, "Prevent case for its raiser", f"/cases/{cases['prevent'].reference}/")
    visit(page, audit, "forbidden (frontline allocating)", f"/cases/{cse.reference}/allocate/", 403)  # noqa: E501
    audit.assert_clean()


def test_raising_a_concern(new_page, people):
    audit = AxeAudit()
    page = new_page(people["frontline"])
    visit(page, audit, "concern type", "/concerns/new/")
    page.get_by_role("button", name="Continue").click()
    audit.check(page, "concern type with errors")
    for case_type in WORKFLOWS:
        # A death for review is recorded by a lead: the form is not the frontline's.
        status = 403 if case_type in named_case_types() else 200
        visit(page, audit, f"intake form ({case_type})", f"/concerns/new/{case_type}/", status)
    page.goto("/concerns/new/modern_slavery/")
    screenshot(page, "intake-form")
    submit_empty(page, audit, "intake form with errors", "Continue")
    screenshot(page, "intake-form-errors")
    # What was typed is kept as a draft: listed to continue or delete.
    if path := route_exists("workflows:draft-delete", case_type="modern_slavery"):
        visit(page, audit, "concern type with a draft", "/concerns/new/")
        expect(page.get_by_role("heading", name="Your unfinished concerns")).to_be_visible()
        visit(page, audit, "home page with a draft", "/")
        expect(page.get_by_role("heading", name="Unfinished concerns")).to_be_visible()
        visit(page, audit, "delete a draft", path)
    # Every page of every intake, with the questions revealed by their answers.
    for case_type, workflow in WORKFLOWS.items():
        if case_type in named_case_types():
            continue
        page.goto(f"/concerns/new/{case_type}/")
        for section in pages_of(workflow)[:-1]:
            page.get_by_role("button", name="Continue", exact=True).click()
            audit.check(page, f"intake {case_type}: errors on {section.slug}")
            fill_fields(
                page.get_by_role("main"),
                applicable(page_fields(workflow, section.slug), INTAKE[case_type]),
                INTAKE[case_type],
            )
            page.get_by_role("button", name="Continue", exact=True).click()
    page.goto("/concerns/new/cuckooing/")
    fill_intake(page, WORKFLOWS["cuckooing"], INTAKE["cuckooing"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    audit.check(page, "check your answers")
    page.get_by_role("button", name="Submit concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concern raised")
    audit.check(page, "concern raised")
    # A second concern at the same address: the known premises are offered to link.
    page.goto("/concerns/new/cuckooing/")
    fill_intake(page, WORKFLOWS["cuckooing"], INTAKE["cuckooing"])
    expect(page.get_by_role("heading", name="Is this address already known?")).to_be_visible()
    audit.check(page, "check your answers with known premises")
    page.get_by_role("main").get_by_role("radio").first.check()
    page.get_by_role("button", name="Submit concern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Concern raised")
    audit.assert_clean()


def test_the_auditors_workspace(new_page, people, casebook):
    audit = AxeAudit()
    case = casebook.cases["cse"]
    page = new_page(people["auditor"])
    visit(page, audit, "audit log", "/audit/")
    visit(page, audit, "audit log (search results)", f"/audit/?reference={case.reference}")
    screenshot(page, "audit-search")
    visit(page, audit, "audit log with errors", "/audit/?date_from=not-a-date", 400)
    visit(page, audit, "case audit timeline", f"/audit/cases/{case.reference}/")
    screenshot(page, "audit-case-timeline")
    visit(
        page,
        audit,
        "case audit timeline, views hidden",
        f"/audit/cases/{case.reference}/?views=hide",
    )
    visit(page, audit, "case chronology", f"/audit/cases/{case.reference}/chronology/")
    visit(page, audit, "person chronology", f"/audit/people/{casebook.person.pk}/chronology/")
    visit(page, audit, "refused requests", "/audit/?action=access.denied")
    audit.assert_clean()


def test_the_administrators_pages(new_page, people, casebook):
    audit = AxeAudit()
    lead = people["lead"]
    page = new_page(people["administrator"])
    visit(page, audit, "people", "/staff/people/")
    screenshot(page, "people")
    visit(page, audit, "add a member of staff", "/staff/people/new/")
    submit_empty(page, audit, "add a member of staff with errors", "Add and send a password link")
    visit(page, audit, "member of staff", f"/staff/people/{lead.pk}/")
    worker = people["frontline"]
    worker.email = "frontline.north@council.example"
    worker.save()
    page.goto(f"/staff/people/{worker.pk}/reset-password/")
    page.get_by_label("Why are you making this change?").fill("Forgot it.")
    page.get_by_role("button", name="Send a reset link").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    audit.check(page, "member of staff with their history")
    visit(page, audit, "change role and teams", f"/staff/people/{lead.pk}/change/")
    submit_empty(page, audit, "change role and teams with errors", "Save changes")
    for action, button in (("deactivate", "Deactivate"), ("reset-password", "Send a reset link")):
        visit(page, audit, f"person: {action}", f"/staff/people/{lead.pk}/{action}/")
        submit_empty(page, audit, f"person: {action} with errors", button)
    approval = StaffApproval.objects.create(
        user=people["frontline"], role="auditor", cleared=False, team_ids=[],
        reason="Audit secondment.", requested_by=people["lead"], requested_at=timezone.now(),
    )  # fmt: skip
    visit(page, audit, "people with a change waiting", "/staff/people/")
    visit(page, audit, "approve a change", f"/staff/approvals/{approval.pk}/")
    submit_empty(page, audit, "approve a change with errors", "Save decision")
    visit(page, audit, "teams", "/staff/teams/")
    visit(page, audit, "add a team", "/staff/teams/new/")
    submit_empty(page, audit, "add a team with errors", "Save")
    partner = casebook.referral.partner
    visit(page, audit, "partner agencies", "/staff/partners/")
    visit(page, audit, "change a partner", f"/staff/partners/{partner.pk}/")
    visit(page, audit, "add a partner", "/staff/partners/new/")
    submit_empty(page, audit, "add a partner with errors", "Save")
    visit(page, audit, "response time", f"/staff/partners/{partner.pk}/response-time/")
    submit_empty(page, audit, "response time with errors", "Save")
    visit(page, audit, "bank holidays", "/staff/bank-holidays/")
    visit(page, audit, "add a bank holiday", "/staff/bank-holidays/new/")
    submit_empty(page, audit, "add a bank holiday with errors", "Save")
    visit(page, audit, "timescales", "/staff/timescales/")
    visit(page, audit, "change a timescale", "/staff/timescales/modern_slavery/rg_decision/")
    submit_empty(page, audit, "change a timescale with errors", "Save")
    visit(
        new_page(people["lead"]),
        audit,
        "forbidden (lead on the staff pages)",
        "/staff/people/",
        403,
    )
    stranger = new_page()
    uid = urlsafe_base64_encode(force_bytes(lead.pk))
    link = f"/staff/set-password/{uid}/{default_token_generator.make_token(lead)}/"
    visit(stranger, audit, "choose a password", link)
    stranger.get_by_role("button", name="Set password").click()
    audit.check(stranger, "choose a password with errors")
    visit(stranger, audit, "link expired", "/staff/set-password/MQ/not-a-token/", 400)
    audit.assert_clean()


def test_footage_request_pages(new_page, people):
    from datetime import timedelta

    from django.utils import timezone

    from footage.models import Camera
    from footage.services import footage_request_create

    audit = AxeAudit()
    Camera.objects.create(camera_id="CAM-001", location="High Street", retention_days=31)
    request = footage_request_create(
        actor=people["frontline"], requester_type="police", requester_name="PC 1234 Shah",
        incident_reference="NP/1", camera_ids=["CAM-001"],
        window_start=timezone.now() - timedelta(days=2),
        window_end=timezone.now() - timedelta(days=2, hours=-1), reason="Robbery.",
    )  # fmt: skip
    page = new_page(people["frontline"])
    visit(page, audit, "footage requests", "/footage/")
    visit(page, audit, "ask for footage", "/footage/new/")
    submit_empty(page, audit, "ask for footage with errors", "Ask for CCTV footage")
    visit(page, audit, "camera register", "/footage/cameras/")
    lead = new_page(people["lead"])
    visit(lead, audit, "footage request", f"/footage/{request.pk}/")
    visit(lead, audit, "decide a footage request", f"/footage/{request.pk}/decide/")
    submit_empty(lead, audit, "decide with errors", "Decide the request")
    audit.assert_clean()


def test_report_pages(new_page, people, casebook):
    """The reports (issue 21) as a lead (exact numbers, drill-down to their cases) and as
    a partnership analyst (suppressed, no case), and the choices in their error state."""
    from reports.figures import reporting_year_of

    audit = AxeAudit()
    year = reporting_year_of(timezone.localdate())
    today = timezone.localdate().isoformat()
    period = f"start={year}-01-01&end={today}"
    pages = [
        ("reports", "/reports/"),
        ("Community Trigger return", f"/reports/community-trigger/?year={year}"),
        ("case statistics", f"/reports/case-statistics/?{period}&as_at={today}"),
        ("emerging risks", f"/reports/emerging-risks/?{period}"),
    ]
    for role in ("lead", "analyst"):
        page = new_page(people[role])
        for name, path in pages:
            visit(page, audit, f"{name} ({role})", path)
    analyst = new_page(people["analyst"])
    visit(analyst, audit, "home (analyst)", "/")
    visit(analyst, audit, "forbidden (analyst in the case list)", "/cases/", 403)
    lead = new_page(people["lead"])
    visit(
        lead, audit, "case statistics with errors",
        f"/reports/case-statistics/?start={today}&end={year - 1}-01-01&as_at=", 400,
    )  # fmt: skip
    visit(
        lead,
        audit,
        "Community Trigger return with errors",
        "/reports/community-trigger/?year=x",
        400,
    )
    cases = f"/reports/community-trigger/cases/?year={year}"
    visit(lead, audit, "the cases behind a figure", f"{cases}&figure=applications_received")
    visit(lead, audit, "the cases behind a figure, with errors", f"{cases}&figure=x", 400)
    audit.assert_clean()


def test_two_factor_sign_in_and_sign_in_security_pages(new_page, people, settings):
    """Setting up an app after the password (with errors), the recovery codes, the
    account's sign-in security and API tokens pages; then the code and recovery-code
    pages of someone with an app (with errors), as a keyboard user meets them."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    audit = AxeAudit()
    page = new_page()
    page.goto("/sign-in/")
    page.get_by_label("Username").fill("lead.north")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    audit.check(page, "set up two-factor sign-in")
    submit_empty(page, audit, "set up two-factor sign-in with errors", "Continue")
    key = page.locator("[data-section=manual-key] code").inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_for_key(key))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is set up")
    audit.check(page, "recovery codes")
    api_token_issue(user=people["lead"], name="Reporting laptop")
    visit(page, audit, "sign-in security", reverse("account-two-factor"))
    visit(page, audit, "API tokens", reverse("account-api-tokens"))

    totp_device(people["auditor"])
    other = new_page()
    other.goto("/sign-in/")
    other.get_by_label("Username").fill("auditor")
    other.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    audit.check(other, "two-factor code")
    submit_empty(other, audit, "two-factor code with errors", "Continue")
    other.get_by_text("I cannot use my authenticator app").click()
    other.get_by_role("link", name="Use a recovery code").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Enter a recovery code")
    audit.check(other, "recovery code")
    audit.assert_clean()


def code_for_key(key_text: str) -> str:
    """What an app given the key typed in from the page shows now."""
    totp = TOTP(base64.b32decode(key_text.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"
