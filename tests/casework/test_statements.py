"""Statements compiled once per key (casework.statements) give exactly what their
``QuerySet`` gives through the ORM: the same rows, names and conversions, at each use's
own times; nothing is built again for a key already seen, and a query whose time could
not be replaced is never kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import statements
from casework.counting import capped_count
from casework.models import Case
from casework.services import team_ensure
from config import inserts


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
def test_a_column_is_the_orms_flat_values_list_kept_or_not(cases):
    def details_since(start):
        return Case.objects.filter(raised_at__gte=start).order_by("-raised_at").values("details")

    build = Counted(details_since)
    for days in (1, 3):
        start = cases[-1].raised_at - timedelta(days=days)
        expected = list(
            Case.objects.filter(raised_at__gte=start)
            .order_by("-raised_at")
            .values_list("details", flat=True)
        )
        assert statements.compiled_column("since", build, (start,)) == expected
        with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
            assert statements.compiled_column("since", details_since, (start,)) == expected
    assert expected[0] == {"a": [5]}  # converted from the database's JSON
    assert build.calls == 2  # compiled once (with each set of stand-ins), run twice
    assert statements.compiled_column("none", lambda: Case.objects.none().values("pk")) == []
    with pytest.raises(TypeError):
        statements.compiled_column("two", lambda: Case.objects.values("pk", "reference"))


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
def test_an_id_the_orm_adapts_to_its_columns_type_is_given_at_each_use(cases):
    """An integer the ORM gives its column's type (psycopg's ``Int4`` for an
    ``IntegerField`` value) is still a value given at each use: the statement is kept,
    and each use answers with its own value, of that type."""
    from django.db.models import IntegerField, Value
    from psycopg.types.numeric import Int4

    def numbered(n):
        annotated = Case.objects.annotate(n=Value(n, output_field=IntegerField()))
        return annotated.filter(n__lte=F("pk") + n).order_by("pk").values("reference", "n")[:1]

    sql, params = numbered(3).query.sql_with_params()
    assert any(type(p) is Int4 for p in params)  # what the ORM gives such a value
    build = Counted(numbered)
    for n in (3, 7, 11):
        assert statements.compiled_values("numbered", build, (n,)) == list(numbered(n))
        assert statements.compiled_values("numbered", build, (n,))[0]["n"] == n
    assert build.calls == 2  # the two sets of stand-ins, once: kept


@pytest.mark.django_db
def test_an_id_turned_into_text_is_never_kept(cases):
    def ending(n):
        return Case.objects.filter(reference__endswith=f"-{n}").values("reference")

    build = Counted(ending)
    for n in (1, 4):
        assert statements.compiled_values("ending", build, (n,)) == [{"reference": f"SC-T-{n}"}]
    assert build.calls == 3  # a stand-in once, then every use through the ORM


@pytest.mark.django_db
def test_only_times_ids_and_texts_are_given(cases):
    for value in (cases[0].raised_at.date(), 1.5, True, None):
        with pytest.raises(TypeError):
            statements.compiled_values("other", lambda v: Case.objects.values("pk"), (value,))


@pytest.mark.django_db
def test_a_text_given_at_each_use_reads_that_rows(cases):
    build = Counted(lambda ref: Case.objects.filter(reference=ref).values("pk"))
    for case in cases:
        assert statements.compiled_values("by ref", build, (case.reference,)) == [{"pk": case.pk}]
    assert statements.compiled_values("by ref", build, ("SC-T-99",)) == []
    assert build.calls == 2  # the two sets of stand-ins, once


@pytest.mark.django_db
def test_a_text_turned_into_a_pattern_or_changed_is_never_kept(cases):
    def containing(text):
        return Case.objects.filter(reference__contains=text).values("reference")

    def upper(text):
        return Case.objects.filter(reference=text.upper()).values("reference")

    for key, build in (("contains", Counted(containing)), ("upper", Counted(upper))):
        for text in ("t-1", "sc-t-4"):
            found = statements.compiled_values(key, build, (text,))
            assert found == list(build.build(text))
        assert [row["reference"] for row in found] == (["SC-T-4"] if key == "upper" else [])
        assert build.calls > 2  # never kept: every use through the ORM


def with_team(ref):
    return (
        Case.objects.select_related("team", "raised_by")
        .annotate(team_name=F("team__name"))
        .filter(reference__in=[ref, "SC-T-2"])
        .order_by("pk")
    )


@pytest.mark.django_db
def test_objects_are_the_orms_with_what_select_related_joins(cases, django_assert_num_queries):
    build = Counted(with_team)
    for case in cases[:4]:
        kept = statements.compiled_objects("with team", build, (case.reference,))
        orm = list(with_team(case.reference))
        assert [c.pk for c in kept] == [c.pk for c in orm]
        for mine, theirs in zip(kept, orm, strict=True):
            assert {f.attname: getattr(mine, f.attname) for f in Case._meta.concrete_fields} == {
                f.attname: getattr(theirs, f.attname) for f in Case._meta.concrete_fields
            }
            assert mine.details == theirs.details  # JSON converted
            assert mine.team_name == "North locality team"  # an annotation
            assert not mine._state.adding
            assert mine._state.db == "default"
        with django_assert_num_queries(0):  # what select_related joined is there
            assert {c.team.slug for c in kept} == {"north"}
            assert {c.raised_by.username for c in kept} == {"raiser"}
    assert build.calls == 2


@pytest.mark.django_db
def test_objects_can_be_saved_as_the_orms_can(cases):
    found = statements.compiled_objects(
        "one", lambda pk: Case.objects.filter(pk=pk), (cases[1].pk,)
    )
    found[0].summary = "Changed"
    found[0].save(update_fields=["summary"])
    assert Case.objects.get(pk=cases[1].pk).summary == "Changed"


@pytest.mark.django_db
def test_objects_refuse_a_related_managers_query_or_a_prefetch(cases):
    team = cases[0].team
    for build in (
        lambda: team.cases.all(),
        lambda: Case.objects.prefetch_related("team"),
        lambda: Case.objects.values("pk"),
    ):
        with pytest.raises(TypeError):
            statements.compiled_objects("refused", build)
    with pytest.raises(TypeError):
        statements.compiled_values("models", lambda: Case.objects.all())
    with pytest.raises(TypeError):
        statements.compiled_values("locked values", lambda: Case.objects.select_for_update())


def locked(pk):
    return Case.objects.select_for_update(of=("self",)).select_related("team").filter(pk=pk)


@pytest.mark.django_db
def test_a_lock_is_taken_at_each_use_as_the_orm_takes_it(cases):
    build = Counted(locked)
    for case in cases[:3]:
        with CaptureQueriesContext(connection) as ran:
            found = statements.compiled_objects("locked", build, (case.pk,))
        assert [(c.pk, c.team.slug) for c in found] == [(case.pk, "north")]
        assert [q["sql"] for q in ran] == [str(locked(case.pk).query)]
        assert ran[0]["sql"].endswith('FOR UPDATE OF "casework_case"')
    assert build.calls == 2


@pytest.mark.django_db(transaction=True)
def test_a_kept_lock_outside_a_transaction_is_refused_as_django_refuses_it(cases):
    with transaction.atomic():
        statements.compiled_objects("locked", locked, (cases[0].pk,))  # kept
    for _ in range(2):
        with pytest.raises(TransactionManagementError):
            statements.compiled_objects("locked", locked, (cases[1].pk,))
    with pytest.raises(TransactionManagementError):
        list(locked(cases[1].pk))


@pytest.mark.django_db(transaction=True)
def test_a_kept_lock_holds_another_transaction_until_the_first_ends(cases):
    """Another connection's ``NOWAIT`` lock of the row fails while the kept statement's
    transaction holds it, and succeeds after."""
    pk = cases[2].pk
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            statements.compiled_objects("locked", locked, (pk,))
            with pytest.raises(OperationalError), other.cursor() as cursor:
                cursor.execute("SELECT id FROM casework_case WHERE id = %s FOR UPDATE NOWAIT", [pk])
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM casework_case WHERE id = %s FOR UPDATE NOWAIT", [pk])
            assert cursor.fetchone() == (pk,)
    finally:
        other.close()


@pytest.mark.django_db
def test_objects_off_are_built_by_django(cases):
    build = Counted(lambda ref: Case.objects.filter(reference=ref))
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        for _ in range(3):
            assert [c.pk for c in statements.compiled_objects("o", build, ("SC-T-3",))] == [
                cases[3].pk
            ]
    assert build.calls == 3


# Written-out inserts (config.inserts.insert_rows) -----------------------------------------


def test_inserted_rows_read_back_as_bulk_create_writes_them(cases):
    """The same rows through ``insert_rows`` and through ``bulk_create`` read back equal,
    JSON included, and the ids come back in the rows' order, over several batches."""
    from casework.models import PossibleMatch

    now = timezone.now()
    first, *others = cases
    reasons = [["same name"], ["same name", "same date of birth"], [], ['ü "quoted"'], ["x"]]
    fields = ("case_id", "matched_case_id", "reasons", "found_at", "tell_leads")
    rows = [
        [first.pk, other.pk, reason, now - timedelta(minutes=n), n % 2 == 0]
        for n, (other, reason) in enumerate(zip(others, reasons, strict=True))
    ]
    ids = inserts.insert_rows(PossibleMatch, fields, rows, batch=2)
    assert len(ids) == len(rows)
    written = {
        m.pk: (m.case_id, m.matched_case_id, m.reasons, m.found_at, m.tell_leads, m.leads_told_at)
        for m in PossibleMatch.objects.filter(pk__in=ids)
    }
    assert [written[pk] for pk in ids] == [(*row, None) for row in rows]

    PossibleMatch.objects.all().delete()
    made = PossibleMatch.objects.bulk_create(
        [PossibleMatch(**dict(zip(fields, row, strict=True))) for row in rows]
    )
    assert [
        (m.case_id, m.matched_case_id, m.reasons, m.found_at, m.tell_leads, m.leads_told_at)
        for m in PossibleMatch.objects.filter(pk__in=[m.pk for m in made]).order_by("pk")
    ] == [written[pk] for pk in ids]


