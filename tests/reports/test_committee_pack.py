"""The committee pack (issue 21, parts 5 and 6): its pages, the published outputs (a
tagged PDF, an XLSX workbook, a CSV file) with small numbers suppressed, and who sees
which figures."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from casework.models import Case
from casework.roles import Role
from reports.indicator_services import indicator_save
from reports.models import IndicatorValue
from tests.workflows.test_intake_pages import INTAKE_OVERRIDES
from tests.workflows.walker import default_raise
from workflows.registry import WORKFLOWS

PERIOD = "2026-03"


@pytest.fixture
def world(make_user):
    """Indicators with values; three cuckooing concerns in north and one in south in the
    12 months to March 2026 (small numbers), and 30 the year before in south."""
    people = {
        "analyst": make_user("analyst", Role.ANALYST),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR),
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "administrator": make_user("admin", Role.ADMINISTRATOR),
    }
    frontline_south = make_user("frontline.south", Role.FRONTLINE, ["south"])
    tz = timezone.get_current_timezone()
    raisers = {"north": people["frontline"], "south": frontline_south}
    for team, when, summary in [
        ("north", datetime(2026, 3, 2, 10, tzinfo=tz), "Secret north one"),
        ("north", datetime(2026, 1, 2, 10, tzinfo=tz), "Secret north two"),
        ("north", datetime(2025, 7, 2, 10, tzinfo=tz), "Secret north three"),
        ("south", datetime(2025, 5, 2, 10, tzinfo=tz), "Secret south one"),
    ]:
        intake = {**INTAKE_OVERRIDES.get("cuckooing", {}), "summary": summary}
        case = default_raise(WORKFLOWS["cuckooing"], raisers[team])(intake)
        Case.objects.filter(pk=case.pk).update(raised_at=when)
    analyst = people["analyst"]
    asb1 = indicator_save(
        actor=analyst,
        data={
            "code": "ASB1", "name": "Police-recorded anti-social behaviour incidents",
            "unit": "count", "target": Decimal(2500), "direction": "lower",
            "amber_tolerance_percent": Decimal(5), "breakdown": "district", "source": "",
        },
    )  # fmt: skip
    for month, value in [(date(2025, 3, 1), 2960), (date(2026, 3, 1), 2483)]:
        IndicatorValue.objects.create(
            indicator=asb1, month=month, area="Corby", value=value, entered_by=analyst
        )
    indicator_save(
        actor=analyst,
        data={
            "code": "CUC1", "name": "Cuckooing concerns", "unit": "count",
            "target": Decimal(10), "direction": "higher", "amber_tolerance_percent": 5,
            "breakdown": "team", "source": "cuckooing_concerns",
        },
    )  # fmt: skip
    return people


def _client(client, user):
    client.force_login(user)
    return client


def _get(client, world, who, url):
    return _client(client, world[who]).get(url)


@pytest.mark.django_db
def test_the_pack_on_screen_is_exact_for_a_lead_and_suppressed_for_an_analyst(client, world):
    page = _get(client, world, "lead", f"/reports/committee-pack/?period={PERIOD}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Corby" in text
    assert "2,483" in text
    assert "2,960" in text
    assert "-477" in text
    assert "-16.1%" in text
    # The lead's own team, exactly; never the other team; no partnership-wide sections.
    assert "North locality team" in text
    assert "South locality team" not in text
    assert "Domestic Homicide Reviews" not in text
    assert "fewer than 5</td>" not in text
    client.logout()
    page = _get(client, world, "analyst", f"/reports/committee-pack/?period={PERIOD}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "South locality team" in text
    assert "Domestic Homicide Reviews" in text
    assert "fewer than 5" in text  # north's 3 and south's 1: the analyst sees no cases
    assert "Secret" not in text  # never case content


@pytest.mark.django_db
def test_the_pack_never_shows_case_content_to_anyone(client, world):
    for who in ("analyst", "lead", "auditor"):
        client.logout()
        text = _get(client, world, who, f"/reports/committee-pack/?period={PERIOD}")
        assert "Secret" not in text.content.decode()
        assert "SC-" not in text.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [("frontline", 403), ("administrator", 403), ("analyst", 200), ("auditor", 200)],
)
def test_who_may_have_the_pack(client, world, who, status):
    assert _get(client, world, who, "/reports/committee-pack/").status_code == status
    client.logout()
    download = _get(client, world, who, "/reports/committee-pack/csv/")
    assert download.status_code == status


@pytest.mark.django_db
def test_a_bad_period_is_a_clear_error(client, world):
    page = _get(client, world, "analyst", "/reports/committee-pack/?period=March")
    assert page.status_code == 400
    assert "Enter the period as a month, like 2026-03" in page.content.decode()
    assert _client(client, world["analyst"]).get("/reports/committee-pack/doc/").status_code == 404


@pytest.mark.django_db
def test_the_csv_suppresses_small_counts_even_for_a_lead(client, world):
    response = _get(client, world, "lead", f"/reports/committee-pack/csv/?period={PERIOD}")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="committee-pack-2026-03.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    north = {
        r["column"]: r["value"]
        for r in rows
        if r["table"] == "CUC1 - Cuckooing concerns" and r["row"] == "North locality team"
    }
    assert north["12 months to Mar 2026"] == "fewer than 5"  # 3 on the lead's screen
    assert north["Difference"] == "[c]"  # 3 - 0 would give it away
    corby = {r["column"]: r["value"] for r in rows if r["row"] == "Corby"}
    assert corby == {
        "12 months to Mar 2026": "2,483",
        "12 months before": "2,960",
        "Difference": "-477",
        "% difference": "-16.1%",
    }


@pytest.mark.django_db
def test_the_xlsx_opens_and_has_the_figures_with_small_counts_suppressed(client, world):
    response = _get(client, world, "auditor", f"/reports/committee-pack/xlsx/?period={PERIOD}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Indicators"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    corby = next(r for r in rows if r[0] == "Corby")
    assert corby[1:5] == [2483, 2960, -477, Decimal("-16.1")] or corby[1:5] == [
        2483, 2960, -477, -16.1,
    ]  # fmt: skip
    south = next(r for r in rows if r[0] == "South locality team")
    assert south[1] == "fewer than 5"  # 1 concern
    assert book.sheetnames == [
        "Indicators", "Reviews and CCTV", "Community Trigger", "Emerging risks",
    ]  # fmt: skip
    # The reporting year to the end of the period, like the Community Trigger return's.
    assert book["Reviews and CCTV"]["A2"].value == (
        "Domestic Homicide Reviews and CCTV, 1 April 2025 to 31 March 2026"
    )


@pytest.mark.django_db
def test_the_pdf_is_tagged_and_suppressed(client, world):
    response = _get(client, world, "auditor", f"/reports/committee-pack/pdf/?period={PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root  # tagged
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title.startswith("Community Safety Partnership performance")
    text = "".join(page.extract_text() for page in reader.pages)
    assert "2,483" in text
    assert "fewer than 5" in text


@pytest.mark.django_db
def test_the_indicator_pages(client, world):
    page = _get(client, world, "analyst", f"/reports/indicators/?period={PERIOD}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "ASB1" in text
    assert "Green" in text
    client.logout()
    detail = _get(client, world, "lead", f"/reports/indicators/ASB1/?period={PERIOD}")
    text = detail.content.decode()
    assert 'role="img"' in text
    assert "<desc" in text
    assert "Data for the chart" in text
    assert "ASB1: 2,483 in the 12 months to Mar 2026" in text
    client.logout()
    assert _get(client, world, "frontline", "/reports/indicators/").status_code == 403


@pytest.mark.django_db
def test_the_upload_page_lists_the_bad_rows_and_imports_nothing(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    analyst = _client(client, world["analyst"])
    upload = SimpleUploadedFile(
        "values.csv", b"indicator,month,area,value\nASB1,2026-02,Corby,200\nASB1,2026-02,Oz,5\n"
    )
    response = analyst.post("/reports/indicators/manage/upload/", {"values_file": upload})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was imported" in text
    assert "Oz is not a district of ASB1" in text
    assert not IndicatorValue.objects.filter(month=date(2026, 2, 1)).exists()
    good = SimpleUploadedFile("values.csv", b"indicator,month,area,value\nASB1,2026-02,Corby,200\n")
    response = analyst.post("/reports/indicators/manage/upload/", {"values_file": good})
    assert response.status_code == 302
    assert IndicatorValue.objects.get(month=date(2026, 2, 1)).value == 200


@pytest.mark.django_db
def test_defining_an_indicator_by_form(client, world):
    admin = _client(client, world["administrator"])
    response = admin.post(
        "/reports/indicators/manage/new/",
        {"code": "IPV2", "name": "Repeat victims of domestic abuse", "unit": "percent",
         "target": "30", "direction": "lower", "amber_tolerance_percent": "5",
         "breakdown": "district", "source": ""},
    )  # fmt: skip
    assert response.status_code == 302
    response = admin.post("/reports/indicators/manage/new/", {"code": "bad code!"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


@pytest.mark.django_db
def test_the_emerging_risks_are_the_leads_teams_and_exact_only_on_their_screen(client, world):
    """The four cuckooing concerns were recorded (state history) today: north's three
    are the lead's; the south one is not. Published, three is "fewer than 5"."""
    this_month = f"{timezone.localdate():%Y-%m}"
    page = _get(client, world, "lead", f"/reports/committee-pack/?period={this_month}")
    text = page.content.decode()
    assert "Community Trigger, 1 April" in text
    row = text.split("Cuckooing concerns raised</th>")[1].split("</tr>")[0]
    assert ">3</td>" in row
    response = client.get(f"/reports/committee-pack/csv/?period={this_month}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    (published,) = [r for r in rows if r["row"] == "Cuckooing concerns raised"]
    assert published["value"] == "fewer than 5"
    client.logout()
    page = _get(client, world, "auditor", f"/reports/committee-pack/?period={this_month}")
    row = page.content.decode().split("Cuckooing concerns raised</th>")[1].split("</tr>")[0]
    assert ">4</td>" in row  # every team's, exact: an auditor may see the cases
    client.logout()
    page = _get(client, world, "analyst", f"/reports/committee-pack/?period={this_month}")
    row = page.content.decode().split("Cuckooing concerns raised</th>")[1].split("</tr>")[0]
    assert ">fewer than 5</td>" in row  # an analyst sees no case


@pytest.mark.django_db
def test_the_pack_takes_the_same_number_of_queries_however_many_indicators(world):
    """One query for every entered value and one a computed source, whatever the number
    of indicators, months or areas (issue 21, part 7)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.pack import committee_pack

    analyst = world["analyst"]

    def queries() -> int:
        fresh = type(analyst).objects.get(pk=analyst.pk)  # no cached roles or teams
        with CaptureQueriesContext(connection) as captured:
            committee_pack(fresh, date(2026, 3, 1))
        return len(captured)

    before = queries()
    for n in range(2, 7):
        indicator = indicator_save(
            actor=analyst,
            data={
                "code": f"VIO{n}", "name": f"Violence {n}", "unit": "percent",
                "target": Decimal(50), "direction": "higher", "amber_tolerance_percent": 5,
                "breakdown": "district", "source": "",
            },
        )  # fmt: skip
        for month in range(1, 13):
            IndicatorValue.objects.create(
                indicator=indicator, month=date(2025, month, 1), area="Kettering",
                value=Decimal("51.5"), entered_by=analyst,
            )  # fmt: skip
    assert queries() == before
