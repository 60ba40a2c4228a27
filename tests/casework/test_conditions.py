"""Visibility compiled once per user's facts (casework.conditions) reads exactly what the
same condition resolved by Django reads: at the top level, as a subquery, negated, inside
annotations, for every kind of user; and a second use builds nothing again."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from casework import conditions, selectors, statements
from casework.models import Case, CasePerson, Person
from casework.selectors import (
    case_access_for_user,
    case_content_list_for_user,
    case_full_list_for_user,
    case_get_for_user,
    case_list_for_user,
    person_cases_for_user,
    person_list_for_user,
)
from casework.services import case_access_grant, case_access_revoke
from tests.casework.test_selectors import cases, make_case, people  # noqa: F401 - fixtures
from workflows.case_search import case_search_for_user


@pytest.fixture
def world(people, cases):  # noqa: F811 - fixtures
    """The selectors' cases and people, with a person on each case, a case granted to a
    colleague, and a Domestic Homicide Review (a named compartment) named to one lead."""
    granted = make_case("SC-8", "cuckooing", "concern_raised", "north", people["lead"])
    assign_perm("casework.view_case", people["frontline_other"], granted)
    review = make_case("SC-9", "dhr", "death_notified", "north", people["lead"])
    assign_perm("casework.view_case", people["lead_south"], review)
    for case in Case.objects.all():
        person = Person.objects.create(given_names="Pat", family_name=case.reference)
        CasePerson.objects.create(case=case, person=person, role="subject")
    return people


def _opened(user, reference):
    """What opening a case by its reference gives: the case and what it joins, or 404."""
    try:
        case = case_get_for_user(user, reference)
    except Http404:
        return "404"
    return (case.pk, case.team.slug, case.raised_by.username, getattr(case.owner, "pk", None))


def _person_page(user, person_id):
    """What a person's page shows: the person, and their cases seen in full."""
    person, links = selectors.person_shown_for_user(user, person_id)
    # As the page read them before they were kept statements.
    before = person_list_for_user(user).filter(pk=person_id).first()
    full = case_full_list_for_user(user).values("pk")
    was = list(person_cases_for_user(user, before).filter(case__in=full)) if before else []
    assert (person, [link.pk for link in links]) == (before, [link.pk for link in was])
    return getattr(person, "pk", None), [link.case.reference for link in links]


