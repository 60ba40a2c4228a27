"""The case list page (/cases/) and its selector (workflows/case_search.py): search,
filters, sorting, pagination that keeps them, errors for values not among the choices,
the audit event, and that nothing finds or orders a case by what its viewer may not see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.audit import AuditVerb
from casework.forms import CaseFilterForm
from casework.models import AuditEvent, Case, CasePersonRole, Premises
from casework.roles import Role
from casework.search_index import search_index_update
from casework.services import case_person_link, case_summary_update
from tests.workflows.walker import default_raise
from workflows import case_search, community_trigger, list_views, modern_slavery, prevent
from workflows.case_search import case_search_for_user
from workflows.models import Deadline, DeadlineStatus


def person(given: str, family: str, **more) -> dict:
    return {
        "subject_given_names": given,
        "subject_family_name": family,
        "subject_date_of_birth": "1990-01-01",
        "subject_estimated_age": None,
        **more,
    }


@pytest.fixture
def frontline(make_user):
    return make_user("frontline.north", Role.FRONTLINE, ["north"])


@pytest.fixture
def lead(make_user):
    return make_user("lead.north", Role.LEAD, ["north"])


@pytest.fixture
def prevent_lead(make_user):
    return make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", Role.AUDITOR, [])


@pytest.fixture
def frontline_south(make_user):
    return make_user("frontline.south", Role.FRONTLINE, ["south"])


def slavery(actor, summary: str = "Works at the car wash, is not paid.", **names):
    data = {"summary": summary, **person(**(names or {"given": "Maria", "family": "Kowalska"}))}
    return default_raise(modern_slavery.WORKFLOW, actor)(data)


def prevent_case(actor):
    data = {
        "summary": "Shares extremist videos with classmates.",
        "concerns": "Talks of travelling abroad.",
        **person("Daniel", "Hughes", subject_aliases="Danny Boy"),
    }
    return default_raise(prevent.WORKFLOW, actor)(data)


def html(client, user, **params) -> str:
    client.force_login(user)
    response = client.get("/cases/", params)
    assert response.status_code == 200
    return response.content.decode()


def rows(text: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row" data-reference="([^"]+)"', text)


# Search -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_finds_by_reference_summary_and_peoples_names(client, frontline, lead):
    maria = slavery(frontline, "Sleeps at the car wash.", given="Maria", family="Kowalska")
    jan = slavery(frontline, "Paid nothing at the nail bar.", given="Jan", family="Novak")
    assert rows(html(client, lead, q=maria.reference[-6:])) == [maria.reference]
    assert rows(html(client, lead, q=maria.reference.lower())) == [maria.reference]
    assert rows(html(client, lead, q="NAIL BAR")) == [jan.reference]
    assert rows(html(client, lead, q="kowal")) == [maria.reference]
    assert rows(html(client, lead, q="maria kowalska")) == [maria.reference]
    assert rows(html(client, lead, q="Kowalska Maria")) == [maria.reference]
    assert rows(html(client, lead, q="maria novak")) == []
    # Punctuation only separates words; nothing in a search is a pattern.
    assert rows(html(client, lead, q="car.wash")) == [maria.reference]
    assert rows(html(client, lead, q="%")) == []
    assert rows(html(client, lead, q=".*")) == []
    assert rows(html(client, lead, q="'|!:*")) == []
    assert "No cases match this search and these filters." in html(client, lead, q="zzz")


@pytest.mark.django_db
def test_search_finds_by_alias_only_where_the_case_is_seen_in_full(client, frontline, prevent_lead):
    case = prevent_case(frontline)
    assert rows(html(client, prevent_lead, q="danny")) == [case.reference]


@pytest.mark.django_db
def test_the_raiser_of_a_prevent_case_finds_it_by_reference_but_not_by_its_content(
    client, frontline, prevent_lead
):
    case = prevent_case(frontline)
    for q in ("Hughes", "Daniel", "danny", "extremist"):
        assert rows(html(client, frontline, q=q)) == [], q
        assert rows(html(client, prevent_lead, q=q)) == [case.reference], q
    found = html(client, frontline, q=case.reference)
    assert rows(found) == [case.reference]
    row = found.split(f'data-reference="{case.reference}"')[1].split("</tr>")[0]
    assert "Received" in row
    assert "Concern raised" not in row


def found(text: str, reference: str) -> str | None:
    """What the row of ``reference`` says the search found, or None."""
    row = text.split(f'data-reference="{reference}"')[1].split("</tr>")[0]
    said = re.search(r'<span class="app-found" data-found>([^<]*)</span>', row)
    return said.group(1) if said else None


@pytest.mark.django_db
def test_each_row_of_a_search_says_whom_and_what_it_found(client, frontline, lead):
    """Issue 18: whether a person or address is already known is read from the list."""
    maria = slavery(
        frontline, "Sleeps at the car wash.", given="Maria", family="Kowalska", subject_aliases=""
    )
    jan = slavery(
        frontline, "Paid nothing at the nail bar.", given="Jan", family="Novak", subject_aliases=""
    )
    novak = jan.case_people.get().person
    case_person_link(case=maria, actor=lead, person=novak, role=CasePersonRole.HOUSEHOLD_MEMBER)
    text = html(client, lead, q="kowalsca")  # sounds the same
    assert found(text, maria.reference) == "Found: Maria Kowalska (born 1 January 1990)"
    # Words matching two people: each is named; the other case names its one.
    text = html(client, lead, q="maria novak")
    assert rows(text) == [maria.reference]
    assert found(text, maria.reference) == (
        "Found: Maria Kowalska (born 1 January 1990); Jan Novak (born 1 January 1990)"
    )
    text = html(client, lead, q="novak")
    assert found(text, maria.reference) == "Found: Jan Novak (born 1 January 1990)"
    assert found(text, jan.reference) == "Found: Jan Novak (born 1 January 1990)"
    # By the summary or the reference: nothing said; and nothing on an unsearched list.
    assert found(html(client, lead, q="nail bar"), jan.reference) is None
    assert found(html(client, lead, q=jan.reference), jan.reference) is None
    assert "data-found" not in html(client, lead)


@pytest.mark.django_db
def test_a_search_names_the_premises_it_found_and_escapes_what_it_says(client, frontline, lead):
    case = slavery(frontline, given="<b>Zoë</b>", family="O'Brien", subject_aliases="")
    premises = Premises.objects.create(
        address="Flat 2, 171 Manor Road\nEastwick", postcode="RC29 4AL"
    )
    Case.objects.filter(pk=case.pk).update(premises=premises)
    search_index_update([case.pk])
    text = html(client, lead, q="rc29 4al")
    assert found(text, case.reference) == "Found: Flat 2, 171 Manor Road, RC29 4AL"
    text = html(client, lead, q="zoe obrien")
    assert found(text, case.reference) == (
        "Found: &lt;b&gt;Zoë&lt;/b&gt; O&#x27;Brien (born 1 January 1990)"
    )


@pytest.mark.django_db
def test_a_case_known_only_as_received_says_nothing_found(client, frontline, prevent_lead):
    case = prevent_case(frontline)
    assert found(html(client, frontline, q=case.reference), case.reference) is None
    said = found(html(client, prevent_lead, q="danny"), case.reference)
    assert said == "Found: Daniel Hughes, also known as Danny Boy (born 1 January 1990)"


@pytest.mark.django_db
def test_the_api_and_the_page_use_the_same_search(client, frontline, lead):
    case = slavery(frontline, given="Maria", family="Kowalska")
    slavery(frontline, given="Jan", family="Novak")
    client.force_login(lead)
    body = client.get("/api/v1/cases/", {"q": "maria kowalska"}).json()
    assert [c["reference"] for c in body["results"]] == [case.reference]
    assert rows(html(client, lead, q="maria kowalska")) == [case.reference]


@pytest.mark.django_db
def test_the_api_says_what_a_search_found_in_each_case(client, frontline, lead, prevent_lead):
    case = slavery(frontline, given="Maria", family="Kowalska", subject_aliases="Mara")
    person = case.case_people.get().person
    premises = Premises.objects.create(address="12 Acacia Avenue\nLeeds", postcode="LS6 1AA")
    Case.objects.filter(pk=case.pk).update(premises=premises)
    search_index_update([case.pk])
    client.force_login(lead)
    maria = {
        "id": person.pk,
        "given_names": "Maria",
        "family_name": "Kowalska",
        "aliases": "Mara",
        "date_of_birth": "1990-01-01",
    }
    body = client.get("/api/v1/cases/", {"q": "maria kowalska"}).json()
    assert body["results"][0]["found"] == {"people": [maria], "premises": None}
    body = client.get("/api/v1/cases/", {"q": "ls6 1aa"}).json()
    address = {"address": "12 Acacia Avenue\nLeeds", "postcode": "LS6 1AA"}
    assert body["results"][0]["found"] == {"people": [], "premises": address}
    assert client.get("/api/v1/cases/").json()["results"][0]["found"] is None
    assert "found" not in client.get(f"/api/v1/cases/{case.reference}/").json()
    # Known only as received: found by its reference, and nothing more said.
    secret = prevent_case(frontline)
    client.force_login(frontline)
    row = client.get("/api/v1/cases/", {"q": secret.reference}).json()["results"][0]
    assert row.get("found") is None


# Filters ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filter_by_owner_me_unallocated_and_a_named_colleague(client, frontline, lead, make_user):
    colleague = make_user("lead.north.2", Role.LEAD, ["north"])
    mine, theirs, nobodys = slavery(frontline), slavery(frontline), slavery(frontline)
    Case.objects.filter(pk=mine.pk).update(owner=lead)
    Case.objects.filter(pk=theirs.pk).update(owner=colleague)
    assert rows(html(client, lead, owner="me")) == [mine.reference]
    assert rows(html(client, lead, owner="unallocated")) == [nobodys.reference]
    assert rows(html(client, lead, owner="lead.north.2")) == [theirs.reference]
    page = html(client, lead, owner="nobody.at.all")
    assert '<a href="#owner">Select who the case is allocated to from the list</a>' in page
    assert rows(page) == []


@pytest.mark.django_db
def test_the_owner_choices_are_read_afresh_on_every_page(client, frontline, lead, make_user):
    """The owners' statement is kept (``casework.statements``), never its rows: a
    colleague who joins is offered on the next page, one deactivated is not, and another
    team's worker never."""
    make_user("frontline.south", Role.FRONTLINE, ["south"])
    first = html(client, lead)
    assert 'value="lead.north.2"' not in first
    assert 'value="frontline.south"' not in first
    colleague = make_user("lead.north.2", Role.LEAD, ["north"])
    colleague.first_name, colleague.last_name = "Ada", "Okafor"
    colleague.save()
    offered = html(client, lead)
    assert 'value="lead.north.2"' in offered
    assert "Ada Okafor (lead.north.2)" in offered
    assert 'value="frontline.south"' not in offered
    colleague.is_active = False
    colleague.save()
    assert 'value="lead.north.2"' not in html(client, lead)


