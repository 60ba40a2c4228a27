"""The report pages under /reports/ (issue 21): who sees them, drill-down only to cases
the user may open, suppressed CSV downloads, GOV.UK errors for bad choices."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest

from casework.audit import AuditVerb
from casework.models import AuditEvent
from reports import views as report_views
from tests.reports import test_figures
from tests.reports.test_figures import cuckoo

# The constructed Community Trigger year and the clock of the figures' tests (fixtures).
ct_year = test_figures.ct_year
on = test_figures.on

CT_PAGE = "/reports/community-trigger/?year=2025"
PAGES = [
    "/reports/",
    CT_PAGE,
    "/reports/case-statistics/?start=2025-04-01&end=2026-03-31&as_at=2026-03-31",
    "/reports/emerging-risks/?start=2025-04-01&end=2026-03-31",
]
CSVS = [
    "/reports/community-trigger.csv?year=2025",
    "/reports/case-statistics.csv?start=2025-04-01&end=2026-03-31&as_at=2026-03-31",
    "/reports/emerging-risks.csv?start=2025-04-01&end=2026-03-31",
]


def number_of(page: str, figure: str) -> str:
    """The number shown in a figure's row of the Community Trigger page."""
    row = re.search(rf'data-figure="{figure}">(.*?)</tr>', page, re.S).group(1)
    return re.search(r'--numeric">([^<]*)</td>', row).group(1).strip()


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_analyst_sees_every_report_and_no_case(client, ct_year, analyst):
    client.force_login(analyst)
    for url in PAGES + CSVS:
        assert client.get(url).status_code == 200, url
    page = client.get(CT_PAGE).content.decode()
    assert "/cases/" not in page
    assert ct_year["a"].reference not in page
    # Figures alone list no case: no read of cases is recorded for them.
    assert not AuditEvent.objects.filter(actor=analyst, verb=AuditVerb.CASES_LISTED).exists()
    # Small numbers are suppressed on an analyst's screen: 5 applications, 2 not met.
    assert number_of(page, "applications_received") == "5"
    assert number_of(page, "threshold_not_met") == "fewer than 5"
    assert client.get("/cases/").status_code == 403
    assert client.get("/api/v1/cases/").status_code == 403
    assert client.get(f"/cases/{ct_year['a'].reference}/").status_code == 404
    home = client.get("/").content.decode()
    assert 'href="/reports/"' in home
    assert 'href="/cases/"' not in home


@pytest.mark.django_db
def test_lead_drills_down_to_their_cases_with_exact_numbers(client, ct_year, lead):
    client.force_login(lead)
    page = client.get(CT_PAGE).content.decode()
    a = ct_year["a"]
    # The return shows figures and links; it names no case, so it records no read.
    assert a.reference not in page
    assert not AuditEvent.objects.filter(actor=lead, verb=AuditVerb.CASES_LISTED).exists()
    assert number_of(page, "threshold_not_met") == "2"
    link = re.search(r'data-figure="applications_received">.*?href="([^"]+)"', page, re.S)
    drill = client.get(html.unescape(link.group(1)))
    assert drill.status_code == 200
    listing = drill.content.decode()
    shown = set(re.findall(r'href="/cases/(SC-[^/"]+)/"', listing))
    expected = ("a", "b", "c", "e", "f")
    assert shown == {ct_year[k].reference for k in expected}
    # The drill-down lists cases, so it is audited as a list of cases is.
    listed = AuditEvent.objects.filter(actor=lead, verb=AuditVerb.CASES_LISTED).get()
    assert listed.data["filters"] == {
        "report": "community_trigger", "year": 2025, "figure": "applications_received",
    }  # fmt: skip
    assert listed.data["count"] == len(shown) == 5
    # The CSV is a publication: suppressed whoever downloads it.
    rows = rows_of(client.get(CSVS[0]))
    assert rows[0] == ["Reporting year", "Figure", "Number", "Note"]
    by_figure = {r[1]: r[2] for r in rows[1:]}
    assert by_figure["Applications received"] == "5"
    assert by_figure["Times the threshold was not met"] == "fewer than 5"


@pytest.mark.django_db
def test_another_teams_lead_gets_none_of_these_cases(client, ct_year, other_lead):
    client.force_login(other_lead)
    page = client.get(CT_PAGE).content.decode()
    assert ct_year["a"].reference not in page
    by_figure = {r[1]: r[2] for r in rows_of(client.get(CSVS[0]))[1:]}
    assert by_figure["Applications received"] == "0"