def _reads(user):
    """Everything a user's visibility decides, read with whatever the setting says."""
    users_cases = Case.objects.order_by("pk")
    access = {case.reference: case_access_for_user(user, case) for case in users_cases}
    opened = {case.reference: _opened(user, case.reference) for case in users_cases}
    listed = case_search_for_user(user, {}, sort="state", order="asc")
    return {
        "list": list(case_list_for_user(user).order_by("pk").values_list("reference", flat=True)),
        "content": sorted(case_content_list_for_user(user).values_list("reference", flat=True)),
        "full": sorted(case_full_list_for_user(user).values_list("reference", flat=True)),
        "hidden": sorted(
            Case.objects.exclude(pk__in=case_list_for_user(user).values("pk")).values_list(
                "reference", flat=True
            )
        ),
        "exists": sorted(
            Case.objects.filter(
                Exists(case_full_list_for_user(user).filter(pk=OuterRef("pk")))
            ).values_list("reference", flat=True)
        ),
        "people": sorted(person_list_for_user(user).values_list("family_name", flat=True)),
        "access": {ref: (a.content, a.full) for ref, a in access.items()},
        "opened": {**opened, "SC-404": _opened(user, "SC-404")},
        "person pages": {p.pk: _person_page(user, p.pk) for p in Person.objects.order_by("pk")},
        "rows": [
            (c.reference, getattr(c, "full_content", True), c.has_overdue_deadline) for c in listed
        ],
        "filtered": sorted(
            case_search_for_user(user, {"state": "concern_raised", "overdue": "false"}).values_list(
                "reference", flat=True
            )
        ),
        "count": case_search_for_user(user, {}).count(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who",
    [
        "frontline", "frontline_other", "lead", "lead_south", "cleared", "cleared_south",
        "auditor", "cleared_auditor", "admin",
    ],
)  # fmt: skip
def test_compiled_visibility_reads_what_the_condition_reads(world, who):
    user = world[who]
    conditions.clear()
    statements.clear()
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        expected = _reads(user)
    compiled = _reads(user)
    again = _reads(user)  # from the cache this time
    assert compiled == expected
    assert again == expected
    assert expected["list"] or who == "admin"  # the comparison compares something
    assert set(expected["opened"].values()) != {"404"} or who == "admin"
    assert any(shown for _, shown in expected["person pages"].values()) or who == "admin"


@pytest.mark.django_db
def test_kept_statements_serve_every_user_their_own(world):
    """Statements kept across users, as in a worker: each user opens by reference and
    sees on a person's page what their own visibility gives (``_opened`` and
    ``_person_page`` compare with the ORM's reading as they go)."""
    statements.clear()
    for _ in range(2):
        for user in world.values():
            if not hasattr(user, "pk"):
                continue
            for person in Person.objects.order_by("pk"):
                _person_page(user, person.pk)
            listed = _listed(user)
            assert {ref for ref in ("SC-1", "SC-3") if _opened(user, ref) != "404"} == (
                listed & {"SC-1", "SC-3"}
            )


@pytest.mark.django_db
def test_the_same_sql_either_way(world):
    lead = world["lead"]
    conditions.clear()
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        plain = str(case_list_for_user(lead).query)
    assert str(case_list_for_user(lead).query) == plain
    assert str(case_list_for_user(lead).query) == plain
    # As a subquery the case table is aliased and the condition follows it.
    nested = str(Case.objects.filter(pk__in=case_list_for_user(lead).values("pk")).query)
    assert 'FROM "casework_case" U0 WHERE ((U0."raised_by_id" = ' in nested
    assert '"casework_case"."raised_by_id"' not in nested.split(" WHERE ", 1)[1]


@pytest.mark.django_db
def test_a_condition_whose_subquery_names_the_case_is_not_reused_as_text(world):
    """A correlated subquery would name the case table by an alias that a subquery's own
    aliases could shadow once the whole is nested: such a condition is compiled by Django
    each time."""
    lead = world["lead"]
    linked = Q(Exists(CasePerson.objects.filter(case=OuterRef("pk"), person__family_name="SC-1")))
    condition = conditions.case_condition(("test-correlated", lead.pk), lambda: linked)
    assert conditions._compile(linked) is False
    found = Case.objects.filter(pk__in=Case.objects.filter(condition).values("pk"))
    assert list(found.values_list("reference", flat=True)) == ["SC-1"]


@pytest.mark.django_db
def test_a_condition_is_built_once_per_users_facts(world, monkeypatch):
    built = []
    real = selectors._visibility_q

    def counting(user, *, as_raiser=True):
        built.append((user.pk, as_raiser))
        return real(user, as_raiser=as_raiser)

    monkeypatch.setattr(selectors, "_visibility_q", counting)
    conditions.clear()
    lead = world["lead"]
    first = list(case_list_for_user(lead).values_list("pk", flat=True))
    second = list(case_list_for_user(lead).values_list("pk", flat=True))
    assert first == second
    assert built == [(lead.pk, True)]
    # Another team means other facts, so another condition: never the lead's.
    south = world["lead_south"]
    assert set(case_list_for_user(south).values_list("pk", flat=True)).isdisjoint(
        set(first) - set(Case.objects.filter(reference="SC-9").values_list("pk", flat=True))
    )
    assert built == [(lead.pk, True), (south.pk, True)]


@pytest.mark.django_db
def test_a_change_of_team_is_a_change_of_condition(world, teams):
    """Facts are read per request (cached on the user object): a user who moves team
    sees the new team's cases on their next request, not the old condition."""
    from django.contrib.auth import get_user_model

    lead = world["lead"]
    conditions.clear()
    before = set(case_list_for_user(lead).values_list("reference", flat=True))
    lead.team_memberships.all().delete()
    lead.team_memberships.create(team=teams["south"])
    fresh = get_user_model().objects.get(pk=lead.pk)  # the next request's user
    after = set(case_list_for_user(fresh).values_list("reference", flat=True))
    assert "SC-1" in before
    assert "SC-1" not in after
    assert "SC-4" in after


def _listed(user):
    listed = set(case_list_for_user(user).values_list("reference", flat=True))
    opened = {ref for ref in Case.objects.values_list("reference", flat=True)
              if _opened(user, ref) != "404"}  # fmt: skip
    assert opened == listed  # a case is opened by its reference when, and only when, listed
    return listed


@pytest.mark.django_db
def test_a_grant_made_with_the_users_object_takes_effect_on_it_at_once(world):
    """Grants are facts of the condition, read once a request and cached on the user
    object; a grant made with that object (guardian's shortcut, or the service) makes
    it forget them, so the next read sees the case."""
    other = world["frontline_other"]
    conditions.clear()
    assert "SC-3" not in _listed(other)
    assign_perm("casework.view_case", other, Case.objects.get(reference="SC-3"))
    assert "SC-3" in _listed(other)
    case_access_grant(case=Case.objects.get(reference="SC-1"), actor=world["lead"], user=other)
    assert {"SC-1", "SC-3"} <= _listed(other)


@pytest.mark.django_db
def test_a_withdrawn_grant_hides_the_case_at_once(world):
    other = world["frontline_other"]
    case = Case.objects.get(reference="SC-3")
    case_access_grant(case=case, actor=world["lead"], user=other)
    assert "SC-3" in _listed(other)
    case_access_revoke(case=case, actor=world["lead"], user=other)
    assert "SC-3" not in _listed(other)
    fresh = get_user_model().objects.get(pk=other.pk)  # the next request's user
    assert "SC-3" not in _listed(fresh)


@pytest.mark.django_db
def test_a_group_grant_and_a_group_joined_take_effect(world):
    """A grant to a group reaches its members from their next request; joining the group
    (a role change, which forgets the cached roles) reaches them at once."""
    other = world["frontline_other"]
    group = Group.objects.create(name="Case review panel")
    assign_perm("casework.view_case", group, Case.objects.get(reference="SC-3"))
    assert "SC-3" not in _listed(other)
    other.groups.add(group)
    assert "SC-3" in _listed(other)
    assign_perm("casework.view_case", group, Case.objects.get(reference="SC-4"))
    fresh = get_user_model().objects.get(pk=other.pk)
    assert {"SC-3", "SC-4"} <= _listed(fresh)
    other.groups.remove(group)
    assert not {"SC-3", "SC-4"} & _listed(other)


@pytest.mark.django_db
def test_grants_are_one_array_of_ids_not_subqueries(world):
    """The list's query names no grant table: the user's grants are read once, before
    it, and given as one array (planning the grant subqueries, up to twelve in a page's
    query, took longer than running it: docs/performance.md)."""
    other = world["frontline_other"]
    granted = Case.objects.get(reference="SC-8")
    conditions.clear()
    with CaptureQueriesContext(connection) as reads:
        rows = list(case_search_for_user(other, {}))
    grant_reads = [q["sql"] for q in reads.captured_queries if "objectpermission" in q["sql"]]
    assert len(grant_reads) == 1
    assert [c.reference for c in rows] == ["SC-8"]
    page_sql = reads.captured_queries[-1]["sql"]
    assert "objectpermission" not in page_sql
    assert f"= ANY(('{{{granted.pk}}}'::bigint[])" in page_sql
    # Without a grant, the grant's part of the condition is not there at all.
    nobody = world["frontline"]
    with CaptureQueriesContext(connection) as reads:
        list(case_search_for_user(nobody, {}))
    assert "ANY(" not in reads.captured_queries[-1]["sql"]


@pytest.mark.django_db
def test_a_negated_condition_and_a_combined_one(world):
    lead = world["lead"]
    visible = selectors._visibility(lead)
    assert isinstance(visible, conditions.CaseCondition)
    inside = set(Case.objects.filter(visible).values_list("reference", flat=True))
    outside = set(Case.objects.filter(~visible).values_list("reference", flat=True))
    both = Case.objects.filter(Q(visible) & Q(case_type="cse"))
    both = set(both.values_list("reference", flat=True))
    # Rows whose owner is NULL are outside "owned by the lead", not in neither.
    assert Case.objects.filter(reference__in=outside, owner__isnull=True).exists()
    assert inside
    assert inside.isdisjoint(outside)
    assert inside | outside == set(Case.objects.values_list("reference", flat=True))
    assert both == {r for r in inside if Case.objects.get(reference=r).case_type == "cse"}


def _row_world(world):
    """The case SC-1 (raised by the frontline worker, seen by them in full while it is
    theirs) with its raised event and a referral sent to the police, and an overdue
    task on SC-3 (their lead's team)."""
    from django.db import transaction
    from django.utils import timezone

    from casework.audit import AuditVerb, audit_record
    from referrals.models import PartnerAgency, Referral
    from workflows.models import Deadline

    raised = Case.objects.get(reference="SC-1")
    with transaction.atomic():
        audit_record(
            actor=world["frontline"],
            verb=AuditVerb.CASE_RAISED,
            case=raised,
            target=raised,
            data={"inputs": {"summary": "As I raised it"}},
        )
    partner = PartnerAgency.objects.create(name="County police", kind="police")
    Referral.objects.create(
        case=raised, partner=partner, referral_type="mash_referral", content={},
        created_by=world["lead"], state="sent", sent_at=timezone.now(),
        authorised_by=world["lead"], consent_given=True,
    )  # fmt: skip
    now = timezone.now()
    late = Deadline.objects.create(
        case=Case.objects.get(reference="SC-3"), rule="t", label="Overdue task",
        unit="working_days", duration=5, started_at=now - timezone.timedelta(days=20),
        due_at=now - timezone.timedelta(days=2),
    )  # fmt: skip
    return late


def _rows(user, now=None):
    from workflows.case_search import has_overdue_deadline

    listed = case_search_for_user(user, {}, sort="reference", order="asc")
    if now is not None:
        listed = listed.annotate(has_overdue_deadline=has_overdue_deadline(now))
    return [
        (
            c.reference,
            getattr(c, "full_content", True),
            getattr(c, "raised_summary", None),
            getattr(c, "raiser_referred_to", None),
            c.has_overdue_deadline,
        )
        for c in listed
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "lead", "auditor"])
def test_row_subqueries_compiled_once_read_what_django_reads(world, who):
    """The summary as raised, the partner referred to and the overdue flag of each row,
    compiled once (``case_subquery``), are what Django's own subqueries read: at the top
    level, again from the cache, and nested in another query of cases."""
    _row_world(world)
    user = world[who]
    # The frontline worker sees SC-1 only as its raiser once it is allocated elsewhere.
    Case.objects.filter(reference="SC-1").update(owner=world["lead"])
    conditions.clear()
    with override_settings(SAFECASE_COMPILED_CONDITIONS=False):
        expected = _rows(user)
        nested_expected = sorted(
            Case.objects.filter(
                pk__in=case_search_for_user(user, {}).filter(has_overdue_deadline=True).values("pk")
            ).values_list("reference", flat=True)
        )
    assert _rows(user) == expected
    assert _rows(user) == expected
    nested = Case.objects.filter(
        pk__in=case_search_for_user(user, {}).filter(has_overdue_deadline=True).values("pk")
    )
    assert sorted(nested.values_list("reference", flat=True)) == nested_expected
    if who == "frontline":
        assert ("SC-1", False, "As I raised it", "police", False) in expected
    if who == "lead":
        assert ("SC-3", True, None, None, True) in expected
        assert nested_expected == ["SC-3"]