@pytest.mark.django_db
def test_a_lead_may_filter_only_by_their_own_teams(
    client, frontline, frontline_south, lead, auditor
):
    north = slavery(frontline)
    south = slavery(frontline_south)
    assert rows(html(client, lead, team="north")) == [north.reference]
    refused = html(client, lead, team="south")
    assert '<a href="#team">Select one of the teams in the list</a>' in refused
    assert 'value="south"' not in refused
    assert rows(html(client, auditor, team="south")) == [south.reference]


def owner_options(page: str) -> list[str]:
    """The values the owner filter offers, beyond anyone, me and not allocated."""
    select = re.search(r'<select[^>]*name="owner".*?</select>', page, re.S).group(0)
    return [v for v in re.findall(r'value="([^"]*)"', select) if v not in ("", "me", "unallocated")]


@pytest.mark.django_db
def test_an_auditor_chooses_an_owner_from_the_team_chosen(
    client, frontline, frontline_south, lead, auditor, make_user
):
    """Every team's case workers are hundreds at county scale: an auditor is offered
    the case workers of the team chosen, none before one is (saying how), and the owner
    already chosen whatever the team, so that removing the team filter keeps the list."""
    make_user("lead.south", Role.LEAD, ["south"])
    make_user("auditor.2", Role.AUDITOR, [])  # no case worker, never offered
    south = slavery(frontline_south)
    Case.objects.filter(pk=south.pk).update(owner=frontline_south)
    slavery(frontline)

    unchosen = html(client, auditor)
    assert owner_options(unchosen) == []
    assert "Choose a team and apply the filters to choose one of its case workers" in unchosen
    north = html(client, auditor, team="north")
    assert owner_options(north) == ["frontline.north", "lead.north"]
    assert "The case workers of" in north
    assert owner_options(html(client, auditor, team="south")) == ["frontline.south", "lead.south"]

    chosen = html(client, auditor, team="south", owner="frontline.south")
    assert rows(chosen) == [south.reference]
    # The team filter removed: the owner stays chosen and offered, the list the same.
    kept = html(client, auditor, owner="frontline.south")
    assert rows(kept) == [south.reference]
    assert owner_options(kept) == ["frontline.south"]
    assert 'value="frontline.south" selected' in kept
    # Another team chosen: its workers, and the owner chosen still (no case is both).
    other = html(client, auditor, team="north", owner="frontline.south")
    assert owner_options(other) == ["frontline.north", "frontline.south", "lead.north"]
    assert rows(other) == []
    # Who is no case worker, or no one, is refused as before.
    for name in ("auditor.2", "nobody.at.all"):
        refused = html(client, auditor, owner=name)
        assert '<a href="#owner">Select who the case is allocated to from the list</a>' in refused
        assert rows(refused) == []