@pytest.mark.django_db
def test_frontline_and_administrators_get_no_reports(client, frontline, administrator):
    for user in (frontline, administrator):
        client.force_login(user)
        for url in PAGES + CSVS:
            assert client.get(url).status_code == 403, url
    client.logout()
    assert client.get("/reports/").url.startswith("/sign-in/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/reports/community-trigger/?year=1990", "Choose a reporting year from the list"),
        ("/reports/community-trigger/?year=abc", "Choose a reporting year from the list"),
        ("/reports/case-statistics/?start=2026-04-01&end=2025-04-01&as_at=2025-04-01",
         "End date must be the same as or after the start date"),
        ("/reports/case-statistics/?start=2025-13-01&end=2026-03-31&as_at=2026-03-31",
         "Start date must be a real date"),
        ("/reports/case-statistics/?start=2025-04-01&end=2026-03-31&as_at=",
         "Enter the as at"),
        ("/reports/case-statistics/?team=99999", "Choose one of the teams from the list"),
        ("/reports/case-statistics/?case_type=nope", "Choose a type of case from the list"),
        ("/reports/emerging-risks/?start=1900-01-01&end=2026-03-31",
         "Start date must be in 2015 or later"),
        ("/reports/emerging-risks.csv?start=x&end=2026-03-31", "Start date must be a real date"),
    ],
)  # fmt: skip
def test_bad_choices_are_govuk_errors(client, lead, url, message):
    client.force_login(lead)
    response = client.get(url)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body


@pytest.mark.django_db
def test_case_statistics_page_shows_the_committee_format(client, frontline, lead, on):
    for day in [date(2024, 6, 1), date(2025, 6, 1), date(2025, 7, 1)]:
        on(day)
        cuckoo(frontline)
    on(date(2026, 3, 31))
    client.force_login(lead)
    page = client.get(
        "/reports/case-statistics/?start=2025-04-01&end=2026-03-31&as_at=2026-03-31"
    ).content.decode()
    assert "All concerns raised: 2 vs 1, +1, +100.0%." in page
    assert "Open as at 31 March 2026" in page
    rows = rows_of(
        client.get("/reports/case-statistics.csv?start=2025-04-01&end=2026-03-31&as_at=2026-03-31")
    )
    measures = {(r[0], r[3]): r[4] for r in rows[1:]}
    assert measures[("1 April 2025 to 31 March 2026", "Concerns raised")] == "fewer than 5"
    assert measures[
        ("1 April 2025 to 31 March 2026", "% difference from the previous 12 months")
    ] == ("withheld")


@pytest.mark.django_db
def test_emerging_risks_page_and_csv(client, frontline, lead, on):
    on(date(2025, 5, 1))
    cuckoo(frontline)
    client.force_login(lead)
    page = client.get("/reports/emerging-risks/?start=2025-04-01&end=2026-03-31")
    assert page.status_code == 200
    assert "Cuckooing concerns raised" in page.content.decode()
    rows = rows_of(client.get("/reports/emerging-risks.csv?start=2025-04-01&end=2026-03-31"))
    found = [r for r in rows if r[2] == "Cuckooing concerns raised"]
    assert found[0][3] == "fewer than 5"


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200  # warm: first-use queries
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_report_pages_run_as_many_queries_for_an_empty_month_as_for_five_full_years(
    client, frontline, lead, auditor, on
):
    from casework.models import Case
    from workflows import dhr

    on(date(2025, 5, 1))
    case = cuckoo(frontline)
    # A review of a death: a named type, which an auditor sees exactly only if cleared.
    Case.objects.create(
        reference="SC-2025-900001", case_type="dhr", state=dhr.WORKFLOW.initial_state,
        summary="Review", team=case.team, raised_by=lead, raised_at=case.raised_at,
    )  # fmt: skip
    empty = "start=2020-01-01&end=2020-01-31&as_at=2020-01-31"
    full = "start=2021-04-01&end=2026-03-31&as_at=2026-03-31"
    for user in (auditor, lead):
        client.force_login(user)
        for path, short, long in [
            ("/reports/case-statistics/", empty, full),
            ("/reports/emerging-risks/", empty, full),
            ("/reports/community-trigger/", "year=2019", "year=2025"),
        ]:
            assert _queries(client, f"{path}?{short}") == _queries(client, f"{path}?{long}"), (
                user.username, path,
            )  # fmt: skip


@pytest.mark.django_db
def test_the_cases_behind_a_figure_are_paged_and_only_those_one_may_open(
    client, ct_year, lead, analyst, other_lead, monkeypatch
):
    url = "/reports/community-trigger/cases/?year=2025&figure=threshold_not_met"
    client.force_login(analyst)
    assert client.get(url).status_code == 403
    client.force_login(other_lead)
    assert "There are no cases you can open" in client.get(url).content.decode()
    client.force_login(lead)
    monkeypatch.setattr(report_views, "CASES_PER_PAGE", 1)
    pages = [client.get(f"{url}&page={n}").content.decode() for n in (1, 2)]
    # Not met and standing: c and f, one a page, oldest first.
    for page, case in zip(pages, (ct_year["c"], ct_year["f"]), strict=True):
        assert re.findall(r'href="/cases/(SC-[^/"]+)/"', page) == [case.reference]
        assert "2 cases you can open" in page
    assert 'rel="next"' in pages[0]
    bad = client.get("/reports/community-trigger/cases/?year=2025&figure=nope")
    assert bad.status_code == 400
    assert "Choose a figure of the return" in bad.content.decode()
