"""The search index (casework/search_index.py): what it finds (names folded and
phonetic, dates of birth, postcodes, first address lines, phone numbers, references),
what it never finds (another team's case, a Prevent case for someone not cleared, the
content of a case known only as received), that its access keys are exactly the
selectors' visibility, that the write services keep it current, and that its answers do
not depend on the server's text search configuration."""

from __future__ import annotations

import importlib
import itertools
import random
import re
from datetime import date, datetime
from unittest.mock import patch

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm

from casework import search_index
from casework.models import (
    Case,
    CaseGroupObjectPermission,
    CasePerson,
    CaseSearchEntry,
    CaseUserObjectPermission,
    Person,
    Team,
)
from casework.roles import Role
from casework.search_index import (
    Found,
    Parsed,
    fold,
    parse,
    person_lexemes,
    phone_digits,
    phonetic,
    postcode_lexemes,
    premises_lexemes,
    search_case_ids_for_user,
    search_case_ids_newest_first,
    search_found,
    search_index_rebuild,
    search_index_update,
    searches_every_team,
    year_lexeme,
)
from casework.selectors import case_content_list_for_user, case_list_for_user
from casework.services import (
    case_access_grant,
    case_access_revoke,
    case_allocate,
    person_update,
    premises_update,
)
from tests.workflows.walker import default_raise, sample_values
from workflows import cuckooing, modern_slavery, prevent
from workflows.case_search import case_search_for_user
from workflows.errors import TransitionNotAllowed
from workflows.registry import get_workflow
from workflows.selectors import available_transitions
from workflows.services import case_transition


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "frontline_south": make_user("frontline.south", Role.FRONTLINE, ["south"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "cleared": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "cleared_south": make_user("prevent.south", Role.PREVENT_LEAD, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }


def slavery(actor, given="John", family="Smith", summary="Works at the car wash.", **more):
    data = {
        "summary": summary,
        "subject_given_names": given,
        "subject_family_name": family,
        "subject_date_of_birth": "1985-03-12",
        "subject_estimated_age": None,
        **more,
    }
    return default_raise(modern_slavery.WORKFLOW, actor)(data)


def premises_case(actor, address="Flat 4, 12 Acacia Avenue\nLeeds", postcode="LS6 1AA"):
    data = {
        "summary": "Young men coming and going at all hours.",
        "premises_address": address,
        "premises_postcode": postcode,
        "occupier_given_names": "Agnes",
        "occupier_family_name": "Field",
    }
    return default_raise(cuckooing.WORKFLOW, actor)(data)


def prevent_case(actor):
    data = {
        "summary": "Shares extremist videos with classmates.",
        "concerns": "Talks of travelling abroad.",
        "subject_given_names": "Daniel",
        "subject_family_name": "Hughes",
        "subject_date_of_birth": "2009-05-01",
        "subject_aliases": "Danny Boy",
    }
    return default_raise(prevent.WORKFLOW, actor)(data)


def found(user, q: str) -> set[str]:
    return set(case_search_for_user(user, {"q": q}).values_list("reference", flat=True))


# Normalising ------------------------------------------------------------------------------


def test_names_are_folded_for_case_and_accents():
    assert fold("ZOË Łukasz Groß-Ørsted") == "zoe lukasz gross-orsted"


def test_text_all_ascii_is_folded_as_any_other_text_is():
    """ASCII text is only made lower case (its fast path): the same as decomposing it
    and taking off accents would give, for every ASCII character."""
    import unicodedata

    from casework import search_index

    def slow(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold().translate(search_index._FOLD))
        kept = "".join(c for c in decomposed if not unicodedata.combining(c))
        return kept.translate(search_index._FOLD)

    every = "".join(chr(n) for n in range(128))
    for text in (every, "O'BRIEN-Smith 12 High St", "  Flat 3B, LS1 4AB "):
        assert fold(text) == slow(text)
    assert fold("") == fold(None) == ""


@pytest.mark.parametrize(
    ("one", "other"),
    [("Smith", "Smyth"), ("John", "Jon"), ("Catherine", "Kathryn"), ("Stephen", "Steven"),
     ("Philip", "Filip"), ("Eric", "Erik"), ("Knight", "Night"), ("Mohammed", "Muhammad")],
)  # fmt: skip
def test_names_that_sound_alike_share_a_phonetic_key(one, other):
    assert phonetic(one) == phonetic(other) != ""


@pytest.mark.parametrize(("one", "other"), [("Smith", "Jones"), ("Maria", "Mark"), ("Ann", "Tom")])
def test_names_that_sound_different_do_not(one, other):
    assert phonetic(one) != phonetic(other)


def test_postcodes_phones_and_dates_are_read_from_what_is_typed():
    assert postcode_lexemes("12 Acacia Avenue, Leeds ls6  1aa") == ["#p:ls61aa", "#o:ls6"]
    assert phone_digits("+44 (0)7700 900-123") == "007700900123"
    assert phone_digits("+44 7700 900123") == "07700900123"
    assert parse("12/03/1985").terms == ["'#d:19850312'"]
    assert parse("1985-03-12").terms == ["'#d:19850312'"]
    assert parse("31/02/1985").terms == []  # no such day
    assert parse("LS6 1AA").terms == ["'#p:ls61aa'"]
    assert parse("07700 900123").terms == ["'#t:07700900123':*"]
    assert parse("SC-2026-000123").reference == "'#r:sc2026000123'"
    assert parse("%").terms == []
    assert parse("%").reference is None


# Finding ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_entry_is_in_the_index_at_once_not_in_a_pending_list(staff):
    """The search index keeps no GIN pending list: with one, each entry written since
    the last vacuum waited in a list every search read through in full (5-9 ms a name
    search after 2,300 raises at county scale: docs/performance.md). Nothing is left
    for ``gin_clean_pending_list`` to move after raising and stepping cases."""
    case = slavery(staff["frontline"])
    slavery(staff["frontline"], given="Ana", family="Pop")
    case_allocate(case=case, actor=staff["lead"], assignee=staff["frontline"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('case_search_document'::regclass)")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'case_search_document'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]
    assert [c.pk for c in case_search_for_user(staff["lead"], {"q": "smith"})] == [case.pk]


@pytest.mark.django_db
def test_a_name_is_found_by_sound_by_prefix_and_without_accents(staff):
    lead = staff["lead"]
    smith = slavery(staff["frontline"], "John", "Smith")
    zoe = slavery(staff["frontline"], "Zoë", "Łukasiewicz")
    slavery(staff["frontline"], "Mary", "Jones")
    assert found(lead, "Jon Smyth") == {smith.reference}
    assert found(lead, "smith") == {smith.reference}
    assert found(lead, "Smi") == {smith.reference}
    assert found(lead, "SMITH JOHN") == {smith.reference}
    assert found(lead, "zoe lukasiewicz") == {zoe.reference}
    assert found(lead, "Zoë") == {zoe.reference}
    assert found(lead, "John Jones") == set()
    assert found(lead, "Peter Smith") == set()


def test_a_word_is_looked_up_by_its_beginning_lexeme_not_by_a_prefix_match():
    """A word typed is one exact lexeme of the names and first address lines it begins
    (``#x:``), the word whole in a summary, and its sound: no ``:*``, which GIN answered
    by reading every posting list of every word it begins (docs/performance.md)."""
    assert parse("Seren Adams").terms == [
        "('#x:seren' | 'seren' | '~srn')",
        "('#x:adams' | 'adams' | '~atms')",
    ]
    assert ":*" not in " ".join(parse("j smith 12 acacia ls6").terms)
    # Longer than any beginning indexed: a prefix match, as before.
    long = "ab" * search_index.MAX_PREFIXED
    assert parse(long).terms == [f"('{long}':* | '~{phonetic(long)}')"]


@pytest.mark.django_db
def test_names_and_first_address_lines_are_found_by_their_beginnings_summaries_whole(staff):
    lead = staff["lead"]
    smith = slavery(staff["frontline"], "Seren", "Adamson", summary="Works at the car wash.")
    flat = premises_case(staff["frontline"], address="Flat 4, 12 Acacia Avenue\nLeeds")
    for q in ("S Adam", "seren adamson", "ADAMS", "adamson s", "se ad"):
        assert found(lead, q) == {smith.reference}, q
    for q in ("acac", "12 aca", "flat 4 acacia av"):
        assert found(lead, q) == {flat.reference}, q
    assert found(lead, "car wash") == {smith.reference}
    assert found(lead, "wa") == set()  # a summary's words are found whole
    assert found(lead, "Adamsons") == set()
    # A name longer than any beginning indexed is still found by its beginning.
    long_name = "Wolfeschlegelsteinhausenbergerdorff"
    long = slavery(staff["frontline"], "Hubert", long_name)
    assert found(lead, long_name[: search_index.MAX_PREFIXED + 2]) == {long.reference}
    assert found(lead, long_name[:12]) == {long.reference}


@pytest.mark.django_db
def test_a_date_of_birth_is_found_written_either_way_and_no_other_day(staff):
    lead = staff["lead"]
    case = slavery(staff["frontline"], subject_date_of_birth="1985-03-12")
    assert found(lead, "12/03/1985") == {case.reference}
    assert found(lead, "1985-03-12") == {case.reference}
    assert found(lead, "12.3.1985 smith") == {case.reference}
    assert found(lead, "13/03/1985") == set()
    assert found(lead, "12/03/1985 jones") == set()


@pytest.mark.django_db
def test_a_postcode_and_a_first_address_line_find_the_premises_and_the_person(staff):
    lead = staff["lead"]
    flat = premises_case(staff["frontline"])
    person = slavery(staff["frontline"], subject_address="3 Mill Lane\nLeeds\nLS7 2BB")
    for q in ("LS6 1AA", "ls61aa", "ls6", "Acacia Avenue", "12 acacia"):
        assert found(lead, q) == {flat.reference}, q
    for q in ("LS7 2BB", "mill lane"):
        assert found(lead, q) == {person.reference}, q
    assert found(lead, "LS6 1AB") == set()
    assert found(lead, "Leeds") == set()  # only the first line of an address is searched


@pytest.mark.django_db
def test_a_phone_number_is_found_however_it_is_written(staff):
    lead = staff["lead"]
    case = slavery(staff["frontline"], subject_phone="07700 900123")
    for q in ("07700900123", "07700 900123", "+44 7700 900123", "077009"):
        assert found(lead, q) == {case.reference}, q
    assert found(lead, "07700 900124") == set()


@pytest.mark.django_db
def test_a_reference_is_found_whole_or_by_its_number(staff):
    lead = staff["lead"]
    case = slavery(staff["frontline"])
    other = slavery(staff["frontline"])
    serial = case.reference.rsplit("-", 1)[1]
    assert found(lead, case.reference) == {case.reference}
    assert found(lead, case.reference.lower()) == {case.reference}
    assert found(lead, serial) == {case.reference}
    assert found(lead, serial.lstrip("0")) == {case.reference}
    assert other.reference not in found(lead, serial)


# Never found by someone who may not see it ------------------------------------------------


@pytest.mark.django_db
def test_another_teams_case_is_never_found(staff):
    case = slavery(
        staff["frontline_south"], "John", "Smith",
        subject_phone="07700 900123", subject_address="3 Mill Lane\nLS7 2BB",
    )  # fmt: skip
    searches = ("John Smith", "Jon Smyth", "12/03/1985", "07700900123", "LS7 2BB", "mill lane",
                "car wash", case.reference, case.reference[-6:])  # fmt: skip
    for who in ("frontline", "lead", "cleared", "admin"):
        for q in searches:
            assert found(staff[who], q) == set(), (who, q)
    for who in ("lead_south", "auditor", "frontline_south"):
        assert found(staff[who], "Jon Smyth") == {case.reference}, who


@pytest.mark.django_db
def test_a_prevent_case_is_found_only_by_those_cleared_for_it(staff):
    case = prevent_case(staff["frontline"])
    by_content = ("Daniel Hughes", "danny", "dan hugh", "01/05/2009", "extremist")
    for q in by_content:
        for who in ("lead", "lead_south", "cleared_south", "frontline_south", "admin"):
            assert found(staff[who], q) == set(), (who, q)
        # Its raiser knows it only as received: not by its content ...
        assert found(staff["frontline"], q) == set(), q
        assert found(staff["cleared"], q) == {case.reference}, q
        # An auditor needs Prevent clearance of their own (issue 15).
        assert found(staff["auditor"], q) == set(), q
    # ... only by the reference they were given.
    assert found(staff["frontline"], case.reference) == {case.reference}
    for who in ("lead", "lead_south", "cleared_south", "frontline_south"):
        assert found(staff[who], case.reference) == set(), who


def _world(staff):
    """Cases of every kind of access: raised, allocated, granted to a user or a group,
    another team's, restricted in both teams; every one with a person called Ada Lovelace."""
    north, south = Team.objects.get(slug="north"), Team.objects.get(slug="south")
    group = Group.objects.create(name="Granted group")
    staff["frontline"].groups.add(group)
    kinds = ("cse", "prevent", "cuckooing")
    person = Person.objects.create(given_names="Ada", family_name="Lovelace")
    cases = []
    for n, (kind, team, raiser, owner) in enumerate(
        itertools.product(
            kinds,
            (north, south),
            ("frontline", "lead", "cleared_south"),
            (None, "frontline", "cleared"),
        )  # fmt: skip
    ):
        case = Case.objects.create(
            reference=f"SC-2026-{n:06d}", case_type=kind, state="concern_raised",
            summary="About Ada.", team=team, raised_by=staff[raiser],
            owner=staff[owner] if owner else None, raised_at=timezone.now(),
        )  # fmt: skip
        CasePerson.objects.create(case=case, person=person, role="subject")
        cases.append(case)
    for case in cases[::4]:
        assign_perm("casework.view_case", staff["frontline"], case)
        assign_perm("casework.view_case", staff["cleared"], case)
    for case in cases[1::5]:
        assign_perm("casework.view_case", group, case)
    search_index_rebuild()
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["frontline", "frontline_south", "lead", "lead_south", "cleared", "auditor", "admin"]
)
def test_the_index_finds_exactly_what_the_selectors_let_the_user_see(staff, who):
    _same_as_the_selectors(_world(staff), staff[who])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "lead", "lead_south", "cleared", "auditor"])
def test_a_compartment_added_later_needs_no_rebuild(staff, who, settings):
    """The index holds each case's type, not whether it is in a compartment: with
    cuckooing made need-to-know after the entries were written, the index still finds
    exactly what the selectors allow."""
    cases = _world(staff)
    settings.SAFECASE_RESTRICTED_CASE_TYPES = ["prevent", "cuckooing"]
    _same_as_the_selectors(cases, staff[who])


def test_a_leads_condition_names_each_holder_once_whatever_the_case_types():
    """One key a holder (owner, raiser, user, group, team), not one a holder and type: the
    index advances every key's posting list for each case a name matches."""

    class Lead:
        pk, is_authenticated, is_active = 7, True, True

    with (
        patch.object(search_index, "roles_of", return_value={Role.LEAD}),
        patch.object(search_index, "group_ids_of", return_value={3, 4}),
        patch.object(search_index, "team_ids_of", return_value={1, 2}),
    ):
        keys = search_index.user_keys(Lead())
    holders = re.findall(r"'(#a:[a-z0-9]+)'", keys.content)
    assert sorted(set(holders)) == ["#a:g3", "#a:g4", "#a:o7", "#a:r7", "#a:t1", "#a:t2", "#a:u7"]
    assert "'#a:t1' | '#a:t2'" in keys.content
    assert "!'#k:prevent'" in keys.content


def _same_as_the_selectors(cases, user):
    by_name = set(search_case_ids_for_user(user, "ada lovelace").values_list("case_id", flat=True))
    assert by_name == set(case_content_list_for_user(user).values_list("pk", flat=True))
    visible = set(case_list_for_user(user).values_list("pk", flat=True))
    for case in cases:
        ids = search_case_ids_for_user(user, case.reference)
        by_reference = set(ids.values_list("case_id", flat=True))
        assert by_reference == ({case.pk} & visible), case.reference


# Kept current by the services --------------------------------------------------------------


@pytest.mark.django_db
def test_allocation_grants_and_edits_are_searchable_at_once(staff):
    case = slavery(staff["frontline"], "John", "Smith")
    worker = staff["frontline_south"]
    assert found(worker, "smith") == set()
    case_access_grant(case=case, actor=staff["lead"], user=worker)
    assert found(worker, "smith") == {case.reference}
    case_access_revoke(case=case, actor=staff["lead"], user=worker)
    assert found(worker, "smith") == set()
    colleague = staff["cleared"]
    case_allocate(case=case, actor=staff["lead"], assignee=colleague)
    assert found(colleague, "smith") == {case.reference}
    person = case.case_people.get().person
    person_update(person=person, actor=staff["lead"], family_name="Brown", phone="0113 496 0000")
    assert found(staff["lead"], "brown") == {case.reference}
    assert found(staff["lead"], "01134960000") == {case.reference}
    assert found(staff["lead"], "smith") == set()


@pytest.mark.django_db
def test_a_premises_edit_is_searchable_at_once(staff):
    case = premises_case(staff["frontline"])
    premises_update(premises=case.premises, actor=staff["lead"], postcode="LS8 3CC")
    assert found(staff["lead"], "LS8 3CC") == {case.reference}
    assert found(staff["lead"], "LS6 1AA") == set()


@pytest.mark.django_db
def test_the_rebuild_command_restores_the_same_answers(staff):
    case = slavery(staff["frontline"], "John", "Smith", subject_phone="07700 900123")
    before = {q: found(staff["lead"], q) for q in ("jon smyth", "07700900123", case.reference)}
    CaseSearchEntry.objects.all().delete()
    assert found(staff["lead"], "jon smyth") == set()
    call_command("search_index_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert {q: found(staff["lead"], q) for q in before} == before


# One query, and the same answers on every PostgreSQL ----------------------------------------


@pytest.mark.django_db
def test_a_search_is_one_query_on_the_index_then_the_page(staff):
    for _ in range(3):
        slavery(staff["frontline"])
    lead = staff["lead"]
    lead.groups.all().count()  # the user's roles are read once a request, not per search
    with CaptureQueriesContext(connection) as captured:
        result = list(case_search_for_user(lead, {"q": "jon smyth"}))
    assert len(result) == 3
    index = [q for q in captured if "casework_casesearchentry" in q["sql"]]
    assert len(index) == 1
    assert 'JOIN "casework_case"' not in index[0]["sql"]  # access is in the index itself


GOLDEN = {
    "jon smyth": {"smith"},
    "catherine": {"kathryn"},
    "zoe": {"zoe"},
    "12/03/1985": {"smith", "kathryn", "zoe"},
    "ls6 1aa": {"kathryn"},
    "07700900123": {"smith"},
    "o'brien": {"zoe"},
    "obrien": {"zoe"},
    "brien": {"zoe"},
    "x": set(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("config", [None, "pg_catalog.german", "pg_catalog.simple"])
def test_the_same_search_gives_the_same_answers_whatever_the_servers_text_config(staff, config):
    """The suite runs on whichever PostgreSQL is configured (the machine's server in CI,
    the embedded one of ``make test`` otherwise): these answers are fixed for both, and do
    not move with the server's text search configuration or its extensions."""
    people = {
        "smith": slavery(staff["frontline"], "John", "Smith", subject_phone="07700 900123"),
        "kathryn": slavery(staff["frontline"], "Kathryn", "Field", subject_address="LS6 1AA"),
        "zoe": slavery(staff["frontline"], "Zoë", "O'Brien"),
    }
    names = {case.reference: name for name, case in people.items()}
    if config:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('default_text_search_config', %s, true)", [config])
    for q, expected in GOLDEN.items():
        assert {names[r] for r in found(staff["lead"], q)} == expected, q


def _old_access(case: Case) -> set[str]:
    """The access lexemes of the index before migration 0030: one a holder and type."""
    kind = case.case_type
    found = {f"#a:r{case.raised_by_id}.{kind}", f"#a:t{case.team_id}.{kind}"}
    if case.owner_id:
        found.add(f"#a:o{case.owner_id}")
    users = CaseUserObjectPermission.objects.filter(content_object_id=case.pk)
    groups = CaseGroupObjectPermission.objects.filter(content_object_id=case.pk)
    found |= {f"#a:u{u}.{kind}" for u in users.values_list("user_id", flat=True)}
    return found | {f"#a:g{g}.{kind}" for g in groups.values_list("group_id", flat=True)}


def _lexemes() -> dict[int, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT case_id, tsvector_to_array(document) FROM casework_casesearchentry")
        return {case_id: set(lexemes) for case_id, lexemes in cursor.fetchall()}


@pytest.mark.django_db
def test_the_migration_rewrites_old_entries_as_the_services_write_them(staff):
    """Migration 0030 turns each entry's keys of one holder and type into one a holder and
    the type, and back: forward, the documents are exactly what a rebuild writes."""
    cases = _world(staff)
    written = _lexemes()
    migration = importlib.import_module(
        "casework.migrations.0030_search_access_keys_one_per_holder"
    )
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKWARD)
    old = _lexemes()
    for case in cases:
        kept = {x for x in written[case.pk] if not x.startswith(("#a:", "#k:"))}
        assert old[case.pk] == kept | _old_access(case), case.reference
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)
    assert _lexemes() == written


@pytest.mark.django_db
def test_the_migration_adds_the_beginnings_the_services_write(staff):
    """Migration 0034 adds the ``#x:`` lexemes to entries written without them, from the
    names and addresses in the database, and takes them out going back: forward, the
    documents are exactly what a rebuild writes."""
    slavery(staff["frontline"], "Zoë", "O'Brien", subject_address="3 Mill Lane\nLeeds")
    slavery(staff["frontline"], "Seren", "Adams", subject_aliases="Ren Jones")
    premises_case(staff["frontline"])
    prevent_case(staff["cleared"])
    written = _lexemes()
    assert all(any(x.startswith("#x:") for x in lexemes) for lexemes in written.values())
    migration = importlib.import_module("casework.migrations.0034_search_word_beginnings")
    editor = type("Editor", (), {"connection": connection})()
    with connection.cursor() as cursor:
        # The test's own rows' deferred checks, which a migration's transaction has not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.backward(None, editor)
    old = _lexemes()
    assert old == {
        pk: {x for x in lexemes if not x.startswith("#x:")} for pk, lexemes in written.items()
    }
    from django.apps import apps

    migration.forward(apps, editor)
    assert _lexemes() == written
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'case_search_document'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]


def _documents() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT case_id, document::text FROM casework_casesearchentry")
        return dict(cursor.fetchall())


def _random_write(rng: random.Random, staff: dict, cases: list, step: int) -> str:
    """One write through a service, chosen at random; returns what it was."""
    roll = rng.random()
    if roll < 0.25 or not cases:
        maker = rng.choice((slavery, premises_case, prevent_case))
        actor = rng.choice([staff[w] for w in ("frontline", "frontline_south", "lead", "cleared")])
        cases.append(maker(actor).pk)
        return "raise"
    case = Case.objects.select_related("team").get(pk=rng.choice(cases))
    lead = staff["lead_south"] if case.team.slug == "south" else staff["cleared"]
    if roll < 0.4:
        case_allocate(case=case, actor=lead, assignee=lead)
        return "allocate"
    if roll < 0.5:
        case_access_grant(case=case, actor=lead, user=rng.choice(list(staff.values())))
        return "grant"
    grant = case.caseuserobjectpermission_set.first()
    if roll < 0.6 and grant:
        case_access_revoke(case=case, actor=lead, user=grant.user)
        return "revoke"
    link = case.case_people.first()
    if roll < 0.75 and link:
        family = rng.choice(("Smith", "Jones", "Ørsted"))
        person_update(person=link.person, actor=lead, family_name=family, phone=f"0770 {step:06d}")
        return "person"
    if roll < 0.8 and case.premises_id:
        premises_update(premises=case.premises, actor=lead, postcode=f"LS{step % 9 + 1} 1AA")
        return "premises"
    available = available_transitions(case, lead)
    if not available:
        return "none"
    name = rng.choice(available).name
    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    case_transition(case=case, actor=lead, name=name, data=sample_values(fields))
    return "transition"


@pytest.mark.django_db
def test_the_index_the_services_keep_is_the_index_a_rebuild_writes(staff):
    """Random raises, allocations, grants, revocations, edits and transitions: at the end
    every entry is exactly what rebuilding it from the database writes."""
    rng = random.Random(18)
    cases: list[int] = []
    done = set()
    for step in range(80):
        try:
            done.add(_random_write(rng, staff, cases, step))
        except (ValidationError, PermissionDenied, TransitionNotAllowed):
            continue
    assert done >= {"raise", "allocate", "grant", "revoke", "person", "premises", "transition"}
    kept = _documents()
    assert set(kept) == set(cases)
    search_index_rebuild()
    assert _documents() == kept


@pytest.mark.django_db
def test_a_review_is_found_only_by_the_people_named_to_it(staff, make_user):
    """A Domestic Homicide Review's index keys open it to the people named to it (its
    grants) alone: not its team's other leads, not a Prevent-cleared lead of the team,
    not an auditor without the review clearance (issue 22's named compartment)."""
    from tests.workflows.test_dhr import raise_review

    named = staff["lead"]
    review = raise_review(named)
    other_lead = make_user("lead.north2", Role.LEAD, ["north"])
    family = review.case_people.get(role="subject").person.family_name

    def found(user):
        ids = set(search_case_ids_for_user(user, family).values_list("case_id", flat=True))
        listed = set(case_search_for_user(user, {"q": family}).values_list("pk", flat=True))
        return review.pk in ids, review.pk in listed

    assert found(named) == (True, True)
    for user in (other_lead, staff["cleared"], staff["auditor"], staff["frontline"]):
        assert found(user)[1] is False, user.username
    for user in (other_lead, staff["cleared"], staff["frontline"]):
        assert found(user)[0] is False, user.username


def _raised() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.case_id, e.raised_at, c.raised_at FROM casework_casesearchentry e"
            " JOIN casework_case c ON c.id = e.case_id"
        )
        return {case_id: (entry, case) for case_id, entry, case in cursor.fetchall()}


@pytest.mark.django_db
def test_each_entry_says_when_its_case_was_raised(staff):
    """The services and a rebuild write each entry's ``raised_at`` as its case's, the order
    a search reads its matches in (``search_case_ids_newest_first``)."""
    cases = _world(staff)
    raised = _raised()
    assert set(raised) == {c.pk for c in cases}
    assert all(entry == case for entry, case in raised.values())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE casework_casesearchentry SET raised_at = '2001-01-01'")
    search_index_rebuild()
    assert _raised() == raised


@pytest.mark.django_db
def test_the_newest_first_ids_are_the_lists_order(staff):
    found = [slavery(staff["frontline"]) for _ in range(4)]
    lead = staff["lead"]
    ids = search_case_ids_newest_first(lead, "smith", 10)
    assert ids == [c.pk for c in sorted(found, key=lambda c: (c.raised_at, c.pk), reverse=True)]
    assert search_case_ids_newest_first(lead, "smith", 2) == ids[:2]


@pytest.mark.django_db
def test_the_migration_gives_each_entry_when_its_case_was_raised(staff):
    """Migration 0035 copies each case's ``raised_at`` to its entry, leaving the documents
    as they were and the GIN index as the model declares it."""
    _world(staff)
    documents, raised = _documents(), _raised()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE casework_casesearchentry SET raised_at = '2001-01-01'")
        # The test's own rows' deferred checks, which a migration's transaction has not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration = importlib.import_module("casework.migrations.0035_search_entry_raised_at")
    migration.forward(None, type("Editor", (), {"connection": connection})())
    assert _raised() == raised
    assert _documents() == documents
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'case_search_document'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]