@pytest.mark.django_db
def test_an_auditor_without_a_team_chosen_reads_no_case_workers(client, auditor, frontline):
    """No statement of users runs for the owner filter until a team is chosen."""
    slavery(frontline)
    client.force_login(auditor)
    client.get("/cases/", {"q": "kowalska"})  # statements compiled, sessions read
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cases/", {"q": "kowalska"}).status_code == 200
    owners = 'SELECT DISTINCT "auth_user"."id" AS "pk"'
    assert not [q for q in queries if owners in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cases/", {"q": "kowalska", "team": "north"}).status_code == 200
    assert [q for q in queries if owners in q["sql"]]


@pytest.mark.django_db
def test_filter_by_overdue_deadline(client, frontline, lead):
    late = default_raise(community_trigger.WORKFLOW, frontline)({})
    on_time = default_raise(community_trigger.WORKFLOW, frontline)({})
    slavery(frontline)
    Deadline.objects.filter(case=late, status=DeadlineStatus.OPEN).update(
        due_at=timezone.now() - timedelta(days=2)
    )
    page = html(client, lead, overdue="true")
    assert rows(page) == [late.reference]
    assert "data-overdue" in page
    assert on_time.reference not in page
    assert '<a href="#overdue">' in html(client, lead, overdue="maybe")


@pytest.mark.django_db
def test_filters_on_content_never_find_a_case_known_only_as_received(
    client, frontline, prevent_lead
):
    case = prevent_case(frontline)
    Case.objects.filter(pk=case.pk).update(owner=prevent_lead)
    Deadline.objects.filter(case=case).update(due_at=timezone.now() - timedelta(days=2))
    for params in (
        {"state": "concern_raised"},
        {"team": "north"},
        {"owner": "prevent.lead"},
        {"overdue": "true"},
    ):
        assert rows(html(client, frontline, **params)) == [], params
    assert rows(html(client, frontline, case_type="prevent")) == [case.reference]
    assert rows(html(client, prevent_lead, owner="prevent.lead")) == [case.reference]


@pytest.mark.django_db
def test_each_selected_filter_has_a_tag_that_removes_only_it(client, frontline, lead):
    slavery(frontline)
    page = html(client, lead, case_type="modern_slavery", owner="unallocated", q="maria")
    tags = page.split('data-section="selected-filters"')[1].split("moj-filter__options")[0]
    assert "Type of concern" in tags
    assert 'href="?owner=unallocated&amp;q=maria"' in tags  # removes the type
    assert 'href="?case_type=modern_slavery&amp;q=maria"' in tags  # removes the owner
    assert 'href="?case_type=modern_slavery&amp;owner=unallocated"' in tags  # the search
    assert "Clear filters" in tags
    assert 'data-section="selected-filters"' not in html(client, lead)


# Sorting and pagination -------------------------------------------------------------------


@pytest.mark.django_db
def test_sorting_by_each_column_both_ways_on_the_server(client, frontline, lead, make_user):
    cases = [slavery(frontline) for _ in range(3)]
    by_reference = sorted(c.reference for c in cases)
    assert rows(html(client, lead, sort="reference", order="asc")) == by_reference
    assert rows(html(client, lead, sort="reference", order="desc")) == by_reference[::-1]
    assert rows(html(client, lead)) == [c.reference for c in reversed(cases)]  # newest first
    assert rows(html(client, lead, sort="raised", order="asc")) == [c.reference for c in cases]
    adams = make_user("adams", Role.LEAD, ["north"])
    adams.last_name = "Adams"
    adams.save()
    Case.objects.filter(pk=cases[2].pk).update(owner=adams)
    owner_sorted = rows(html(client, lead, sort="owner", order="asc"))
    assert owner_sorted[0] == cases[2].reference  # then the unallocated ones
    assert rows(html(client, lead, sort="owner", order="desc"))[0] == cases[2].reference
    for key in ("type", "state", "team"):
        assert sorted(rows(html(client, lead, sort=key, order="asc"))) == by_reference


@pytest.mark.django_db
def test_the_sorted_column_says_so_and_its_link_reverses_keeping_the_filters(
    client, frontline, lead
):
    slavery(frontline)
    page = html(client, lead, case_type="modern_slavery", sort="reference", order="asc")
    header = page.split('data-sort="reference"')[0].rsplit("<th", 1)[1]
    assert 'aria-sort="ascending"' in header
    reference_link = page.split('data-sort="reference"')[1].split("</th>")[0]
    assert 'href="?case_type=modern_slavery&amp;sort=reference&amp;order=desc"' in reference_link
    state_header = page.split('data-sort="state"')[0].rsplit("<th", 1)[1]
    assert 'aria-sort="none"' in state_header
    # The filter form keeps the sort.
    assert '<input type="hidden" name="sort" value="reference">' in page
    assert html(client, lead).count('aria-sort="descending"') == 1  # raised, by default
    bad = html(client, lead, sort="summary")
    assert "Sort by one of the columns of the table" in bad


@pytest.mark.django_db
def test_pagination_keeps_search_filters_and_sort(client, frontline, lead):
    cases = [slavery(frontline) for _ in range(27)]
    params = {"q": "car wash", "case_type": "modern_slavery", "sort": "reference", "order": "asc"}
    first = html(client, lead, **params)
    assert "Showing 1 to 25 of 27 cases" in first
    assert (
        'href="?q=car+wash&amp;case_type=modern_slavery&amp;sort=reference&amp;order=asc&amp;page=2"'
        in first
    )
    second = html(client, lead, **params, page=2)
    assert rows(second) == sorted(c.reference for c in cases)[25:]


@pytest.mark.django_db
def test_sorting_by_state_team_or_owner_puts_limited_cases_last_either_way(
    client, frontline, prevent_lead
):
    limited = prevent_case(frontline)
    Case.objects.filter(pk=limited.pk).update(owner=prevent_lead)
    others = [slavery(frontline) for _ in range(2)]
    assert len(others) == 2
    for key in ("state", "team", "owner"):
        for order in ("asc", "desc"):
            found = rows(html(client, frontline, sort=key, order=order))
            assert found[-1] == limited.reference, (key, order)
    # Seen in full, the same case sorts by its owner.
    assert rows(html(client, prevent_lead, sort="owner", order="asc"))[0] == limited.reference


# The audit event, queries, and the selector -----------------------------------------------


@pytest.mark.django_db
def test_the_one_audit_event_records_search_filters_and_sort(client, frontline, lead):
    slavery(frontline)
    before = AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).count()
    html(client, lead, q="maria", case_type="modern_slavery", sort="reference", order="asc")
    events = AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).order_by("pk")
    assert events.count() == before + 1
    data = events.last().data
    assert data["filters"] == {
        "q": "maria",
        "case_type": "modern_slavery",
        "sort": "reference",
        "order": "asc",
    }
    assert data["count"] == 1


