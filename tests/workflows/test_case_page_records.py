"""The case page shows the lists steps append to (disclosures, reopenings, the closure
order's reviews) in words: labels, choice labels and dates as the rest of the page
writes them, never the stored codes (issue 15)."""

from __future__ import annotations

import re

import pytest

from tests.samples import LAWFUL_BASIS_STEP
from tests.workflows.test_cuckooing import at, freeze, issue, make_order, raise_case, step

pytestmark = pytest.mark.django_db


def rows(page: str, heading: str) -> str:
    """The summary-list value that follows ``heading``."""
    found = re.search(rf"{re.escape(heading)}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert found, heading
    return found.group(1)


def test_disclosures_and_order_reviews_are_in_words(client, frontline, lead, monkeypatch):
    freeze(monkeypatch, at(2026, 3, 2, 12))
    case = step(raise_case(frontline), lead, "submit_concern", submitted_on="2026-03-02",
                **LAWFUL_BASIS_STEP)  # fmt: skip
    case = issue(case, lead, at(2026, 3, 2, 8), at(2026, 3, 2, 8))
    case = step(case, lead, "apply_for_closure_order")
    case = make_order(case, lead, "2026-03-02", 3)
    case = step(case, lead, "review_order_in_force", review_on="2026-03-02",
                review_notes="Visitors have stopped.")  # fmt: skip
    client.force_login(lead)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    disclosures = rows(page, "Disclosures (lawful basis of each)")
    assert "Step: Submit the safeguarding concern to adult social care" in disclosures
    assert "Lawful basis (UK GDPR Art 6): Art 6(1)(e): public task" in disclosures
    assert "DPA 2018 Sch. 1 para 18: safeguarding of children and adults at risk" in disclosures
    assert "Authorised: 2 March 2026 at midday" in disclosures
    assert "Authorised by: lead.north" in disclosures
    reviews = rows(page, "Reviews of the closure order")
    assert "Date of the review: 2 March 2026" in reviews
    assert "What the review found: Visitors have stopped." in reviews
    for code in ("uk_gdpr_6_1_e", "dpa_2018_sch1_para18", "2026-03-02", "submit_concern;"):
        assert code not in disclosures + reviews, code