# Newest first, a year at a time -------------------------------------------------------

# Moments across years' ends in UTC (23:30 on 31 December 2025 is 2025 in UTC and in
# London; 00:30 on 1 January 2026 is 2026 in both) and two cases raised at one moment.
MOMENTS = (
    "2027-01-01T00:05:00+00:00",
    "2026-12-31T23:59:59+00:00",
    "2026-12-31T23:59:59+00:00",
    "2026-06-01T12:00:00+00:00",
    "2026-01-01T00:30:00+00:00",
    "2025-12-31T23:30:00+00:00",
    "2025-03-01T09:00:00+00:00",
    "2024-05-05T09:00:00+00:00",
    "2019-01-01T00:00:00+00:00",
    "2019-01-01T00:00:00+00:00",
)


@pytest.mark.django_db
@pytest.mark.parametrize("today", ["2026-12-06T10:00:00+00:00", "2027-01-01T00:10:00+00:00"])
def test_a_search_of_every_team_reads_the_newest_matches_a_year_at_a_time(
    staff, make_user, monkeypatch, today
):
    """An auditor's search reads this year's matches, then last year's, then the rest
    (``#y:`` lexemes): whatever the limit, its ids are the first of every match's in the
    list's order, across years' ends and between cases raised at the same moment; a
    lead's search, which their teams narrow, reads them in one statement."""
    auditor = make_user("auditor", Role.AUDITOR, [])
    now = datetime.fromisoformat(today)
    # On 6 December, the case raised at the new year is one a server whose clock is
    # ahead raised: it is the newest all the same.
    moments = [datetime.fromisoformat(m) for m in MOMENTS]
    raisers = itertools.cycle([staff["frontline"], staff["frontline_south"]])
    cases = [slavery(next(raisers)) for _ in moments]
    slavery(staff["frontline"], "Mary", "Jones")  # not found
    hidden = prevent_case(staff["cleared"])  # a compartment the auditor may not read
    for case, moment in zip(cases, moments, strict=True):
        Case.objects.filter(pk=case.pk).update(raised_at=moment)
    Case.objects.filter(pk=hidden.pk).update(raised_at=now)
    search_index_update([c.pk for c in cases] + [hidden.pk])
    assert {year_lexeme(m) for m in moments} <= set().union(*_lexemes().values())
    monkeypatch.setattr(timezone, "now", lambda: now)

    newest = [c.pk for c in Case.objects.filter(pk__in=[c.pk for c in cases])
              .order_by("-raised_at", "-pk")]  # fmt: skip
    assert searches_every_team(auditor)
    assert not searches_every_team(staff["lead"])
    for limit in range(1, len(newest) + 2):
        assert search_case_ids_newest_first(auditor, "smith", limit) == newest[:limit]
    north = [pk for pk in newest if Case.objects.get(pk=pk).team.slug == "north"]
    with CaptureQueriesContext(connection) as captured:
        assert search_case_ids_newest_first(staff["lead"], "smith", 3) == north[:3]
    assert len(captured) == 1
    # The latest year's matches enough, no other year is read; too few, every part is.
    with CaptureQueriesContext(connection) as captured:
        assert search_case_ids_newest_first(auditor, "smith", 1) == newest[:1]
    assert len(captured) == 1
    with CaptureQueriesContext(connection) as captured:
        assert search_case_ids_newest_first(auditor, "smith", 50) == newest
    assert len(captured) == 3
    assert search_case_ids_newest_first(auditor, "hughes", 5) == []


