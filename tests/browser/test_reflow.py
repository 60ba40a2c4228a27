"""Every page type on a phone and zoomed in (issue 19, point 6; WCAG 2.2 1.4.10 Reflow and
1.4.4 Resize text), what axe-core cannot see.

Two sizes, both drawn at a device scale factor of 2:

- a phone, 320 CSS pixels wide (which is also what a 1280 pixel wide screen shows at 400%
  zoom, the width WCAG 1.4.10 names);
- 200% zoom on a 1280 x 800 screen. Browser zoom divides the viewport's CSS width by the
  zoom factor, so it is emulated exactly as a 640 x 400 CSS pixel viewport drawn at a
  device scale factor of 2 (1280 x 800 device pixels): the same media queries match and the
  same layout is drawn as when a person presses Ctrl and + twice on a 1280 pixel screen.

On each page, for each role's pages (the page list of test_accessibility.py, with its
data from data.py, and long unbroken strings: an email address, a checksum): the page is
no wider than the window (``document.documentElement.scrollWidth <= window.innerWidth``; a
wide table scrolls in its own focusable region instead), and nothing fixed or absolutely
positioned covers the main content's first heading or the search box
(``document.elementFromPoint`` at the centre of each is the element itself or inside it).
To stay quick (one page load for both sizes), one browser context loads each page at
320 px, checks it, resizes the window to 640 x 400 and checks it again, and is signed in
as each role in turn by swapping its session cookie.

The case list's filter follows MOJ Frontend's pattern below desktop widths: hidden behind a
"Show filter" toggle, and shown inline above the search box (never as an overlay); without
JavaScript it is shown inline with no toggle. The phone screenshot
(docs/screenshots/case-list-phone.png) is taken here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from casework.api_tokens import api_token_issue
from casework.models import StaffApproval
from casework.permissions import named_case_types
from reports.demo import demo_indicators_seed
from reports.figures import reporting_year_of
from tests.browser.support import SCREENSHOTS, needs_chromium, session_cookie
from workflows.registry import WORKFLOWS, get_workflow

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

# CSS pixel viewports, drawn at a device scale factor of 2 (as a phone's screen is).
SIZES = {
    "320 px wide": {"width": 320, "height": 640},
    "1280 px at 200% zoom": {"width": 640, "height": 400},
}
LONG_EMAIL = "safeguarding.duty.lead.north.locality@northtown-borough-council.example"
LONG_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

# What is wrong with the page as drawn now: how much wider than the window it is (and the
# innermost elements that stick out of it, outside any scroll container), and which of the
# main heading and the search box something else covers at its centre.
_REFLOW_PROBLEMS = """() => {
  const width = window.innerWidth;
  const problems = [];
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {
    // Inside a scroll container the element scrolls there, unless it is positioned out of
    // it: an absolutely positioned element is clipped only by its containing block and
    // the containers around that, a fixed one by none.
    const clipped = (el) => {
      const position = getComputedStyle(el).position;
      if (position === 'fixed') return false;
      const start = position === 'absolute' ? el.offsetParent : el.parentElement;
      for (let a = start; a && a !== document.body; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
      }
      return false;
    };
    // Elements sticking out of the window, or whose own text sticks out of them.
    const wide = [...document.body.querySelectorAll('*')].filter((el) => {
      const r = el.getBoundingClientRect();
      const out = r.right > width + 0.5 || r.left < -0.5;
      const spills = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 &&
                     getComputedStyle(el).overflowX === 'visible';
      return r.width > 0 && (out || spills) && !clipped(el);
    });
    const innermost = wide.filter((el) => !wide.some((o) => o !== el && el.contains(o)));
    const describe = (el) => {
      const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
      const names = typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [];
      const cls = names.filter(Boolean).map((n) => '.' + n).join('');
      return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
    };
    problems.push(`the page is ${scrollWidth} px wide in a ${width} px window: ` +
                  innermost.slice(0, 4).map(describe).join(', '));
  }
  // The main content: <main>, or the whole of a page without one (the referral's print view).
  const main = document.querySelector('main') || document.body;
  const heading = main.querySelector('h1');
  if (!heading) problems.push('there is no main heading (h1) to check');
  const targets = [['the main heading', heading],
                   ['the search box', main.querySelector('input[type=search]')]];
  for (const [what, el] of targets) {
    if (!el) continue;
    el.scrollIntoView({block: 'center', inline: 'nearest'});
    const r = el.getBoundingClientRect();
    const x = Math.max(0, Math.min(r.left + r.width / 2, width - 1));
    const y = Math.max(0, Math.min(r.top + r.height / 2, window.innerHeight - 1));
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === el || el.contains(hit))) {
      const by = hit ? `<${hit.tagName.toLowerCase()} class="${hit.className}">` : 'nothing';
      problems.push(`${what} is covered at its centre by ${by}`);
    }
  }
  window.scrollTo(0, 0);
  return problems;
}"""


def pages_by_role(people: dict[str, Any], casebook: Any) -> dict[str, list[tuple[str, str, int]]]:
    """Each role's page types (as test_accessibility.py visits them): (name, path, status)."""
    cases, cse = casebook.cases, casebook.cases["cse"]
    step = next(t.name for t in get_workflow("cse").transitions() if t.source == cse.state)
    clocks = f"/cases/{cse.reference}/deadlines"
    year = reporting_year_of(timezone.localdate())
    today = timezone.localdate().isoformat()
    period = f"start={year}-01-01&end={today}"
    month = f"period={timezone.localdate():%Y-%m}"
    lead = people["lead"]
    # Long unbroken strings, as real ones are: they wrap rather than widen the page.
    lead.email = LONG_EMAIL
    lead.save(update_fields=["email"])
    approval = StaffApproval.objects.create(
        user=people["frontline"], role="auditor", cleared=False, team_ids=[],
        reason="Audit secondment.", requested_by=lead, requested_at=timezone.now(),
    )  # fmt: skip
    api_token_issue(user=lead, name="Reporting laptop")
    uid = urlsafe_base64_encode(force_bytes(lead.pk))
    token = default_token_generator.make_token(lead)
    partner = casebook.referral.partner
    footage = footage_request(people)
    pages: dict[str, list[tuple[str, str, int]]] = {
        "": [
            ("sign-in", "/sign-in/", 200),
            ("accessibility statement", reverse("accessibility"), 200),
            ("page not found (signed out)", "/no-such-page/", 404),
            ("choose a password", f"/staff/set-password/{uid}/{token}/", 200),
            ("link expired", "/staff/set-password/MQ/not-a-token/", 400),
        ],
        "frontline": [
            ("home (frontline)", "/", 200),
            ("concern type", "/concerns/new/", 200),
            *[
                (f"intake form ({t})", f"/concerns/new/{t}/", 200)
                for t in WORKFLOWS
                if t not in named_case_types()  # a death for review is a lead's form
            ],
            ("Prevent case for its raiser", f"/cases/{cases['prevent'].reference}/", 200),
            ("forbidden", f"/cases/{cse.reference}/allocate/", 403),
            ("footage requests", "/footage/", 200),
            ("ask for footage", "/footage/new/", 200),
            ("camera register", "/footage/cameras/", 200),
        ],
        "lead": [
            ("home (lead)", "/", 200),
            ("case list", "/cases/", 200),
            ("case list (filtered)", "/cases/?case_type=cse", 200),
            ("case list (nothing found)", "/cases/?q=no-such-person-at-all", 200),
            ("triage queue", "/triage/", 200),
            ("triage queue (worked on)", "/triage/?tab=worked", 200),
            *[
                (f"case page ({t})", f"/cases/{c.reference}/", 200)
                for t, c in cases.items()
                if t != "prevent"
            ],
            ("transition form", f"/cases/{cse.reference}/actions/{step}/", 200),
            ("pause a clock", f"{clocks}/{casebook.open_clock.pk}/pause/", 200),
            ("resume a clock", f"{clocks}/{casebook.paused_clock.pk}/resume/", 200),
            ("allocate", f"/cases/{cse.reference}/allocate/", 200),
            ("who can read the case", f"/cases/{cse.reference}/access/", 200),
            ("person", f"/people/{casebook.person.pk}/", 200),
            ("person edit", f"/people/{casebook.person.pk}/edit/", 200),
            ("add a note", reverse("case-note-add", kwargs={"reference": cse.reference}), 200),
            ("referral type", f"/cases/{cse.reference}/referrals/new/", 200),
            ("referral form", f"/cases/{cse.reference}/referrals/new/mash_referral/", 200),
            ("referral", f"/referrals/{casebook.referral.pk}/", 200),
            ("referral print view", f"/referrals/{casebook.referral.pk}/print/", 200),
            ("notifications", reverse("notifications:notification-list"), 200),
            ("notification preferences", reverse("notifications:notification-preferences"), 200),
            ("workflows", reverse("workflows:workflow-list"), 200),
            ("workflow (cuckooing)", reverse("workflows:workflow-detail", args=["cuckooing"]), 200),
            ("footage request", f"/footage/{footage.pk}/", 200),
            ("decide a footage request", f"/footage/{footage.pk}/decide/", 200),
            ("reports", "/reports/", 200),
            ("Community Trigger return", f"/reports/community-trigger/?year={year}", 200),
            (
                "the cases behind a figure",
                f"/reports/community-trigger/cases/?year={year}&figure=applications_received",
                200,
            ),
            ("case statistics", f"/reports/case-statistics/?{period}&as_at={today}", 200),
            ("emerging risks", f"/reports/emerging-risks/?{period}", 200),
            ("indicators", f"/reports/indicators/?{month}", 200),
            ("indicator", f"/reports/indicators/ASB1/?{month}", 200),
            ("case statistics with errors", f"/reports/case-statistics/?start={today}&end=x", 400),
            ("sign-in security", reverse("account-two-factor"), 200),
            ("API tokens", reverse("account-api-tokens"), 200),
            ("page not found (signed in)", "/cases/SC-2026-999999/", 404),
        ],
        "prevent_lead": [
            ("home (Prevent lead)", "/", 200),
            ("case page (prevent)", f"/cases/{cases['prevent'].reference}/", 200),
        ],
        "auditor": [
            ("home (auditor)", "/", 200),
            ("audit log", "/audit/", 200),
            ("audit log (search results)", f"/audit/?reference={cse.reference}", 200),
            ("audit log with errors", "/audit/?date_from=not-a-date", 400),
            ("case audit timeline", f"/audit/cases/{cse.reference}/", 200),
            ("case chronology", f"/audit/cases/{cse.reference}/chronology/", 200),
            ("person chronology", f"/audit/people/{casebook.person.pk}/chronology/", 200),
            ("refused requests", "/audit/?action=access.denied", 200),
            ("committee pack", f"/reports/committee-pack/?{month}", 200),
        ],
        "administrator": [
            ("home (administrator)", "/", 200),
            ("people", "/staff/people/", 200),
            ("add a member of staff", "/staff/people/new/", 200),
            ("member of staff", f"/staff/people/{lead.pk}/", 200),
            ("change role and teams", f"/staff/people/{lead.pk}/change/", 200),
            ("send a reset link", f"/staff/people/{lead.pk}/reset-password/", 200),
            ("approve a change", f"/staff/approvals/{approval.pk}/", 200),
            ("teams", "/staff/teams/", 200),
            ("add a team", "/staff/teams/new/", 200),
            ("partner agencies", "/staff/partners/", 200),
            ("change a partner", f"/staff/partners/{partner.pk}/", 200),
            ("response time", f"/staff/partners/{partner.pk}/response-time/", 200),
            ("bank holidays", "/staff/bank-holidays/", 200),
            ("timescales", "/staff/timescales/", 200),
            ("change a timescale", "/staff/timescales/modern_slavery/rg_decision/", 200),
            ("reminders that reached nobody", reverse("workflows:reminders-unheard"), 200),
        ],
        "analyst": [
            ("home (analyst)", "/", 200),
            ("case statistics (analyst)", f"/reports/case-statistics/?{period}", 200),
            ("manage indicators", "/reports/indicators/manage/", 200),
            ("change an indicator", "/reports/indicators/manage/ASB1/edit/", 200),
            ("enter a value", "/reports/indicators/manage/values/", 200),
            ("upload values", "/reports/indicators/manage/upload/", 200),
        ],
    }
    return pages