@pytest.mark.django_db
def test_an_invalid_request_lists_nothing_and_records_no_list(client, frontline, lead):
    slavery(frontline)
    before = AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).count()
    page = html(client, lead, q="x" * 201)
    assert "Search must be 200 characters or fewer" in page
    assert "<title>Error: Cases" in page
    assert "govuk-input--error" in page
    assert AuditEvent.objects.filter(verb=AuditVerb.CASES_LISTED).count() == before


@pytest.mark.django_db
def test_the_list_runs_the_same_queries_with_search_and_filters_for_few_and_many(
    client, frontline, lead
):
    params = {"q": "car", "owner": "unallocated", "overdue": "false", "sort": "owner"}

    def count() -> int:
        client.force_login(lead)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/cases/", params).status_code == 200
        return len(captured)

    for _ in range(3):
        slavery(frontline)
    few = count()
    for _ in range(30):
        slavery(frontline)
    assert count() == few


@pytest.mark.django_db
def test_the_selector_is_one_statement_with_each_row_ready(frontline, lead):
    case = slavery(frontline)
    with CaptureQueriesContext(connection) as captured:
        found = list(case_search_for_user(lead, {"q": "maria", "overdue": "false"}))
        assert found[0].team.name
        assert found[0].raised_by.username
        assert found[0].has_overdue_deadline is False
    assert [c.pk for c in found] == [case.pk]
    # The user's roles and teams are read once; the search is two statements: the
    # matching ids, then the visible ones among them with everything a row shows.
    # (The per-case grants, read with the roles and teams, name no case table.)
    cases = [
        q for q in captured if "casework_case" in q["sql"] and "objectpermission" not in q["sql"]
    ]
    assert len(cases) == 2


@pytest.mark.django_db
def test_a_search_with_more_matches_than_the_limit_matches_in_the_database(
    frontline, lead, monkeypatch
):
    monkeypatch.setattr(case_search, "MATCHED_IDS_LIMIT", 0)
    case = slavery(frontline)
    with CaptureQueriesContext(connection) as captured:
        found = list(case_search_for_user(lead, {"q": "maria"}))
    assert [c.pk for c in found] == [case.pk]
    # Too many ids to pass back: the list's statement carries the match as a subquery.
    *_, listing = [q["sql"] for q in captured if "casework_case" in q["sql"]]
    assert "casework_casesearchentry" in listing
    assert "::tsquery" in listing