@pytest.mark.django_db
def test_the_migration_adds_the_year_each_case_was_raised(staff):
    """Migration 0036 adds each entry's ``#y:`` lexeme from its ``raised_at`` as the
    services write it, and takes it out going back."""
    cases = _world(staff)
    Case.objects.filter(pk=cases[0].pk).update(raised_at="2025-12-31T23:30:00+00:00")
    Case.objects.filter(pk=cases[1].pk).update(raised_at="2019-01-01T00:30:00+00:00")
    search_index_update([c.pk for c in cases])
    written = _lexemes()
    years = {pk: {x for x in lexemes if x.startswith("#y:")} for pk, lexemes in written.items()}
    assert years[cases[0].pk] == {"#y:2025"}
    assert years[cases[1].pk] == {"#y:2019"}
    assert all(len(found) == 1 for found in years.values())
    migration = importlib.import_module("casework.migrations.0036_search_raised_year")
    editor = type("Editor", (), {"connection": connection})()
    with connection.cursor() as cursor:
        # The test's own rows' deferred checks, which a migration's transaction has not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.backward(None, editor)
    assert _lexemes() == {pk: lexemes - years[pk] for pk, lexemes in written.items()}
    migration.forward(None, editor)
    assert _lexemes() == written
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'case_search_document'")
        assert cursor.fetchone()[0] == ["fastupdate=off"]


