"""axe-core on the performance indicator pages and the committee pack (issue 21), as the
people who use them, forms in their error state too; and the committee pack's screenshot
(docs/screenshots/committee-pack.png) on demo-like figures."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from reports.indicator_services import indicator_save
from reports.indicators import months_ending
from reports.models import IndicatorValue
from tests.browser.support import AxeAudit, needs_chromium, screenshot, status_of

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

# The month the casebook's cases are raised in, so that the pack's figures count them.
PERIOD = timezone.localdate().replace(day=1)
# code, name, unit, target, better, per district a month (the year before, this year)
DEMO_INDICATORS = [
    ("ASB1", "Police-recorded anti-social behaviour incidents", "count", 9000, "lower",
     {"Corby": (247, 207), "East Northamptonshire": (180, 171), "Kettering": (260, 248),
      "Wellingborough": (205, 214)}),
    ("VIO1", "Violence against the person offences", "count", 7400, "lower",
     {"Corby": (160, 152), "East Northamptonshire": (118, 121), "Kettering": (170, 158),
      "Wellingborough": (150, 149)}),
    ("CC1", "Confidence that the police and council deal with anti-social behaviour",
     "percent", 60, "higher",
     {"Corby": (55.0, 58.5), "East Northamptonshire": (61.0, 60.2), "Kettering": (57.5, 57.9),
      "Wellingborough": (56.0, 57.1)}),
    ("IPV2", "Repeat victims of domestic abuse", "percent", 28, "lower",
     {"Corby": (31.0, 29.4), "East Northamptonshire": (27.0, 28.1), "Kettering": (30.5, 30.2),
      "Wellingborough": (29.0, 31.6)}),
]  # fmt: skip


def seed_indicators(actor) -> None:
    """Four indicators with 24 months of values for each district, a little noise each
    month (the same every run)."""
    rng = random.Random(21)
    for code, name, unit, target, better, by_district in DEMO_INDICATORS:
        indicator = indicator_save(
            actor=actor,
            data={
                "code": code, "name": name, "unit": unit, "target": Decimal(target),
                "direction": better, "amber_tolerance_percent": Decimal(5),
                "breakdown": "district", "source": "",
            },
        )  # fmt: skip
        months = months_ending(PERIOD, 24)
        for district in settings.SAFECASE_DISTRICTS:
            before, now = by_district[district]
            for n, month in enumerate(months):
                base = before if n < 12 else now
                noise = rng.uniform(-0.06, 0.06) * base
                value = Decimal(str(round(base + noise, 1 if unit == "percent" else 0)))
                IndicatorValue.objects.create(
                    indicator=indicator, month=month, area=district, value=value,
                    entered_by=actor,
                )  # fmt: skip


def test_report_pages_are_accessible_and_the_pack_is_pictured(new_page, people, casebook):
    analyst = people["analyst"]
    seed_indicators(analyst)
    indicator_save(
        actor=analyst,
        data={
            "code": "CUC1", "name": "Cuckooing concerns raised", "unit": "count",
            "target": Decimal(6), "direction": "higher", "amber_tolerance_percent": 5,
            "breakdown": "team", "source": "cuckooing_concerns",
        },
    )  # fmt: skip
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