@pytest.mark.django_db
def test_a_search_matching_more_than_its_ids_pages_them_and_counts_nothing_first(
    client, frontline, frontline_south, lead, monkeypatch
):
    """More matches than the ids a search reads (an auditor's common surname
    county-wide): those ids are the list's first rows and already more than the count's
    cap, so its first pages are read by them and nothing is counted; a page past them is
    read and counted through the list's own query (docs/performance.md)."""
    from casework import counting

    monkeypatch.setattr(case_search, "MATCHED_IDS_LIMIT", 4)  # 5 ids read
    cases = [slavery(frontline) for _ in range(8)]
    slavery(frontline_south)  # another team's Maria: never listed for this lead
    slavery(frontline, given="Anna", family="Nowak")  # not a match
    newest_first = [c.reference for c in sorted(cases, key=lambda c: (c.raised_at, c.pk))][::-1]

    def page(number: int) -> tuple[list[str], str, int, list[str]]:
        listed = case_search_for_user(lead, {"q": "maria"})
        with CaptureQueriesContext(connection) as captured:
            paginator = counting.CappedPaginator(listed, 2, page=number, cap=3)
            shown = paginator.page(number)
            references = [c.reference for c in shown]
            text, pages = paginator.count_text, paginator.num_pages
        return references, text, pages, [q["sql"] for q in captured]

    first, text, pages, sql = page(1)
    assert first == newest_first[:2]
    assert (text, pages) == ("more than 3", 3)
    assert not [s for s in sql if "COUNT(" in s.upper()]
    assert not [s for s in sql if "casework_casesearchentry" in s]  # read by its ids

    second, text, pages, sql = page(2)
    assert second == newest_first[2:4]
    assert (text, pages) == ("more than 4", 3)
    assert not [s for s in sql if "COUNT(" in s.upper()]

    # Past the 5 ids read: counted (up to the page's end) and read by the list's query.
    third, text, pages, sql = page(3)
    assert third == newest_first[4:6]
    assert (text, pages) == ("more than 6", 4)
    assert [s for s in sql if "COUNT(" in s.upper()]
    fourth, text, pages, _ = page(4)
    assert fourth == newest_first[6:8]
    assert (text, pages) == ("8", 4)
    assert sorted(first + second + third + fourth) == sorted(newest_first)

    # The page says so; and the whole list, read at once, is every match.
    monkeypatch.setattr(counting, "COUNT_CAP", 3)
    monkeypatch.setattr(list_views, "PAGE_SIZE", 2)
    assert "Showing 1 to 2 of more than 3 cases" in html(client, lead, q="maria")
    listed = case_search_for_user(lead, {"q": "maria"})
    assert [c.reference for c in listed] == newest_first


@pytest.mark.django_db
def test_the_matched_ids_are_one_parameter_however_many(frontline, lead):
    """The list's statement takes the matched ids as one array, not one parameter an id
    (a family name matched hundreds of a lead's cases at county scale, each adapted,
    sent and planned as a constant of its own: docs/performance.md), given as its text
    (no id prepared one by one in Python)."""
    cases = [slavery(frontline) for _ in range(3)]
    with CaptureQueriesContext(connection) as captured:
        found = list(case_search_for_user(lead, {"q": "maria"}))
    assert sorted(c.pk for c in found) == sorted(c.pk for c in cases)
    *_, listing = [q["sql"] for q in captured if "casework_case" in q["sql"]]
    # Newest first, as the index gives them (the latest raised first).
    ids = "{" + ",".join(str(pk) for pk in sorted((c.pk for c in cases), reverse=True)) + "}"
    assert f"= ANY(('{ids}'::bigint[])" in listing
    assert not re.search(r'"casework_case"\."id" IN \(', listing)


@pytest.mark.django_db
def test_a_whole_reference_finds_that_case_alone(frontline, lead):
    case = slavery(frontline)
    other = slavery(frontline)
    case_summary_update(case=other, actor=lead, summary=f"Linked to {case.reference}.")
    found = case_search_for_user(lead, {"q": case.reference.lower()})
    assert [c.pk for c in found] == [case.pk]
    # Part of a reference still searches summaries too.
    partial = case.reference[-6:]
    assert {c.pk for c in case_search_for_user(lead, {"q": partial})} == {case.pk, other.pk}


