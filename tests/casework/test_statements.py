"""Statements compiled once per key (casework.statements) give exactly what their
``QuerySet`` gives through the ORM: the same rows, names and conversions, at each use's
own times; nothing is built again for a key already seen, and a query whose time could
not be replaced is never kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from casework import statements
from casework.counting import capped_count
from casework.models import Case
from casework.services import team_ensure


@pytest.fixture(autouse=True)
def _nothing_kept():
    statements.clear()
    yield
    statements.clear()


@pytest.fixture
def cases(db, django_user_model):
    team = team_ensure(slug="north", name="North locality team")
    raiser = django_user_model.objects.create(username="raiser")
    start = timezone.now() - timedelta(days=10)
    return [
        Case.objects.create(
            reference=f"SC-T-{n}",
            case_type="cuckooing",
            state="concern_raised",
            team=team,
            summary=f"Summary {n}",
            raised_at=start + timedelta(days=n),
            details={"a": [n]},
            raised_by=raiser,
        )
        for n in range(6)
    ]


class Counted:
    """A builder that counts how often it is called."""

    def __init__(self, build):
        self.build = build
        self.calls = 0

    def __call__(self, *times):
        self.calls += 1
        return self.build(*times)


def raised_between(start, end):
    return (
        Case.objects.filter(raised_at__gte=start, raised_at__lt=end)
        .annotate(team_name=F("team__name"))
        .order_by("raised_at")
        .values("reference", "raised_at", "team_name", "details")
    )


@pytest.mark.django_db
def test_rows_names_and_conversions_are_the_orms_at_each_uses_own_times(cases):
    build = Counted(raised_between)
    for days in (2, 4, 5):
        start, end = cases[0].raised_at, cases[0].raised_at + timedelta(days=days)
        kept = statements.compiled_values("between", build, (start, end))
        assert kept == list(raised_between(start, end))
        assert len(kept) == days
        assert kept[1]["details"] == {"a": [1]}  # converted from the database's JSON
        assert kept[0]["team_name"] == "North locality team"
    assert build.calls == 2  # built and compiled once with each set of stand-ins, run three times


@pytest.mark.django_db
def test_a_count_stops_at_its_cap_as_capped_count_does(cases):
    def everything():
        return Case.objects.filter(team__slug="north")

    for cap in (2, 6, 10):
        assert statements.compiled_count("all", everything, cap=cap) == capped_count(
            everything(), cap
        )
    assert statements.compiled_count("all", everything, cap=2) == (2, True)
    assert statements.compiled_count("all", everything, cap=6) == (6, False)


@pytest.mark.django_db
def test_a_query_that_can_match_nothing_gives_nothing(cases):
    build = Counted(lambda: Case.objects.none().values("pk"))
    assert statements.compiled_values("none", build) == []
    assert statements.compiled_values("none", build) == []
    assert statements.compiled_count("none", lambda: Case.objects.none()) == (0, False)
    assert build.calls == 1


@pytest.mark.django_db
def test_a_time_turned_into_a_date_is_never_kept_and_runs_through_the_orm(cases):
    def raised_by_day(day):
        return Case.objects.filter(raised_at__date__lte=day).values("reference")

    build = Counted(raised_by_day)
    for n in (1, 3):
        day = cases[n].raised_at
        assert statements.compiled_values("by day", build, (day,)) == list(raised_by_day(day))
        assert len(statements.compiled_values("by day", build, (day,))) == n + 1
    assert build.calls == 5  # once with the stand-in, then every use: nothing kept


@pytest.mark.django_db
def test_another_key_is_another_statement(cases):
    """The key names what the query is built from: a query of another team under another
    key is compiled afresh, never served the first one's statement."""
    south = team_ensure(slug="south", name="South locality team")
    Case.objects.filter(pk=cases[0].pk).update(team=south)

    def of(slug):
        return lambda: Case.objects.filter(team__slug=slug).values("reference")

    assert len(statements.compiled_values(("team", "north"), of("north"))) == 5
    assert statements.compiled_values(("team", "south"), of("south")) == [{"reference": "SC-T-0"}]


@pytest.mark.django_db
def test_only_a_values_query_is_taken(cases):
    with pytest.raises(TypeError):
        statements.compiled_values("models", lambda: Case.objects.all())


@pytest.mark.django_db
def test_off_every_use_builds_its_query_as_django_does(cases):
    build = Counted(raised_between)
    start, end = cases[0].raised_at, cases[-1].raised_at
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        first = statements.compiled_values("between", build, (start, end))
        assert statements.compiled_values("between", build, (start, end)) == first
    assert build.calls == 2
    assert first == statements.compiled_values("between", build, (start, end))


@pytest.mark.django_db
def test_an_id_given_at_each_use_reads_that_rows(cases):
    build = Counted(lambda pk: Case.objects.filter(pk=pk).values("reference", "team__slug"))
    for case in cases:
        assert statements.compiled_values("one case", build, (case.pk,)) == [
            {"reference": case.reference, "team__slug": "north"}
        ]
    assert build.calls == 2  # the two sets of stand-ins, once


@pytest.mark.django_db
def test_an_id_turned_into_text_is_never_kept(cases):
    def ending(n):
        return Case.objects.filter(reference__endswith=f"-{n}").values("reference")

    build = Counted(ending)
    for n in (1, 4):
        assert statements.compiled_values("ending", build, (n,)) == [{"reference": f"SC-T-{n}"}]
    assert build.calls == 3  # a stand-in once, then every use through the ORM


@pytest.mark.django_db
def test_only_times_and_ids_are_given(cases):
    with pytest.raises(TypeError):
        statements.compiled_values("text", lambda r: Case.objects.values("pk"), ("SC-T-1",))
