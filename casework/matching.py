"""Is this person or address already known to us? Matching at intake (issue 18).

While a concern is raised, the people and the address entered are matched against the
search index (``casework.search_index``): candidates are the cases whose document shares
a family name (spelt or sounding alike) with a given name or a date of birth, a phone
number, or a postcode with a word of the first address line; each candidate's people and
premises are then compared field by field, and a match names why ("same family name,
same date of birth").

- The raiser is offered only matches in cases they may see in full (their content keys),
  so they can link the existing record instead of creating a duplicate.
- Matches they may not see are never shown to them. When the concern is raised, every
  match is recorded (``PossibleMatch``) and the case page shows each viewer those in
  cases they may open; of the rest, a lead of the new case's team is told how many are
  in other teams' cases (never which, nor anything of a restricted compartment), and the
  leads of a matched case they cannot see are told in the app instead
  (``possible_matches_record``). They are told once the raise has committed, by a task
  (``possible_match_leads_tell``): a concern about a common name may match twenty cases
  whose hundred-odd leads the raiser should not wait for (docs/performance.md). The
  match row says the messages are owed until they are written, so a task that never ran
  (the broker down at the commit, a worker lost) is caught up by beat a minute later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from casework.models import Case, CasePerson, CaseSearchEntry, Person, PossibleMatch, Premises
from casework.permissions import lead_may, restricted_case_types
from casework.search_index import (
    MIN_PHONE_DIGITS,
    NOTHING,
    Keys,
    all_of,
    any_of,
    name_words,
    phone_digits,
    phonetic,
    postcode_lexemes,
    quote,
    user_keys,
    words,
)
from casework.selectors import (
    access_key,
    case_content_list_for_user,
    case_lead_ids,
    id_array,
    in_id_array,
)
from casework.statements import compiled_objects, compiled_values
from config.inserts import insert_rows
from notifications.models import Channel
from notifications.services import OutboxDraft, case_link, outbox_enqueue_many

# Enough candidates for anyone to read; a name common enough to match more needs a date
# of birth or a phone number to tell them apart anyway.
MAX_CANDIDATES = 20
# The cases listed on a premises page at most (a cuckooed flat has a handful).
PREMISES_CASES = 200
# Words of a first address line that say nothing about which home it is.
ADDRESS_NOISE = frozenset({"flat", "apartment", "the", "road", "street", "lane", "avenue"})
# The task that tells the leads of a new case's possible matches (casework.tasks), sent
# by name once the raise commits; beat runs it without a case to catch up.
TELL_LEADS_TASK = "casework.tasks.tell_possible_match_leads"
# The catch-up tells matches owed for longer than this: long enough for the raise's own
# task to have run.
TELL_LEADS_GRACE = timedelta(minutes=1)
# Matches told in one transaction at most (one raise has MAX_CANDIDATES).
TELL_LEADS_BATCH = 1000

logger = logging.getLogger(__name__)


@dataclass
class PersonMatch:
    """An existing person who may be the one entered in ``role``."""

    role: str
    person: Person
    reasons: list[str]
    cases: list[Case] = field(default_factory=list)


@dataclass
class PremisesMatch:
    """Existing premises that may be the address entered."""

    premises: Premises
    reasons: list[str]
    cases: list[Case] = field(default_factory=list)


@dataclass
class Matches:
    people: list[PersonMatch] = field(default_factory=list)
    premises: list[PremisesMatch] = field(default_factory=list)

    @property
    def case_ids(self) -> set[int]:
        found = {c.pk for m in self.people for c in m.cases}
        return found | {c.pk for m in self.premises for c in m.cases}


def _name_term(word: str) -> str:
    key = phonetic(word)
    return any_of([quote(word), *([quote("~" + key)] if key else [])])


def _person_branches(person: Mapping[str, Any]) -> list[str]:
    family = name_words(person.get("family_name") or "")
    given = name_words(person.get("given_names") or "")
    born = person.get("date_of_birth")
    branches = []
    if family and given:
        branches.append(all_of([_name_term(family[-1]), _name_term(given[0])]))
    if family and born:
        branches.append(all_of([_name_term(family[-1]), quote(f"#d:{_date(born):%Y%m%d}")]))
    digits = phone_digits(person.get("phone") or "")
    if len(digits) >= MIN_PHONE_DIGITS:
        branches.append(quote(f"#t:{digits}"))
    return branches


def _first_line_words(address: str) -> list[str]:
    first = next((line for line in (address or "").splitlines() if line.strip()), "")
    return [w for w in words(first) if w not in ADDRESS_NOISE]


def _premises_branch(address: str, postcode: str) -> str | None:
    postcodes = [p for p in postcode_lexemes(f"{address} {postcode}") if p.startswith("#p:")]
    line = _first_line_words(address)
    if not postcodes or not line:
        return None
    return all_of([any_of(quote(p) for p in postcodes), any_of(quote(w) for w in line)])


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def candidate_query(people: Iterable[Mapping[str, Any]], premises: Mapping[str, Any]) -> str:
    """The tsquery of everything that could match, without access ('' for nothing)."""
    branches = [b for p in people for b in _person_branches(p)]
    place = _premises_branch(premises.get("address") or "", premises.get("postcode") or "")
    if place:
        branches.append(place)
    return any_of(branches) if branches else ""


def _candidates(
    query: str, keys: Keys, exclude: int | None, limit: int = MAX_CANDIDATES
) -> list[int]:
    """The newest ``limit`` cases whose entry matches ``query`` and ``keys``' content,
    but ``exclude``; the statement compiled once (``casework.statements``), the query's
    text and the case excluded given at each use."""
    if not query or keys.content == NOTHING:
        return []
    if keys.content is not None:
        query = all_of([query, keys.content])

    def build(query: str, *excluded: int) -> QuerySet[Any]:
        entries = CaseSearchEntry.objects.filter(document__matches=query)
        if excluded:
            entries = entries.exclude(case_id=excluded[0])
        return entries.order_by("-case_id").values("case_id")[:limit]

    args = (query,) if exclude is None else (query, exclude)
    rows = compiled_values(("matching: candidates", len(args), limit), build, args)
    return [row["case_id"] for row in rows]


def person_reasons(entered: Mapping[str, Any], known: Person) -> list[str]:
    """Why ``known`` may be the person ``entered``; [] when not enough says so."""
    reasons = []
    family, known_family = (
        name_words(entered.get("family_name") or ""),
        name_words(known.family_name),
    )
    given, known_given = name_words(entered.get("given_names") or ""), name_words(known.given_names)
    same_family = bool(family and known_family and family[-1] == known_family[-1])
    sounds = bool(family and known_family) and phonetic(family[-1]) == phonetic(known_family[-1])
    if same_family:
        reasons.append("same family name")
    elif sounds:
        reasons.append("family name sounds the same")
    if given and known_given and phonetic(given[0]) == phonetic(known_given[0]):
        reasons.append(
            "same given name" if given[0] == known_given[0] else "given name sounds the same"
        )
    born = entered.get("date_of_birth")
    same_born = bool(born and known.date_of_birth and _date(born) == known.date_of_birth)
    if same_born:
        reasons.append("same date of birth")
    digits = phone_digits(entered.get("phone") or "")
    same_phone = len(digits) >= MIN_PHONE_DIGITS and digits == phone_digits(known.phone)
    if same_phone:
        reasons.append("same phone number")
    named = (same_family or sounds) and (len(reasons) >= 2)
    return reasons if named or same_phone else []


def _postcodes(address: str, postcode: str) -> set[str]:
    return {p for p in postcode_lexemes(f"{address or ''} {postcode or ''}") if p[:3] == "#p:"}


def premises_reasons(entered: Mapping[str, Any], known: Premises) -> list[str]:
    """Why ``known`` may be the premises ``entered``: the same postcode and a shared word
    of the first line (a house number or a name); [] otherwise."""
    address = entered.get("address") or ""
    same_postcode = _postcodes(address, entered.get("postcode") or "") & _postcodes(
        known.address, known.postcode
    )
    shared = set(_first_line_words(address)) & set(_first_line_words(known.address))
    if not (same_postcode and shared):
        return []
    return ["same postcode", "same first line of the address"]


def _candidate_cases(ids: str) -> QuerySet[Case]:
    # Not their intake answers (kilobytes a case): a match shows a case's reference.
    return Case.objects.filter(in_id_array("pk", ids)).select_related("premises").defer("details")


def _candidate_people(ids: str) -> QuerySet[CasePerson]:
    links = CasePerson.objects.filter(in_id_array("case_id", ids))
    return links.select_related("person").order_by("-case_id")


def _compare(
    people: Mapping[str, Mapping[str, Any]], premises: Mapping[str, Any], case_ids: list[int]
) -> Matches:
    """The candidates' people and premises compared with those entered; their cases and
    people read by two statements compiled once (``casework.statements``)."""
    matches = Matches()
    if not case_ids:
        return matches
    ids = id_array(case_ids)
    found = compiled_objects("matching: candidates' cases", _candidate_cases, (ids,))
    cases = {c.pk: c for c in found}
    links = compiled_objects("matching: candidates' people", _candidate_people, (ids,))
    by_person: dict[tuple[str, int], PersonMatch] = {}
    for link in links:
        for role, entered in people.items():
            reasons = person_reasons(entered, link.person)
            if reasons:
                key = (role, link.person_id)
                match = by_person.setdefault(key, PersonMatch(role, link.person, reasons))
                match.cases.append(cases[link.case_id])
    matches.people = list(by_person.values())
    by_premises: dict[int, PremisesMatch] = {}
    for case in sorted(cases.values(), key=lambda c: -c.pk):
        if case.premises is not None and premises:
            reasons = premises_reasons(premises, case.premises)
            if reasons:
                match = by_premises.setdefault(
                    case.premises_id, PremisesMatch(case.premises, reasons)
                )
                match.cases.append(case)
    matches.premises = list(by_premises.values())
    return matches


def intake_matches_for_user(
    user: Any, *, people: Mapping[str, Mapping[str, Any]], premises: Mapping[str, Any]
) -> Matches:
    """The known people and premises that may be the ones being entered, in cases
    ``user`` may see in full (their content keys): what the raiser is offered. One
    index query, then the candidates' visibility, cases and people (five queries with
    the user's groups), however many cases there are."""
    query = candidate_query(people.values(), premises)
    ids = _candidates(query, user_keys(user), exclude=None)
    if not ids:
        return Matches()
    visible = set(case_content_list_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    return _compare(people, premises, [i for i in ids if i in visible])


# What a possible match is written with (``leads_told_at`` is left empty).
_MATCH_FIELDS = ("case_id", "matched_case_id", "reasons", "found_at", "tell_leads")


def possible_matches_record(
    *, case: Case, people: Mapping[str, Mapping[str, Any]], premises: Mapping[str, Any]
) -> int:
    """Record every case the new ``case``'s people or premises may match, whoever may
    see it (called by ``case_raise`` in its transaction). A match in another team's case
    or in a restricted compartment owes its leads a message (they may not see the new
    case), written once the raise commits (``possible_match_leads_tell``). The raiser is
    never told of a case they may not see, and a lead of the new case only how many are
    in other teams' cases (``possible_matches_for_user``). Returns how many were recorded."""
    query = candidate_query(people.values(), premises)
    ids = _candidates(query, Keys(None, None), exclude=case.pk)
    if not ids:
        return 0
    matches = _compare(people, premises, ids)
    reasons: dict[int, list[str]] = {}
    for match in [*matches.people, *matches.premises]:
        for matched in match.cases:
            reasons.setdefault(matched.pk, [])
            reasons[matched.pk] += [r for r in match.reasons if r not in reasons[matched.pk]]
    restricted = restricted_case_types()
    # The matched cases as _compare read them (every one has a reason).
    found = {c.pk: c for match in [*matches.people, *matches.premises] for c in match.cases}
    now = timezone.now()
    # The rows' values in _MATCH_FIELDS' order, written in one statement: not bulk_create
    # (about 0.5 ms of a raise with twenty matches, docs/performance.md: insert_rows),
    # nor a model instance a row, which nothing reads (0.2 ms more).
    rows = [
        (case.pk, i, r, now, found[i].team_id != case.team_id or found[i].case_type in restricted)
        for i, r in reasons.items()
    ]
    insert_rows(PossibleMatch, _MATCH_FIELDS, rows)
    if any(tell_leads for *_, tell_leads in rows):
        transaction.on_commit(lambda: _send_tell_leads(case.pk))
    return len(rows)


def _send_tell_leads(case_id: int) -> None:
    """Queue the telling of ``case_id``'s matches; the rows are the durable record, so a
    broker that cannot be reached leaves them to the catch-up."""
    try:
        current_app.send_task(TELL_LEADS_TASK, args=[case_id])
    except Exception:  # the match rows say the messages are still owed
        logger.warning("could not queue telling the leads of case %s's matches", case_id)


def possible_match_leads_tell(*, case_id: int | None = None, now: datetime | None = None) -> int:
    """Write the in-app messages owed to the leads who act on matched cases (those
    ``possible_matches_record`` marked), and mark the matches told; how many messages.

    With ``case_id``, that raise's matches (its task, sent at the commit); without, every
    match owed for longer than ``TELL_LEADS_GRACE`` (beat's catch-up), ``TELL_LEADS_BATCH``
    to a transaction until none is left (after a long outage of the broker there may be
    thousands). The rows are locked and skipped when another run holds them, so each
    lead is told once. ``now`` is the real time (the catch-up judges by the clock, as the
    outbox's does); the leads are those who act on the matched case when the message is
    written.
    """
    now = now or timezone.now()
    owed = PossibleMatch.objects.filter(tell_leads=True, leads_told_at__isnull=True)
    if case_id is not None:
        return _tell_batch(owed.filter(case_id=case_id), now)[1]
    owed = owed.filter(found_at__lte=now - TELL_LEADS_GRACE)
    matches = messages = 0
    while True:
        told, written = _tell_batch(owed, now)
        matches, messages = matches + told, messages + written
        if told < TELL_LEADS_BATCH:
            break
    if matches:
        logger.info("told the leads of %d possible match(es) left owed", matches)
    return messages


def _tell_batch(owed: Any, now: datetime) -> tuple[int, int]:
    """Tell the first ``TELL_LEADS_BATCH`` of ``owed`` in one transaction: how many
    matches and how many messages."""
    with transaction.atomic():
        rows = list(
            owed.select_for_update(skip_locked=True, of=("self",))
            .select_related("case", "matched_case")
            .only(
                "case__reference",
                "matched_case__reference",
                "matched_case__team_id",
                "matched_case__case_type",
            )
            .order_by("id")[:TELL_LEADS_BATCH]
        )
        if not rows:
            return 0, 0
        leads = case_lead_ids(row.matched_case for row in rows)
        drafts = [
            _lead_message(row.case, row.matched_case, lead_id)
            for row in rows
            for lead_id in leads[row.matched_case_id]
        ]
        outbox_enqueue_many(drafts=drafts)
        PossibleMatch.objects.filter(pk__in=[row.pk for row in rows]).update(leads_told_at=now)
    return len(rows), len(drafts)


def _lead_message(case: Case, matched: Case, lead_id: int) -> OutboxDraft:
    """An in-app message to a lead who acts on ``matched`` (a Prevent-cleared one only for
    a restricted case), naming both references and nothing of either's content: the
    leads of every matched case are read at once (``case_lead_ids``), however many cases
    of however many teams a common name matched (a new concern about a common name
    matched 17 cases and wrote 90 messages one by one: 420 statements a raise; then a
    query for each team's leads: 5 to 7 a raise at 500,000 cases, docs/performance.md).
    The messages are new (their keys name the new case), so they are written in one
    insert."""
    return OutboxDraft(
        recipient_id=lead_id,
        channel=Channel.IN_APP,
        template="case.possible_match",
        subject=f"{matched.reference} may be linked to a new concern",
        body=(
            f"A new concern, {case.reference}, may be about a person or an "
            f"address of {matched.reference}. Contact the team that raised it "
            "if you need to share information."
        ),
        link=case_link(matched.reference),
        dedupe_key=f"possible-match:{case.pk}:{matched.pk}:{lead_id}",
        # The case they act on: the new one may be another team's.
        case_id=matched.pk,
    )


@dataclass
class CaseMatches:
    """A case's possible matches as one viewer may see them."""

    visible: list[PossibleMatch]
    other_teams: int


# What the case page shows of a possible match (the matched case's reference, the
# reasons) and what tells who may see it (the matched case's id and type).
_MATCH_VALUES = (
    "pk", "case_id", "matched_case_id", "reasons", "matched_case__reference",
    "matched_case__case_type",
)  # fmt: skip


def _matches_of(pk: int) -> QuerySet[Any]:
    """The possible matches of the case ``pk``, the newest matched case first."""
    matches = PossibleMatch.objects.filter(case_id=pk).order_by("-matched_case__raised_at")
    return matches.values(*_MATCH_VALUES)


def _match(row: dict[str, Any]) -> PossibleMatch:
    match = PossibleMatch(**{name: row[name] for name in _MATCH_VALUES[:4]})
    match.matched_case = Case(
        pk=row["matched_case_id"],
        reference=row["matched_case__reference"],
        case_type=row["matched_case__case_type"],
    )
    return match


def possible_matches_for_user(user: Any, case: Case) -> CaseMatches:
    """The possible matches of ``case`` in cases ``user`` may see in full, and how many
    more are in other teams' cases outside any restricted compartment (told only to a
    lead of ``case``'s team, for whom that is the flag to ask the other team). Nothing
    about a restricted case the user may not see. Two queries (one when there is none);
    the first, the case's matches with the matched cases' reference and type, is a
    statement built and compiled once, the case's id given each time
    (``casework.statements``)."""
    matches = compiled_values(("possible matches",), _matches_of, (case.pk,), prepared=True)
    rows = [_match(row) for row in matches]
    if not rows:
        return CaseMatches([], 0)
    ids = [r.matched_case_id for r in rows]
    full = set(case_content_list_for_user(user).filter(pk__in=ids).values_list("pk", flat=True))
    visible = [r for r in rows if r.matched_case_id in full]
    hidden = 0
    if lead_may(case, user):
        restricted = restricted_case_types()
        hidden = sum(
            1
            for r in rows
            if r.matched_case_id not in full and r.matched_case.case_type not in restricted
        )
    return CaseMatches(visible, hidden)


def premises_cases_for_user(user: Any, premises: Premises) -> list[Case]:
    """The cases at ``premises`` or at the same address recorded again (the same postcode
    and first line) that ``user`` may see in full, newest first: repeat addresses are the
    signal of cuckooing. Empty unless the user may see a case at ``premises`` itself, so
    a premises record tells nobody about another's address."""
    key = access_key(user)

    def own_cases(pk: int) -> QuerySet[Case]:
        return case_content_list_for_user(user).filter(premises_id=pk).values("pk")

    def shown(ids: str) -> QuerySet[Case]:
        visible = case_content_list_for_user(user).filter(in_id_array("pk", ids))
        return visible.select_related("team").order_by("-raised_at")

    # Each statement built and compiled once per access key, the ids given each time
    # (``casework.statements``): the page's own CPU was half compiling them.
    own = compiled_values(("premises' own cases", key), own_cases, (premises.pk,), prepared=True)
    if not own:
        return []
    entered = {"address": premises.address, "postcode": premises.postcode}
    same = _candidates(candidate_query([], entered), user_keys(user), None, PREMISES_CASES)
    found = compiled_objects("matching: candidates' cases", _candidate_cases, (id_array(same),))
    ids = {row["pk"] for row in own} | {
        c.pk for c in found if c.premises is not None and premises_reasons(entered, c.premises)
    }
    return compiled_objects(("premises' cases shown", key), shown, (id_array(sorted(ids)),))
