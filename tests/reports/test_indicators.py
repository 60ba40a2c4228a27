"""Performance indicators (issue 21, part 4): the status at the edges of the amber band,
the committee's rolling comparison, and a CSV upload that is all or nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent, Case
from casework.roles import Role
from reports.charts import line_chart
from reports.indicator_services import (
    CsvImportError,
    indicator_save,
    indicator_value_enter,
    indicator_values_import,
)
from reports.indicators import Comparison, Rag, indicator_reports, rag_status
from reports.models import Indicator, IndicatorValue
from tests.workflows.test_intake_pages import INTAKE_OVERRIDES
from tests.workflows.walker import default_raise
from workflows.registry import WORKFLOWS


def _rag(value: str, target: str, direction: str, tolerance: str = "5") -> Rag:
    return rag_status(
        Decimal(value), target=Decimal(target), direction=direction,
        tolerance_percent=Decimal(tolerance),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000", Rag.GREEN),  # on target
        ("1000.01", Rag.AMBER),  # just worse
        ("1050", Rag.AMBER),  # exactly 5% worse: the band's edge is amber
        ("1050.01", Rag.RED),  # just beyond it
        ("999", Rag.GREEN),  # better
    ],
)
def test_lower_is_better_status_at_the_tolerance_edges(value, expected):
    assert _rag(value, "1000", "lower") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("80", Rag.GREEN),
        ("79.99", Rag.AMBER),
        ("76", Rag.AMBER),  # exactly 5% of 80 below
        ("75.99", Rag.RED),
        ("95", Rag.GREEN),
    ],
)
def test_higher_is_better_status_at_the_tolerance_edges(value, expected):
    assert _rag(value, "80", "higher") == expected


def test_no_tolerance_means_anything_worse_is_red():
    assert _rag("100", "100", "lower", "0") == Rag.GREEN
    assert _rag("100.01", "100", "lower", "0") == Rag.RED


def test_the_committee_format():
    line = Comparison("Corby", Decimal(2483), Decimal(2960), "count")
    assert line.difference == -477
    assert line.percent_difference == Decimal("-16.1")
    assert line.text() == "Corby 2,483 vs 2,960, -477, -16.1%"
    assert Comparison("Kettering", Decimal(110), Decimal(100), "count").text() == (
        "Kettering 110 vs 100, +10, +10.0%"
    )
    # Nothing the year before: no percentage to give.
    assert Comparison("Corby", Decimal(5), Decimal(0), "count").text() == "Corby 5 vs 0, +5"
    assert Comparison("Corby", None, Decimal(3), "count").text() == "Corby no data vs 3"
    # Between two percentages: the difference in points, then the percentage difference.
    assert Comparison("Corby", Decimal("57.7"), Decimal("54.9"), "percent").text() == (
        "Corby 57.7% vs 54.9%, +2.8 points, +5.1%"
    )


@pytest.fixture
def analyst(make_user):
    return make_user("analyst", Role.ANALYST)


@pytest.fixture
def asb1(analyst):
    return indicator_save(
        actor=analyst,
        data={
            "code": "asb1", "name": "Police-recorded anti-social behaviour incidents",
            "unit": "count", "target": Decimal(10000), "direction": "lower",
            "amber_tolerance_percent": Decimal(5), "breakdown": "district", "source": "",
        },
    )  # fmt: skip


@pytest.mark.django_db
def test_rolling_twelve_months_against_the_twelve_before(asb1, analyst):
    # Corby: 2,960 incidents from April 2024 to March 2025, 2,483 in the 12 months after.
    for n in range(24):
        month = date(2024 + (3 + n) // 12, (3 + n) % 12 + 1, 1)  # Apr 2024 .. Mar 2026
        current = n >= 12
        value = (206 if n < 23 else 217) if current else (246 if n < 11 else 254)
        IndicatorValue.objects.create(
            indicator=asb1, month=month, area="Corby", value=value, entered_by=analyst
        )
    (report,) = indicator_reports([asb1], period=date(2026, 3, 1))
    corby = next(r for r in report.rows if r.area == "Corby")
    assert (corby.current, corby.previous) == (2483, 2960)
    assert corby.text() == "Corby 2,483 vs 2,960, -477, -16.1%"
    kettering = next(r for r in report.rows if r.area == "Kettering")
    assert kettering.text() == "Kettering no data vs no data"
    assert report.total.current == 2483
    assert report.status == Rag.GREEN  # 2,483 against a target of 10,000, lower is better
    assert len(report.trend) == 24
    assert report.trend[0] == (date(2024, 4, 1), Decimal(246))


@pytest.mark.django_db
def test_a_computed_indicator_counts_cases_and_a_lead_sees_their_teams_only(make_user, analyst):
    frontline = {t: make_user(f"frontline.{t}", Role.FRONTLINE, [t]) for t in ("north", "south")}
    raise_ = {t: default_raise(WORKFLOWS["cuckooing"], frontline[t]) for t in frontline}
    tz = timezone.get_current_timezone()
    for team, when in [
        ("north", datetime(2026, 3, 31, 23, 30, tzinfo=tz)),  # UK time: still March
        ("north", datetime(2025, 6, 1, 9, tzinfo=tz)),
        ("south", datetime(2026, 1, 5, 9, tzinfo=tz)),
        ("south", datetime(2026, 4, 1, 0, 30, tzinfo=tz)),  # after the period
    ]:
        case = raise_[team](INTAKE_OVERRIDES.get("cuckooing", {}))
        Case.objects.filter(pk=case.pk).update(raised_at=when)
    indicator = indicator_save(
        actor=analyst,
        data={
            "code": "CUC1", "name": "Cuckooing concerns", "unit": "count",
            "target": Decimal(2), "direction": "higher", "amber_tolerance_percent": 5,
            "breakdown": "team", "source": "cuckooing_concerns",
        },
    )  # fmt: skip
    (everyone,) = indicator_reports([indicator], period=date(2026, 3, 1))
    assert {r.area: r.current for r in everyone.rows} == {
        "North locality team": 2,
        "South locality team": 1,
    }
    assert everyone.total.current == 3
    assert everyone.status == Rag.GREEN
    assert everyone.trend[-1] == (date(2026, 3, 1), 1)
    (lead_view,) = indicator_reports([indicator], period=date(2026, 3, 1), team_slugs={"north"})
    assert [r.area for r in lead_view.rows] == ["North locality team"]
    assert lead_view.total.current == 2
    assert lead_view.status is None  # the target is the whole partnership's


@pytest.mark.django_db
def test_a_csv_with_a_bad_row_imports_nothing_and_names_each_problem(asb1, analyst):
    IndicatorValue.objects.create(
        indicator=asb1, month=date(2026, 1, 1), area="Corby", value=1, entered_by=analyst
    )
    content = (
        b"indicator,month,area,value\n"
        b"ASB1,2026-01,Corby,210\n"
        b"ASB1,2026-13,Corby,12.5\n"
        b"ASB9,2026-02,Corby,1\n"
        b"ASB1,2026-02,Narnia,-3\n"
        b"ASB1,2026-01,corby,211\n"
    )
    with pytest.raises(CsvImportError) as caught:
        indicator_values_import(actor=analyst, content=content)
    problems = {(e.row, e.field): e.message for e in caught.value.errors}
    assert problems == {
        (3, "month"): "Enter the month as YYYY-MM, like 2026-03",
        (3, "value"): "A count must be a whole number",
        (4, "indicator"): "ASB9 is not an indicator",
        (5, "area"): "Narnia is not a district of ASB1",
        (5, "value"): "Value must be 0 or more",
        (6, "row"): "ASB1 Jan 2026 Corby is also in row 2",
    }
    # Nothing half-imported: the good row 2 did not overwrite January's value.
    assert list(IndicatorValue.objects.values_list("value", flat=True)) == [1]
    assert not AuditEvent.objects.filter(verb="reports.indicator_values_entered").exists()


@pytest.mark.django_db
def test_a_good_csv_imports_every_row_in_one_go(asb1, analyst):
    content = (
        "\ufeffindicator,month,area,value\nASB1,2026-01,Corby,210\n"
        'asb1,2026-01,Kettering,"1,204"\n\nASB1,2026-02,CORBY,190\n'
    ).encode()
    assert indicator_values_import(actor=analyst, content=content) == 3
    assert set(IndicatorValue.objects.values_list("area", "month", "value")) == {
        ("Corby", date(2026, 1, 1), 210),
        ("Kettering", date(2026, 1, 1), 1204),
        ("Corby", date(2026, 2, 1), 190),
    }
    assert AuditEvent.objects.filter(verb="reports.indicator_values_entered").count() == 1


@pytest.mark.django_db
def test_a_csv_with_the_wrong_header_or_no_values_is_refused(asb1, analyst):
    with pytest.raises(CsvImportError) as caught:
        indicator_values_import(actor=analyst, content=b"code,month,value\nASB1,2026-01,3\n")
    assert caught.value.errors[0].row == 1
    with pytest.raises(CsvImportError) as caught:
        indicator_values_import(actor=analyst, content=b"indicator,month,area,value\n")
    assert caught.value.errors[0].message == "The file has no values"
    with pytest.raises(CsvImportError):
        indicator_values_import(actor=analyst, content=b"\xff\xfe\x00bad")


@pytest.mark.django_db
def test_only_administrators_and_analysts_manage_indicators(asb1, make_user):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    with pytest.raises(PermissionDenied):
        indicator_value_enter(actor=lead, indicator=asb1, month="2026-01", area="Corby", value="3")
    with pytest.raises(PermissionDenied):
        indicator_values_import(actor=lead, content=b"indicator,month,area,value\n")
    admin = make_user("admin", Role.ADMINISTRATOR)
    entered = indicator_value_enter(
        actor=admin, indicator=asb1, month="2026-01", area="corby", value="3"
    )
    assert (entered.area, entered.value) == ("Corby", 3)


@pytest.mark.django_db
def test_a_computed_indicator_must_match_its_source(analyst):
    with pytest.raises(ValidationError) as caught:
        indicator_save(
            actor=analyst,
            data={
                "code": "X1", "name": "Wrong", "unit": "percent", "target": 1,
                "direction": "higher", "amber_tolerance_percent": 5,
                "breakdown": "district", "source": "concerns_raised",
            },
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"unit", "breakdown"}
    assert not Indicator.objects.exists()


def test_the_chart_is_an_accessible_svg_without_inline_styles():
    svg = line_chart(
        chart_id="asb1",
        title="ASB1 <trend>",
        description="Fell from 2,960 to 2,483.",
        labels=["Jan 2026", "Feb 2026", "Mar 2026"],
        values=[Decimal(3), None, Decimal(5)],
        target=Decimal(4),
    )
    assert 'role="img"' in svg
    assert 'aria-labelledby="asb1-title asb1-desc"' in svg
    assert '<title id="asb1-title">ASB1 &lt;trend&gt;</title>' in svg
    assert '<desc id="asb1-desc">Fell from 2,960 to 2,483.</desc>' in svg
    assert "style=" not in svg
    assert "<script" not in svg
    assert 'stroke-dasharray="6 4"' in svg  # the target line


@pytest.mark.django_db
def test_the_demo_indicators_load_once(make_user):
    import io

    from django.core.management import call_command

    make_user("admin", Role.ADMINISTRATOR)
    call_command("seed_indicators", stdout=io.StringIO())
    call_command("seed_indicators", stdout=io.StringIO())
    assert set(Indicator.objects.values_list("code", flat=True)) == {
        "ASB1", "VIO1", "CC1", "IPV2", "CUC1",
    }  # fmt: skip
    assert IndicatorValue.objects.count() == 4 * 4 * 24