def footage_request(people: dict[str, Any]) -> Any:
    from datetime import timedelta

    from footage.models import Camera
    from footage.services import footage_request_create

    Camera.objects.create(camera_id="CAM-001", location="High Street", retention_days=31)
    return footage_request_create(
        actor=people["frontline"], requester_type="police", requester_name="PC 1234 Shah",
        incident_reference="NP/1", camera_ids=["CAM-001"],
        window_start=timezone.now() - timedelta(days=2),
        window_end=timezone.now() - timedelta(days=2, hours=-1),
        reason=f"Robbery. Checksum of the export: {LONG_HASH}",
    )  # fmt: skip


def open_context(browser: Any, live_server: Any, size: dict[str, Any], **options: Any) -> Any:
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/London", **size, **options
    )
    context.set_default_timeout(10_000)
    return context


def test_no_page_is_wider_than_a_phone_or_covered_at_200_percent_zoom(
    browser, live_server, people, casebook
):
    demo_indicators_seed(people["analyst"], timezone.localdate().replace(day=1))
    # Signed in first: signing in changes the password link's token.
    roles = ("frontline", "lead", "prevent_lead", "auditor", "administrator", "analyst")
    cookies = {role: session_cookie(people[role], live_server.url) for role in roles}
    pages = pages_by_role(people, casebook)
    problems: list[str] = []
    checked = 0
    # One context for every page: each page is loaded once and checked at each size in turn
    # (the window resized, as a person rotating a phone or zooming does), signed in as each
    # role in turn by its session cookie.
    context = open_context(browser, live_server, {"device_scale_factor": 2})
    page = context.new_page()
    for role, role_pages in pages.items():
        context.clear_cookies()
        if role:
            context.add_cookies([cookies[role]])
        for name, path, status in role_pages:
            page.set_viewport_size(SIZES["320 px wide"])
            response = page.goto(path)
            assert response is not None, f"{name}: {path}"
            assert response.status == status, f"{name}: {path}"
            for size_name, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                checked += 1
                for problem in page.evaluate(_REFLOW_PROBLEMS):
                    problems.append(f"{name} ({path}) at {size_name}: {problem}")
    context.close()
    assert checked > 150
    assert not problems, "Pages that do not reflow:\n" + "\n".join(problems)


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def _covered(page: Any, locator: Any) -> bool:
    return not locator.evaluate(
        """el => {
          el.scrollIntoView({block: 'center'});
          const r = el.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return !!hit && (hit === el || el.contains(hit));
        }"""
    )


