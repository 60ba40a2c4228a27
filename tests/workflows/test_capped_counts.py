"""Counts that stop (casework/counting.py): the case list and the cases API count
exactly up to a cap past the page asked for, then say "more than", and never count
what they do not show."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import audit_views, counting
from casework.models import Case
from casework.roles import Role
from casework.search_index import search_index_update
from tests.workflows.walker import default_raise
from workflows import list_views, modern_slavery
from workflows.api import Pagination


@pytest.fixture
def seven(make_user, monkeypatch):
    monkeypatch.setattr(counting, "COUNT_CAP", 5)
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(Pagination, "page_size", 2)
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    raise_one = default_raise(modern_slavery.WORKFLOW, frontline)
    cases = [raise_one({"summary": f"Concern {n}."}) for n in range(7)]
    return lead, cases


def page_text(client, user, **params) -> str:
    client.force_login(user)
    response = client.get("/cases/", params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_list_counts_up_to_the_cap_then_says_more_than(client, seven):
    lead, _ = seven
    first = page_text(client, lead)
    assert "Showing 1 to 2 of more than 5 cases" in first
    assert "<title>Cases (page 1)" in first  # no "of N": the pages are not all counted
    assert 'href="?page=4"' in first  # the page after the counted ones is offered
    # Further on, it counts as far as the page asked for, and exactly at the end.
    assert "Showing 5 to 6 of more than 6 cases" in page_text(client, lead, page=3)
    last = page_text(client, lead, page=4)
    assert "Showing 7 to 7 of 7 cases" in last
    assert "<title>Cases (page 4 of 4)" in last


@pytest.mark.django_db
def test_the_count_is_one_bounded_statement(client, seven):
    lead, _ = seven
    client.force_login(lead)
    with CaptureQueriesContext(connection) as captured:
        client.get("/cases/")
    counts = [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT COUNT(*)") and "casework_case" in q["sql"]
    ]
    assert len(counts) == 1
    assert "LIMIT 6" in counts[0]
    assert "workflows_deadline" not in counts[0]  # what a row shows is not counted


@pytest.mark.django_db
def test_the_api_says_when_its_count_is_capped(client, seven):
    lead, _ = seven
    client.force_login(lead)
    body = client.get("/api/v1/cases/").json()
    assert body["count"] == 5
    assert body["count_capped"] is True
    assert body["next"].endswith("page=2")
    last = client.get("/api/v1/cases/", {"page": 4}).json()
    assert last["count"] == 7
    assert last["count_capped"] is False
    assert len(last["results"]) == 1
    narrow = client.get("/api/v1/cases/", {"q": "concern 3"}).json()
    assert narrow["count"] == 1
    assert narrow["count_capped"] is False


def test_count_text():
    assert counting.count_text(1000, True) == "more than 1,000"
    assert counting.count_text(23, False) == "23"


@pytest.mark.django_db
def test_the_auditors_search_counts_up_to_the_cap(client, seven, make_user, monkeypatch):
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    auditor = make_user("auditor", Role.AUDITOR, [])
    client.force_login(auditor)
    html = client.get("/audit/", {"action": "case.raised"}).content.decode()
    assert "Showing 1 to 2 of more than 5 events" in html


def _counts(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT COUNT(*)") and "casework_case" in q["sql"]
    ]


@pytest.mark.django_db
def test_a_first_page_that_is_the_only_one_is_not_counted(client, seven):
    """The first page is read first: when it is not full it is the only page, and how
    many there are is how many it shows, with no count statement; a full first page is
    still counted, so the pages after it are offered, and so is any later page."""
    lead, _ = seven
    client.force_login(lead)
    with CaptureQueriesContext(connection) as captured:
        narrow = client.get("/api/v1/cases/", {"q": "concern 3"}).json()
        narrow_html = client.get("/cases/", {"q": "concern 3"}).content.decode()
    assert _counts(captured) == []
    assert (narrow["count"], narrow["count_capped"], narrow["next"]) == (1, False, None)
    assert re.search(r"data-case-count role=\"status\">\s*1 case\s*</p>", narrow_html)

    with CaptureQueriesContext(connection) as captured:
        full = client.get("/api/v1/cases/").json()
        last = client.get("/api/v1/cases/", {"page": 4}).json()
    assert len(_counts(captured)) == 2
    assert (full["count"], full["count_capped"], full["next"].endswith("page=2")) == (5, True, True)
    assert (last["count"], last["count_capped"], len(last["results"])) == (7, False, 1)


@pytest.mark.django_db
def test_nothing_found_is_one_empty_page_and_a_page_past_the_end_is_refused(client, seven):
    lead, _ = seven
    client.force_login(lead)
    with CaptureQueriesContext(connection) as captured:
        none = client.get("/api/v1/cases/", {"q": "nobody by this name"}).json()
        page = client.get("/cases/", {"q": "nobody by this name"})
    assert _counts(captured) == []
    assert (none["count"], none["results"], none["next"]) == (0, [], None)
    assert page.status_code == 200
    # Past the end: the API's 404, the page's last page (Paginator.get_page), each
    # decided by a count; a page number that is none is the API's 400 and the first page.
    assert client.get("/api/v1/cases/", {"page": 9}).status_code == 404
    assert "Showing 7 to 7 of 7 cases" in client.get("/cases/", {"page": 9}).content.decode()
    assert client.get("/api/v1/cases/", {"page": "2.5"}).status_code == 400
    assert "Showing 1 to 2 of more than 5" in client.get("/cases/", {"page": "x"}).content.decode()


def _page_reads(captured) -> list[str]:
    """The statements reading cases, but for the one reading the people and premises of
    the page's cases, to say what the search found in each (``case_search_found``)."""
    return [
        q["sql"]
        for q in captured
        if 'FROM "casework_case"' in q["sql"] and '"casework_premises"."address"' not in q["sql"]
    ]