def test_an_insert_is_all_or_nothing_and_refuses_a_short_row(cases):
    from django.db import IntegrityError

    from casework.models import PossibleMatch

    now = timezone.now()
    fields = ("case_id", "matched_case_id", "reasons", "found_at", "tell_leads")
    with pytest.raises(ValueError, match="a row of 4 values for 5 fields"):
        inserts.insert_rows(PossibleMatch, fields, [[cases[0].pk, cases[1].pk, [], now]])
    duplicate = [cases[0].pk, cases[1].pk, [], now, False]
    with pytest.raises(IntegrityError), transaction.atomic():
        inserts.insert_rows(PossibleMatch, fields, [duplicate, duplicate])
    assert not PossibleMatch.objects.exists()


@pytest.mark.django_db
def test_a_list_built_later_is_built_only_when_the_orm_reads_it(cases):
    """A kept list made from a ``Later`` reads its pages and count through its
    statements without building its own query; read by the ORM (whole, or filtered),
    its query is built once, with the columns chosen before; a query built later that
    has no order is refused."""
    from casework.counting import CappedPaginator, Later

    def newest(at):
        return Case.objects.filter(raised_at__lte=at).select_related("team").order_by("-pk")

    now = timezone.now()
    later = Counted(lambda: newest(now))
    kept = statements.kept_list(Later(Case, later), "newest", newest, [now]).defer("details")
    paginator = CappedPaginator(kept, 4, page=2)
    assert [c.reference for c in paginator.page(2)] == ["SC-T-1", "SC-T-0"]
    assert (paginator.count, later.calls) == (6, 0)
    assert [c.reference for c in CappedPaginator(kept.all(), 4).page(1)][0] == "SC-T-5"
    assert later.calls == 0
    whole = list(kept)
    assert ([c.reference for c in whole][:2], later.calls) == (["SC-T-5", "SC-T-4"], 1)
    assert whole[0].get_deferred_fields() == {"details"}
    assert list(kept.filter(reference="SC-T-3")) == [cases[3]]
    assert later.calls == 1  # built once
    other = statements.kept_list(Later(Case, later), "newest", newest, [now])
    other = other.only("reference", "team")
    found = list(other.filter(reference__in=["SC-T-2", "SC-T-4"]))
    assert [c.reference for c in found] == ["SC-T-4", "SC-T-2"]
    assert "summary" in found[0].get_deferred_fields()
    unordered = Later(Case, lambda: Case.objects.order_by())
    with pytest.raises(TypeError, match="ordered"):
        list(statements.kept_list(unordered, "unordered", lambda at: newest(at), [now]))


