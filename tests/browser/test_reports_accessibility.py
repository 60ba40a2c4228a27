"""axe-core on the performance indicator pages and the committee pack (issue 21), as the
people who use them, forms in their error state too; and the committee pack's screenshot
(docs/screenshots/committee-pack.png) on demo-like figures."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.demo import demo_indicators_seed
from tests.browser.support import AxeAudit, needs_chromium, screenshot, status_of

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

# The month the casebook's cases are raised in, so that the pack's figures count them.
PERIOD = timezone.localdate().replace(day=1)


def test_report_pages_are_accessible_and_the_pack_is_pictured(new_page, people, casebook):
    analyst = people["analyst"]
    assert demo_indicators_seed(analyst, PERIOD) == 4 * 4 * 24  # indicators, districts, months
    audit = AxeAudit()
    period = f"?period={PERIOD:%Y-%m}"

    page = new_page(people["auditor"])
    assert status_of(page, f"/reports/committee-pack/{period}") == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Community Safety Partnership")
    audit.check(page, "committee pack (auditor)")
    screenshot(page, "committee-pack")
    page.emulate_media(media="print")
    audit.check(page, "committee pack (print)")
    page.emulate_media(media="screen")

    for who in ("lead", "auditor"):
        page = new_page(people[who])
        assert status_of(page, f"/reports/indicators/{period}") == 200
        audit.check(page, f"indicators ({who})")
        assert status_of(page, f"/reports/indicators/ASB1/{period}") == 200
        audit.check(page, f"indicator ASB1 ({who})")
        assert status_of(page, f"/reports/indicators/CUC1/{period}") == 200
        audit.check(page, f"indicator CUC1 ({who})")
    assert status_of(page, "/reports/committee-pack/?period=March") == 400
    audit.check(page, "committee pack with a bad period")

    page = new_page(analyst)
    assert status_of(page, f"/reports/committee-pack/{period}") == 200
    audit.check(page, "committee pack (analyst)")
    assert status_of(page, "/reports/indicators/manage/") == 200
    audit.check(page, "manage indicators")
    assert status_of(page, "/reports/indicators/manage/ASB1/edit/") == 200
    audit.check(page, "change an indicator")
    assert status_of(page, "/reports/indicators/manage/new/") == 200
    page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    audit.check(page, "define an indicator with errors")
    assert status_of(page, "/reports/indicators/manage/values/") == 200
    page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    audit.check(page, "enter a value with errors")
    assert status_of(page, "/reports/indicators/manage/upload/") == 200
    audit.check(page, "upload values")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "values.csv", "mimeType": "text/csv",
                "buffer": b"indicator,month,area,value\nASB1,2026-13,Oz,x\n"}]
    )  # fmt: skip
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_role("table", name="Problems in the file")).to_contain_text("Oz")
    audit.check(page, "upload values with errors")
    audit.assert_clean()