def test_the_case_list_filter_on_a_phone(browser, live_server, people, casebook):
    cookie = session_cookie(people["lead"], live_server.url)
    context = open_context(browser, live_server, {"viewport": {"width": 375, "height": 667}})
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto("/cases/")
    main = page.get_by_role("main")
    toggle = main.get_by_role("button", name="Show filter")
    filter_heading = main.get_by_role("heading", name="Filter", exact=True)
    search = main.get_by_role("searchbox")
    # Hidden behind the toggle at first; the search box and results are in view and free.
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).not_to_have_attribute("aria-haspopup", "true")  # a disclosure, not a menu
    expect(filter_heading).to_be_hidden()
    expect(main.get_by_role("button", name="Apply filters")).to_be_hidden()
    expect(search).to_be_visible()
    expect(main.get_by_role("link", name=casebook.cases["cse"].reference)).to_be_visible()
    assert not _covered(page, search)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(
        path=str(SCREENSHOTS / "case-list-phone.png"), full_page=True, animations="disabled",
        caret="hide",
    )  # fmt: skip

    # Shown, it is in the page above the search box, not laid over it.
    toggle.click()
    hide = main.get_by_role("button", name="Hide filter")
    expect(hide).to_have_attribute("aria-expanded", "true")
    expect(filter_heading).to_be_visible()
    assert _box(main.get_by_role("button", name="Apply filters"))["y"] < _box(search)["y"]
    assert not _covered(page, search)
    assert not _covered(page, filter_heading)
    assert page.evaluate(_REFLOW_PROBLEMS) == []
    # Filtering from the phone works and keeps the toggle.
    main.get_by_label("Type of concern").select_option("cse")
    main.get_by_role("button", name="Apply filters").click()
    expect(main.get_by_role("link", name=casebook.cases["cse"].reference)).to_be_visible()
    expect(main.get_by_role("link", name=casebook.cases["cuckooing"].reference)).to_have_count(0)
    expect(main.get_by_role("button", name="Show filter")).to_be_visible()
    # "Hide filter" hides it again.
    main.get_by_role("button", name="Show filter").click()
    main.get_by_role("button", name="Hide filter").click()
    expect(filter_heading).to_be_hidden()
    context.close()

    # Without JavaScript there is no toggle: the filter is in the page, above the search.
    context = open_context(
        browser, live_server, {"viewport": {"width": 320, "height": 640}},
        java_script_enabled=False,
    )  # fmt: skip
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto("/cases/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Filter", exact=True)).to_be_visible()
    expect(main.get_by_role("button", name="Show filter")).to_have_count(0)
    assert _box(main.get_by_role("button", name="Apply filters"))["y"] < _box(search_of(main))["y"]
    assert not _covered(page, search_of(main))
    context.close()

    # On a desktop the filter sits beside the results, with no toggle.
    context = open_context(browser, live_server, {"viewport": {"width": 1280, "height": 800}})
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto("/cases/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Filter", exact=True)).to_be_visible()
    expect(main.get_by_role("button", name="Show filter")).to_be_hidden()
    expect(main.get_by_role("button", name="Hide filter")).to_be_hidden()
    assert _box(main.get_by_role("button", name="Apply filters"))["x"] < _box(search_of(main))["x"]
    context.close()


def search_of(main: Any) -> Any:
    return main.get_by_role("searchbox")


def test_a_case_list_with_a_mistake_in_its_filters_shows_them_on_a_phone(
    browser, live_server, people, casebook
):
    """The error summary links to the filter's questions: on a phone the filter is shown."""
    context = open_context(browser, live_server, {"viewport": {"width": 320, "height": 640}})
    context.add_cookies([session_cookie(people["lead"], live_server.url)])
    page = context.new_page()
    page.goto("/cases/?case_type=no-such-type")
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(main.get_by_role("heading", name="Filter", exact=True)).to_be_visible()
    expect(main.get_by_role("button", name="Show filter")).to_have_count(0)
    page.get_by_role("alert").get_by_role("link").first.click()
    expect(main.get_by_label("Type of concern")).to_be_focused()
    assert page.evaluate(_REFLOW_PROBLEMS) == []
    context.close()
