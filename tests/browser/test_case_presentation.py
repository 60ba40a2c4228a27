"""The case page in a real browser at 320 px (issue 19, point 9): one green button, a
paused clock that says what it keeps instead of a due date, and references that never
break across lines, on the case page, the case list and the home page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import needs_chromium

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 320, "height": 800}
PRIMARY = (
    "main .govuk-button:not(.govuk-button--secondary):not(.govuk-button--warning)"
    ":not(.govuk-button--start)"
)


def broken_references(page: Any) -> list[str]:
    """The references on the page drawn on more than one line."""
    return page.eval_on_selector_all(
        ".app-reference",
        # An inline box broken across lines has one rectangle per line.
        "els => els.filter(el => el.getClientRects().length > 1).map(el => el.textContent)",
    )


def test_case_pages_on_a_phone_have_one_green_button_and_whole_references(
    new_page, people, casebook
):
    for case_type, case in sorted(casebook.cases.items()):
        who = people["prevent_lead"] if case_type == "prevent" else people["lead"]
        page = new_page(who)
        page.set_viewport_size(PHONE)
        page.goto(f"/cases/{case.reference}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
        assert page.locator(PRIMARY).count() <= 1, case_type
        references = page.locator(".app-reference")
        assert references.count() >= 2, case_type  # the heading and the summary
        assert broken_references(page) == [], case_type
        page.close()


def test_a_paused_clock_on_a_phone_says_what_it_keeps(new_page, people, casebook):
    page = new_page(people["lead"])
    page.set_viewport_size(PHONE)
    page.goto(f"/cases/{casebook.cases['cse'].reference}/")
    row = page.locator(f'[data-deadline="{casebook.paused_clock.pk}"]')
    expect(row).to_contain_text("Paused, ")
    expect(row).to_contain_text("left")


def test_references_in_lists_on_a_phone_are_whole(new_page, people, casebook):
    page = new_page(people["lead"])
    page.set_viewport_size(PHONE)
    for url in ("/cases/", "/"):
        page.goto(url)
        assert page.locator(".app-reference").count() >= 1, url
        assert broken_references(page) == [], url