# Lookups kept prepared on the server (prepared_cursor) --------------------------------------


def prepared_on(conn) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE from_sql = false")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_prepared_lookup_is_prepared_once_and_reads_what_the_orm_reads(cases):
    build = Counted(with_team)
    for case in cases:
        kept = statements.compiled_objects("prepared", build, (case.reference,), prepared=True)
        orm = list(with_team(case.reference))
        assert [
            ({f.attname: getattr(c, f.attname) for f in Case._meta.concrete_fields}, c.team_name)
            for c in kept
        ] == [
            ({f.attname: getattr(c, f.attname) for f in Case._meta.concrete_fields}, c.team_name)
            for c in orm
        ]
        rows = statements.compiled_values(
            "prepared values", raised_between, (case.raised_at, timezone.now()), prepared=True
        )
        assert rows == list(raised_between(case.raised_at, timezone.now()))
    assert build.calls == 2
    on_server = [s for s in prepared_on(connection) if "casework_case" in s]
    # Each prepared once on the connection, whatever the values given since.
    assert len(on_server) == 2
    assert all("$1" in s for s in on_server)


@pytest.mark.django_db
def test_a_lookup_not_asked_to_be_prepared_is_not(cases):
    for case in cases[:3]:
        statements.compiled_objects("plain", with_team, (case.reference,))
    assert [s for s in prepared_on(connection) if "casework_case" in s] == []