@pytest.mark.django_db
def test_the_planner_is_told_that_a_state_belongs_to_one_case_type():
    """Extended statistics on (case_type, state) (migration casework 0032): without
    them PostgreSQL multiplies the two columns' frequencies, expects a quarter of the
    cases a type and state filter finds, and reads them county-wide instead of through
    the viewer's own indexed branches of visibility (docs/performance.md)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxkind, ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = stxrelid"
            " AND attnum = ANY(stxkeys) ORDER BY attname) FROM pg_statistic_ext"
            " WHERE stxname = 'case_type_state' AND stxrelid = 'casework_case'::regclass"
        )
        row = cursor.fetchone()
    assert row is not None
    kinds, columns = row
    assert (sorted(kinds), columns) == (["f", "m"], ["case_type", "state"])


def _page_ids(sql: str) -> list[int]:
    """The ids of the last ``= ANY('{...}'::bigint[])`` array in a statement."""
    *_, last = re.findall(r"= ANY\(\('\{([0-9,]*)\}'::bigint\[\]\)\)", sql)
    return [int(i) for i in last.split(",") if i]


@pytest.mark.django_db
def test_a_search_pages_its_matches_by_their_ids_newest_first(frontline, lead):
    """A search whose only narrowing is its words, in the default order, reads each page's
    own cases by their ids (the index gives them newest first) rather than every match to
    sort them, and is counted by its ids: the same pages, in the same order, as the same
    search read whole (docs/performance.md)."""
    from casework.counting import CappedPaginator

    cases = [slavery(frontline) for _ in range(12)]
    newest_first = [c.pk for c in sorted(cases, key=lambda c: (c.raised_at, c.pk), reverse=True)]
    listed = case_search_for_user(lead, {"q": "maria"}).defer("details")
    assert [c.pk for c in listed] == newest_first  # read whole, it is the ordinary list
    pages = []
    for number in (1, 2, 3):
        paginator = CappedPaginator(listed.all(), 5, page=number)
        with CaptureQueriesContext(connection) as captured:
            page = paginator.page(number)
            rows = [c.pk for c in page]
            assert paginator.count == 12
            assert paginator.num_pages == 3
        statements = [q["sql"] for q in captured]
        assert len(statements) == 1, statements  # the page; nothing counted
        assert sorted(_page_ids(statements[0])) == sorted(rows)
        assert "COUNT(*) OVER" not in statements[0]
        pages.append(rows)
    assert pages == [newest_first[:5], newest_first[5:10], newest_first[10:]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "sort", "order"),
    [
        ({"case_type": "modern_slavery"}, "raised", "desc"),
        ({"state": "concern_raised"}, "raised", "desc"),
        ({"overdue": "false"}, "raised", "desc"),
        ({}, "raised", "asc"),
        ({}, "reference", "asc"),
    ],
)
def test_a_narrowed_or_resorted_search_reads_its_matches_whole(
    frontline, lead, filters, sort, order
):
    """Another filter or another order than newest first: the ids no longer say the list,
    so its page is chosen from every match, counted by the statement that reads it."""
    from casework.counting import CappedPaginator

    cases = [slavery(frontline) for _ in range(6)]
    listed = case_search_for_user(lead, {"q": "maria", **filters}, sort=sort, order=order)
    expected = [c.pk for c in listed]
    assert sorted(expected) == sorted(c.pk for c in cases)
    paginator = CappedPaginator(listed.all(), 4, page=1)
    with CaptureQueriesContext(connection) as captured:
        rows = [c.pk for c in paginator.page(1)]
    assert rows == expected[:4]
    assert paginator.count == 6
    assert "COUNT(*) OVER" in captured[0]["sql"]
    assert len(_page_ids(captured[0]["sql"])) == 6


@pytest.mark.django_db
def test_a_search_paged_by_ids_filtered_again_is_an_ordinary_list(frontline, lead):
    """Narrowing a list paged by its ids reads it as any list: its rows and count are the
    narrowed list's, never the ids' it was given."""
    cases = [slavery(frontline) for _ in range(3)]
    listed = case_search_for_user(lead, {"q": "maria"})
    assert listed.count() == 3
    one = listed.filter(pk=cases[0].pk)
    assert one.count() == 1
    assert [c.pk for c in one[:2]] == [cases[0].pk]
    assert [c.pk for c in listed.order_by("pk")[:2]] == [cases[0].pk, cases[1].pk]
    kept = listed.select_related("premises").defer("details")
    assert [c.pk for c in kept[1:3]] == [cases[1].pk, cases[0].pk]


def _as_read(cases) -> list[tuple]:
    """What a list shows of each row, and what the selector annotated it with."""
    from casework.counting import TOTAL

    return [
        (
            c.pk,
            c.reference,
            c.state,
            c.summary,
            c.team.name if c.team_id else None,
            c.owner.username if c.owner_id else None,
            c.raised_by.username,
            c.has_overdue_deadline,
            getattr(c, "full_content", None),
            getattr(c, "raised_summary", None),
            getattr(c, "raiser_referred_to", None),
            getattr(c, TOTAL, None),  # a search's page's rows say how many there are
            c.get_deferred_fields(),
        )
        for c in cases
    ]


@pytest.mark.django_db
def test_a_search_page_read_through_its_kept_statement_is_the_orms(
    frontline, lead, prevent_lead, auditor
):
    """The page of a search paged by its ids is read through a statement compiled once
    per viewer (``casework.statements``): for a lead, the raiser, a Prevent lead and an
    auditor, by name and by a Prevent case's reference (which its raiser sees only as
    received), its rows are exactly those the ORM reads, annotations and deferred
    columns included; and a later search by the same viewer compiles nothing."""
    from django.test import override_settings

    from casework import statements
    from casework.counting import CappedPaginator

    statements.clear()
    for _ in range(3):
        slavery(frontline)
    hidden = prevent_case(frontline)
    seen = 0
    for user in (lead, frontline, prevent_lead, auditor):
        for q in ("maria", "kowalska", hidden.reference, "hughes"):
            listed = case_search_for_user(user, {"q": q}).defer("details")
            kept = _as_read(CappedPaginator(listed, 2, page=1).page(1))
            with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
                listed = case_search_for_user(user, {"q": q}).defer("details")
                assert _as_read(CappedPaginator(listed, 2, page=1).page(1)) == kept, (user, q)
            seen += len(kept)
    assert seen > 10
    listed = case_search_for_user(lead, {"q": "kowalska"}).defer("details")
    built = []
    original = case_search._listed
    try:
        case_search._listed = lambda *a: built.append(a) or original(*a)
        assert len(CappedPaginator(listed, 2, page=2).page(2)) == 1
    finally:
        case_search._listed = original
    assert built == []  # the page's statement kept, not built again


@pytest.mark.django_db
def test_a_search_page_is_read_by_its_own_ids_alone(frontline, lead):
    """A page of a search is read by the ids of its own cases, not every match's too:
    given both arrays of ids, PostgreSQL costed an index scan as one by the larger and
    read the whole case table for an auditor's common surname (90 ms at 500,000 cases,
    docs/performance.md)."""
    from casework.counting import CappedPaginator

    cases = [slavery(frontline) for _ in range(5)]
    newest = sorted(cases, key=lambda c: (c.raised_at, c.pk), reverse=True)
    listed = case_search_for_user(lead, {"q": "maria"})
    with CaptureQueriesContext(connection) as captured:
        page = CappedPaginator(listed, 2, page=2).page(2)
    assert [c.pk for c in page] == [c.pk for c in newest[2:4]]
    (read,) = [q["sql"] for q in captured if '"casework_case"."summary"' in q["sql"]]
    arrays = re.findall(r"'\{([0-9,]*)\}'::bigint\[\]", read)
    assert arrays == [f"{newest[2].pk},{newest[3].pk}"]


@pytest.mark.django_db
def test_a_kept_search_page_says_overdue_at_the_time_of_each_search(frontline, lead):
    """The time a search compares clocks with is given at each use of its kept
    statement: the same search later, once a clock has fallen due, shows it overdue."""
    from unittest import mock

    from casework import statements

    statements.clear()
    case = default_raise(community_trigger.WORKFLOW, frontline)({})
    due = timezone.now() + timedelta(days=1)
    assert Deadline.objects.filter(case=case, status=DeadlineStatus.OPEN).update(due_at=due)
    search = {"q": case.reference}
    assert [c.has_overdue_deadline for c in case_search_for_user(lead, search)[:25]] == [False]
    with mock.patch("django.utils.timezone.now", return_value=due + timedelta(hours=1)):
        later = case_search_for_user(lead, search)[:25]
    assert [c.has_overdue_deadline for c in later] == [True]


@pytest.mark.django_db
def test_a_list_read_through_its_kept_statements_is_the_orms(
    frontline, lead, prevent_lead, auditor, frontline_south
):
    """A list without a search is read a page and a count at a time through statements
    compiled once (``casework.statements.KeptList``): for every kind of viewer, filter
    and order, its pages, their rows' annotations and its capped count are exactly the
    ORM's; and the same lists with other values (another state, another team) compile
    nothing when their pages and counts are read."""
    from django.db.models.sql.compiler import SQLCompiler
    from django.test import override_settings

    from casework import statements
    from casework.counting import CappedPaginator
    from casework.models import Team

    statements.clear()
    cases = [slavery(frontline) for _ in range(3)]
    prevent_case(frontline)
    default_raise(community_trigger.WORKFLOW, frontline)({})
    slavery(frontline_south)
    Case.objects.filter(pk=cases[0].pk).update(owner=lead)
    Deadline.objects.filter(case__case_type="community_trigger").update(
        due_at=timezone.now() - timedelta(days=1)
    )
    north = Team.objects.get(slug="north").pk
    choices = [
        {},
        {"state": "concern_raised"},
        {"case_type": "modern_slavery", "state": "concern_raised"},
        {"team": north},
        {"owner": "me"},
        {"owner": "unallocated"},
        {"owner": lead.pk},
        {"assigned_to": "me"},
        {"overdue": "true"},
        {"overdue": "false", "team": north},
    ]
    seen = 0

    def pages(user, filters, sort, order):
        listed = case_search_for_user(user, filters, sort=sort, order=order).defer("details")
        first = CappedPaginator(listed, 2, page=1, cap=3)
        second = CappedPaginator(listed.all(), 2, page=2, cap=3)
        got = [_as_read(first.page(1)), (first.count, first.more)]
        if second.num_pages >= 2:
            got.append(_as_read(second.page(2)))
        return got

    for user in (lead, frontline, prevent_lead, auditor, frontline_south):
        for filters in choices:
            for sort, order in (("raised", "desc"), ("reference", "asc"), ("state", "asc")):
                kept = pages(user, filters, sort, order)
                with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
                    assert pages(user, filters, sort, order) == kept, (user, filters, sort)
                seen += len(kept[0])
    assert seen > 100
    compiled = []
    original = SQLCompiler.as_sql
    try:
        SQLCompiler.as_sql = lambda *a, **k: compiled.append(a) or original(*a, **k)
        for user, filters in ((lead, {"state": "withdrawn"}), (auditor, {"team": north + 9})):
            listed = case_search_for_user(user, filters).defer("details")
            paginator = CappedPaginator(listed, 2, page=1, cap=3)
            assert (list(paginator.page(1)), paginator.count) == ([], 0)
    finally:
        SQLCompiler.as_sql = original
    assert compiled == []  # their pages and counts read through the statements kept


@pytest.mark.django_db
def test_kept_lists_and_searches_build_and_compile_nothing_once_kept(frontline, lead):
    """Once their statements are kept, a list's page and count, a search's page and a
    search that matches nothing (also with a filter and another order: an empty list
    whatever they are) read their rows and counts without building the list's query
    (``casework.counting.Later``) or compiling anything; read whole by the ORM, the
    query is built once and gives the same rows."""
    from django.db.models.sql.compiler import SQLCompiler

    from casework import statements
    from casework.counting import CappedPaginator

    statements.clear()
    for _ in range(3):
        slavery(frontline)
    asked = [
        ({}, "raised", "desc", 3),
        ({"state": "concern_raised"}, "reference", "asc", 3),
        ({"q": "kowalska"}, "raised", "desc", 3),
        ({"q": "nobody-at-all"}, "raised", "desc", 0),
        ({"q": "nobody-at-all", "state": "concern_raised"}, "state", "asc", 0),
    ]

    def read(filters, sort, order):
        listed = case_search_for_user(lead, filters, sort=sort, order=order).defer("details")
        paginator = CappedPaginator(listed, 2, page=1)
        return [c.reference for c in paginator.page(1)], paginator.count, listed

    for filters, sort, order, _ in asked:
        read(filters, sort, order)  # their statements kept
    built, compiled = [], []
    original_listed, original_sql = case_search._listed, SQLCompiler.as_sql
    try:
        case_search._listed = lambda *a: built.append(a) or original_listed(*a)
        SQLCompiler.as_sql = lambda *a, **k: compiled.append(a) or original_sql(*a, **k)
        for filters, sort, order, count in asked:
            rows, counted, listed = read(filters, sort, order)
            assert (len(rows), counted) == (min(count, 2), count), filters
            assert (built, compiled) == ([], []), filters
            whole = sorted(c.reference for c in list(listed))
            assert len(built) == 1, filters  # read whole: the query built, once
            assert whole == sorted(
                c.reference for c in case_search_for_user(lead, filters, sort=sort, order=order)
            )
            built.clear()
            compiled.clear()
    finally:
        case_search._listed, SQLCompiler.as_sql = original_listed, original_sql


@pytest.mark.django_db
def test_every_filter_narrows_a_search_in_its_default_order(frontline, lead):
    """A search in its default order is paged by its matches only when no other filter
    is given: each filter, given with it, still narrows what it finds."""
    from casework.models import Team

    for _ in range(3):
        slavery(frontline)
    south = Team.objects.create(slug="south-x", name="South X")
    assert len(case_search_for_user(lead, {"q": "kowalska"})[:25]) == 3
    for narrowing in (
        {"case_type": "prevent"},
        {"state": "closed"},
        {"team": south.pk},
        {"owner": lead.pk},
        {"owner": "me"},
        {"assigned_to": "me"},
        {"overdue": "true"},
    ):
        found = case_search_for_user(lead, {"q": "kowalska", **narrowing})
        assert list(found[:25]) == [], narrowing


@pytest.mark.django_db
def test_a_kept_list_filters_overdue_at_the_time_of_each_read(frontline, lead):
    """The time the overdue filter compares clocks with is given at each use of the
    list's kept statements: a case joins the overdue list once its clock falls due."""
    from unittest import mock

    from casework import statements
    from casework.counting import CappedPaginator

    statements.clear()
    case = default_raise(community_trigger.WORKFLOW, frontline)({})
    due = timezone.now() + timedelta(days=1)
    assert Deadline.objects.filter(case=case, status=DeadlineStatus.OPEN).update(due_at=due)

    def overdue():
        listed = case_search_for_user(lead, {"overdue": "true"})
        paginator = CappedPaginator(listed, 25, page=1)
        return [c.pk for c in paginator.page(1)], paginator.count

    assert overdue() == ([], 0)
    with mock.patch("django.utils.timezone.now", return_value=due + timedelta(hours=1)):
        assert overdue() == ([case.pk], 1)