@pytest.mark.django_db
def test_the_overdue_flag_compares_with_the_time_given_at_each_use(world):
    """One compiled subquery, two times: before the task fell due it is not overdue."""
    from datetime import timedelta

    late = _row_world(world)
    lead = world["lead"]
    conditions.clear()
    after = dict((r[0], r[4]) for r in _rows(lead, now=late.due_at + timedelta(minutes=1)))
    before = dict((r[0], r[4]) for r in _rows(lead, now=late.due_at - timedelta(minutes=1)))
    assert after["SC-3"] is True
    assert before["SC-3"] is False


@pytest.mark.django_db
def test_a_list_page_compiles_no_subquery_of_its_own(world, monkeypatch):
    """A second page of the list read through the ORM (ordered again) compiles one query,
    its own: the visibility conditions and the rows' subqueries are written from what
    was compiled the first time. Read as the list pages are, through its kept statement
    (``casework.statements.KeptList``), it compiles none."""
    from django.db.models.sql.compiler import SQLCompiler

    _row_world(world)
    frontline = world["frontline"]
    conditions.clear()
    list(case_search_for_user(frontline, {})[:25])  # compiles and keeps them
    compiled = []
    real = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    rows = list(case_search_for_user(frontline, {}).order_by("-raised_at", "-pk")[:25])
    assert rows
    assert compiled == [Case]
    compiled.clear()
    assert list(case_search_for_user(frontline, {})[:25]) == rows
    assert compiled == []