@pytest.mark.django_db
def test_a_prepared_lookup_is_logged_with_its_values_in_place(cases):
    statements.compiled_objects("prepared", with_team, (cases[0].reference,), prepared=True)
    with CaptureQueriesContext(connection) as ran:
        statements.compiled_objects("prepared", with_team, (cases[3].reference,), prepared=True)
    with CaptureQueriesContext(connection) as orm:
        list(with_team(cases[3].reference))
    assert [q["sql"] for q in ran] == [q["sql"] for q in orm]
    assert "IN ('SC-T-3', 'SC-T-2')" in ran[0]["sql"]
    assert float(ran[0]["time"]) >= 0
    # Marked, so that the bench's replay sends it prepared as the page did; the ORM's not.
    assert ran[0]["prepared"] is True
    assert "prepared" not in orm[0]


@pytest.mark.django_db(transaction=True)  # its connection is closed and opened again
def test_a_prepared_lookup_is_not_prepared_where_preparing_is_off(cases, settings):
    """DATABASE_PREPARED_STATEMENTS=false: psycopg's threshold is Django's default, None."""
    connection.close()
    options = settings.DATABASES["default"]["OPTIONS"]
    old = options.pop("prepare_threshold", None)
    try:
        for case in cases[:3]:
            found = statements.compiled_objects(
                "prepared", with_team, (case.reference,), prepared=True
            )
            assert [c.pk for c in found] == [c.pk for c in with_team(case.reference)]
        assert [s for s in prepared_on(connection) if "casework_case" in s] == []
        with CaptureQueriesContext(connection) as ran:
            statements.compiled_objects("prepared", with_team, (cases[0].reference,), prepared=True)
        assert ran[0]["prepared"] is False
    finally:
        connection.close()
        if old is not None:
            options["prepare_threshold"] = old


@pytest.mark.django_db
def test_every_page_reads_the_session_user_and_access_facts_prepared(client, django_user_model):
    user = django_user_model.objects.create_user("prepared.user", password="x" * 16)
    client.force_login(user)
    for _ in range(2):
        client.get("/accessibility/")
    on_server = prepared_on(connection)
    assert any("django_session" in s for s in on_server)
    assert any("auth_user" in s and "session" not in s for s in on_server)
    assert any("UNION ALL" in s for s in on_server)  # the access facts