@pytest.mark.django_db
def test_a_kept_list_filtered_again_or_prefetched_is_read_by_the_orm(frontline, lead):
    """Narrowing a kept list reads it as any list; a prefetch leaves its pages to the
    ORM; its rows are the same either way."""
    from casework.counting import CappedPaginator
    from casework.statements import KeptList

    cases = [slavery(frontline) for _ in range(3)]
    listed = case_search_for_user(lead, {})
    assert isinstance(listed, KeptList)
    one = listed.filter(pk=cases[0].pk)
    assert hasattr(one[:2], "query")  # a queryset: the ORM reads the narrowed list
    assert [c.pk for c in one[:2]] == [cases[0].pk]
    assert CappedPaginator(one, 2).count == 1
    prefetched = listed.prefetch_related("case_people")
    page = prefetched[:2]
    assert hasattr(page, "query")  # a queryset, read by the ORM with its prefetch
    assert [c.pk for c in page] == [c.pk for c in CappedPaginator(listed, 2).page(1)]


def _page_query_by_copy(params, **changes):
    """How the list wrote its links before ``page_query`` wrote them from the pairs:
    a copy of the ``QueryDict``, changed."""
    query = params.copy()
    query.pop("page", None)
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    text = query.urlencode()
    return f"?{text}" if text else "?"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=3",
        "q=Jon+Smyth&case_type=cse&page=2&sort=state&order=asc",
        "q=%C3%89lodie+O%27Brien+%26+co&team=north&owner=me",
        "state=a&state=b&q=%E2%80%9Cquoted%E2%80%9D&q=twice",
        "q=50%25+%2F+%3F+%23&overdue=true",
    ],
)
def test_the_lists_links_are_written_as_the_query_dict_wrote_them(query):
    """``page_query`` (every sort, tag and tab link of the list and the triage queue)
    gives the same address as copying and changing the request's ``QueryDict``, for
    repeated, escaped and non-ASCII values, with values changed, added and removed."""
    params = QueryDict(query)
    for changes in (
        {},
        {"sort": "raised_at", "order": "desc"},
        {"q": None},
        {"state": None},
        {"tab": "new"},
        {"page": None, "team": "south"},
    ):
        assert list_views.page_query(params, **changes) == _page_query_by_copy(params, **changes)


def test_the_filter_forms_choices_are_the_lists_given():
    """The form keeps the choices as given (``PairChoices``): the field and its widget
    offer exactly them, in order, a value among them is valid and one outside is the
    list's error."""
    form = CaseFilterForm(
        QueryDict("case_type=cse&state=not_a_state&owner=lead.north"),
        case_types=[("cse", "Child exploitation"), ("prevent", "Prevent")],
        states=[("concern_raised", "Concern raised")],
        owners=[("lead.north", "Lee North (lead.north)")],
    )
    assert list(form.fields["state"].choices) == [
        ("", "All states"),
        ("concern_raised", "Concern raised"),
    ]
    assert list(form.fields["owner"].widget.choices)[-1] == ("lead.north", "Lee North (lead.north)")
    assert not form.is_valid()
    assert form.errors == {"state": ["Select a state from the list for this type"]}
    assert form.cleaned_data["case_type"] == "cse"
    assert form.cleaned_data["owner"] == "lead.north"
    assert form.choice_label("case_type", "cse") == "Child exploitation"
    assert 'value="concern_raised"' in str(form["state"])