# What a search found in a case ---------------------------------------------------------


def someone(given: str, family: str, **more) -> dict:
    return {
        "given_names": given,
        "family_name": family,
        "aliases": "",
        "date_of_birth": None,
        "phone": "",
        "address": "",
        **more,
    }


JOHN = someone("John", "Smith", date_of_birth=date(1985, 3, 12), phone="07700 900123")
MARY = someone("Mary", "Jones", aliases="Molly Brown", address="4 Acacia Avenue\nLeeds LS6 1AA")
FLAT = ("Flat 2, 171 Manor Road\nEastwick", "RC29 4AL")


def test_a_search_says_which_of_a_cases_people_it_found():
    assert search_found(parse("jon smyth"), [MARY, JOHN]) == Found(people=(1,))
    assert search_found(parse("smi"), [JOHN, MARY]) == Found(people=(0,))
    assert search_found(parse("molly"), [JOHN, MARY]) == Found(people=(1,))
    assert search_found(parse("12/03/1985"), [JOHN, MARY]) == Found(people=(0,))
    assert search_found(parse("07700 9001"), [JOHN, MARY]) == Found(people=(0,))
    # A person matching every word is named alone; where none does, each who matches one.
    assert search_found(parse("john smith"), [JOHN, MARY, someone("John", "Jones")]) == Found(
        people=(0,)
    )
    assert search_found(parse("john jones"), [JOHN, MARY]) == Found(people=(0, 1))