@pytest.mark.django_db
def test_a_searchs_full_first_page_is_counted_by_its_own_rows(client, seven):
    """A search sorted otherwise than newest first has its matches all read and sorted to
    find its page, so that statement counts them too (casework.counting.with_total); newest
    first, its matches' ids come in the list's order and count it (paged_by_ids). Either
    way a full first page sends no count of its own, and says the same as a count would,
    capped and exact, page and API; newest first, a later page is counted by its ids."""
    lead, _ = seven
    client.force_login(lead)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/cases/", {"q": "concern", "sort": "reference", "order": "asc"})
    assert "Showing 1 to 2 of more than 5 cases" in first.content.decode()
    statements = _page_reads(captured)
    assert len(statements) == 1
    assert "OVER ()" in statements[0]
    assert not _counts(captured)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/cases/", {"q": "concern"})
    assert "Showing 1 to 2 of more than 5 cases" in first.content.decode()
    statements = _page_reads(captured)
    assert len(statements) == 1
    assert "OVER ()" not in statements[0]
    assert not _counts(captured)
    body = client.get("/api/v1/cases/", {"q": "concern"}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (5, True, 2)
    # Under the cap the count is exact; a later page is counted first, as before.
    counting_cap = counting.COUNT_CAP
    try:
        counting.COUNT_CAP = 100
        body = client.get("/api/v1/cases/", {"q": "concern"}).json()
        assert (body["count"], body["count_capped"]) == (7, False)
    finally:
        counting.COUNT_CAP = counting_cap
    with CaptureQueriesContext(connection) as captured:
        later = client.get("/api/v1/cases/", {"q": "concern", "page": 4}).json()
    assert (later["count"], len(later["results"])) == (7, 1)
    assert not _counts(captured)
    with CaptureQueriesContext(connection) as captured:
        later = client.get("/cases/", {"q": "concern", "sort": "reference", "page": 4})
    assert "Showing 7 to 7 of 7 cases" in later.content.decode()
    assert _counts(captured)


@pytest.mark.django_db
def test_the_plain_list_is_not_counted_by_a_window(client, seven):
    """The case list without a search reads its page from an index, not every case:
    a window over its rows would read the team's every case, so it is counted apart."""
    lead, _ = seven
    client.force_login(lead)
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/cases/")
    assert not [q for q in captured if "OVER ()" in q["sql"]]
    assert _counts(captured)


@pytest.mark.django_db
def test_the_api_pages_a_search_matching_more_than_its_ids_without_counting(
    client, seven, monkeypatch
):
    """A search that matches more than the ids it reads (an auditor's common surname
    county-wide): the ids are its first rows and more than the cap, so its first page is
    read by them and says "more than" without a count; a page past them is counted and
    read through the list's query (workflows/case_search.py)."""
    from workflows import case_search

    lead, cases = seven
    monkeypatch.setattr(case_search, "MATCHED_IDS_LIMIT", 5)  # 6 ids read of 7
    client.force_login(lead)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/api/v1/cases/", {"q": "concern"}).json()
    assert _counts(captured) == []
    assert (first["count"], first["count_capped"]) == (5, True)
    assert "page=2" in first["next"]
    newest = [c.reference for c in sorted(cases, key=lambda c: (c.raised_at, c.pk))][::-1]
    assert [row["reference"] for row in first["results"]] == newest[:2]
    with CaptureQueriesContext(connection) as captured:
        last = client.get("/api/v1/cases/", {"q": "concern", "page": 4}).json()
    assert len(_counts(captured)) == 1
    assert (last["count"], last["count_capped"], last["next"]) == (7, False, None)
    assert [row["reference"] for row in last["results"]] == newest[6:]


@pytest.mark.django_db
def test_an_auditors_search_paged_by_its_ids_reads_no_more_than_prove_more_than_the_cap(
    client, seven, make_user, monkeypatch
):
    """An auditor's search of every team's cases, in the list's default order with no
    filter, reads its first ``FIRST_IDS_LIMIT + 1`` ids (this year's before earlier
    years'), enough for its first pages and to say "more than" the cap; filtered or
    sorted, it reads as many ids as any search, to filter or sort them all."""
    from workflows import case_search

    _, cases = seven
    auditor = make_user("auditor", Role.AUDITOR, [])
    monkeypatch.setattr(case_search, "FIRST_IDS_LIMIT", 5)  # the cap, as in service
    older = cases[:3]
    Case.objects.filter(pk__in=[c.pk for c in older]).update(
        raised_at=timezone.now() - timedelta(days=800)
    )
    search_index_update([c.pk for c in cases])
    newest = [c.reference for c in Case.objects.order_by("-raised_at", "-pk")]
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/api/v1/cases/", {"q": "concern"}).json()
    assert _counts(captured) == []
    assert (first["count"], first["count_capped"]) == (5, True)
    assert [row["reference"] for row in first["results"]] == newest[:2]
    ids_read = [q["sql"] for q in captured if "casework_casesearchentry" in q["sql"]]
    assert len(ids_read) == 3  # this year's 4, last year's none, the older 3: 6 in all
    assert all("LIMIT 6" in sql for sql in ids_read)
    last = client.get("/api/v1/cases/", {"q": "concern", "page": 4}).json()
    assert (last["count"], last["count_capped"], last["next"]) == (7, False, None)
    assert [row["reference"] for row in last["results"]] == newest[6:]
    # Sorted otherwise, every match's ids are read (at most MATCHED_IDS_LIMIT + 1).
    with CaptureQueriesContext(connection) as captured:
        by_reference = client.get("/cases/", {"q": "concern", "sort": "reference"})
    assert by_reference.status_code == 200
    assert "Showing 1 to 2 of more than 5 cases" in by_reference.content.decode()
    assert any(
        f"LIMIT {case_search.MATCHED_IDS_LIMIT + 1}" in q["sql"]
        for q in captured
        if "casework_casesearchentry" in q["sql"] and "ORDER BY" in q["sql"]
    )