def test_a_search_says_when_it_found_the_premises_and_nothing_for_a_reference():
    assert search_found(parse("RC29 4AL"), [JOHN], FLAT) == Found(premises=True)
    assert search_found(parse("manor"), [JOHN], FLAT) == Found(premises=True)
    assert search_found(parse("ls6 1aa"), [JOHN, MARY], FLAT) == Found(people=(1,))
    assert search_found(parse("smith"), [JOHN], FLAT) == Found(people=(0,))
    # Found by the summary or the reference: nothing of the people or premises to say.
    assert search_found(parse("carwash"), [JOHN], FLAT) == Found()
    assert search_found(parse("SC-2026-000123"), [JOHN], FLAT) == Found()


def test_what_a_search_is_said_to_find_is_what_the_index_matched():
    """For random people and searches: each person named matches a word of it, with the
    index's own lexemes; those matching every word are named alone; and a case whose
    people and premises between them match every word names someone or the premises."""
    rng = random.Random(18)
    names = ["John", "Jon", "Smith", "Smyth", "Mary", "Maria", "Jones", "Novak", "Ali"]
    for _ in range(300):
        people = [
            someone(rng.choice(names), rng.choice(names), aliases=rng.choice(["", "Kid"]))
            for _ in range(rng.randint(1, 3))
        ]
        parsed = parse(" ".join(rng.sample([*names, "kid", "manor", "rc29"], rng.randint(1, 2))))
        found = search_found(parsed, people, FLAT)

        def answered(lexemes: set[str], parsed: Parsed = parsed) -> list[bool]:
            return [any(search_index._found(c, lexemes) for c in t) for t in parsed.choices]

        each = [answered(person_lexemes(p)) for p in people]
        whole = [p for p, terms in enumerate(each) if all(terms)]
        assert all(any(each[p]) for p in found.people), (parsed.terms, people)
        if whole:
            assert found.people == tuple(whole)
        between = answered(set().union(*map(person_lexemes, people), premises_lexemes(*FLAT)))
        if all(between):
            assert found.people or found.premises, (parsed.terms, people)
