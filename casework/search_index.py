"""The search index: what staff search by and who may see it, in one ``tsvector`` a case.

Each case has one ``CaseSearchEntry`` whose document holds lexemes of three kinds:

- **what is searched**, normalised (case and accents folded; ``Łukasz`` is ``lukasz``):
  the words of its people's given names, family names and aliases, each with a phonetic
  key (``~sm0`` for Smith and Smyth, ``~jn`` for John and Jon), the words of the summary
  and of the first line of each address, dates of birth (``#d:19850312``), postcodes
  (``#p:ls61aa``, outward code ``#o:ls6``) and phone digits (``#t:07700900123``);
- **every beginning of a name's or a first address line's words** (``#x:s``, ``#x:sm``
  ... ``#x:smith``, up to ``MAX_PREFIXED`` letters), so that a word typed finds the
  names and addresses it begins as one exact lexeme. A prefix match (``'smith':*``)
  finds the same, but GIN answers it by reading every posting list of every word it
  begins into a bitmap, without skipping through them as it does for an exact lexeme
  alongside the user's access keys: 4-6 ms more of a name search's SQL at 500,000 cases
  (docs/performance.md). The summary's words are found whole;
- **the reference** (``#r:sc2026000123``, ``#r:000123``, ``#r:123``), which also finds a
  case its viewer may know only as received (the frontline raiser of a Prevent case);
- **the year it was raised** (``#y:2026``, in UTC), by which a search of every team's
  cases reads its newest matches a year at a time (``search_case_ids_newest_first``);
- **who may see it** (``#a:...``): its owner (``#a:o7``), raiser (``#a:r7``), team
  (``#a:t2``) and each user or group granted it (``#a:u7``, ``#a:g3``), one lexeme each
  whatever the case's type, and **its type** (``#k:prevent``). Whether a type is in a
  need-to-know compartment (``SAFECASE_RESTRICTED_CASE_TYPES``) is decided when
  searching, never frozen into the index: a lead's team key counts only outside the
  compartments (``'#a:t2' & !'#k:prevent' & !'#k:dhr'``).

A search is one ``tsquery``: ``(every word matches) & (the user's content condition)``,
or'd with ``(the reference matches) & (the user's visibility condition)``, answered by
the GIN index alone (a word is ``'#x:word' | 'word'`` and its sound; the prefix matches
``'...':*`` are kept for a reference's or phone number's digits, whose lexemes are
few, and for a word longer than ``MAX_PREFIXED``). One lexeme a holder, not one a
holder and type, keeps a lead's condition to a handful of keys: for each case whose
name matches, GIN advances every key's posting list to it, and a lead's 23 keys of one
holder and type each made a surname search 20-50% slower (docs/performance.md).
``tsvector``, ``tsquery`` and GIN are core PostgreSQL: the embedded server of ``make
run`` needs no extension. The conditions mirror ``casework.selectors`` (``_visibility``
and ``case_content_condition``) exactly; ``tests/casework/test_search_index.py`` checks
that, user by user and case by case.

Writes: the services call ``search_index_update(case_ids)`` in their transaction after
changing what is indexed; grants written by guardian outside a service are caught by
the receivers in ``casework.signals``. ``search_index_rebuild`` (``manage.py
search_index_rebuild``) fills or refreshes the whole index in batches.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from casework.models import (
    Case,
    CaseGroupObjectPermission,
    CasePerson,
    CaseSearchEntry,
    CaseUserObjectPermission,
)
from casework.permissions import (
    auditor_cleared_for,
    named_case_types,
    restricted_case_types,
    team_ids_of,
)
from casework.roles import (
    NO_CASE_ROLES,
    Role,
    group_ids_of,
    has_prevent_clearance,
    roles_of,
)
from casework.selectors import id_array, in_id_array
from casework.statements import compiled_column, compiled_values

# Folded letters that Unicode does not decompose into a base letter and an accent.
_FOLD = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}
)
_WORD = re.compile(r"[a-z0-9]+")
POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)\s*(\d[a-z]{2})\b")
OUTWARD = re.compile(r"[a-z]{1,2}\d[a-z\d]?")
DATE_DMY = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b")
DATE_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
PHONE = re.compile(r"\+?\d[\d \-()]{6,}\d")
WHOLE_REFERENCE = re.compile(r"sc-?\d{4}-?\d{6,}")
MIN_PHONE_DIGITS = 9
MAX_WORDS = 5
MAX_SUMMARY_WORDS = 300
# The lexeme of a word's beginnings, and the longest beginning indexed.
PREFIX = "#x:"
MAX_PREFIXED = 30
# The lexeme of the year (UTC) a case was raised, and how many of the latest years a
# search of every team's cases reads one at a time before the rest at once.
YEAR = "#y:"
YEARS_READ_APART = 2
# A person's fields whose words are names.
NAME_FIELDS = ("given_names", "family_name", "aliases")
BATCH = 2_000


def fold(text: str) -> str:
    """Lower case without accents: ``Zoë Łukasz`` is ``zoe lukasz``. Text all ASCII,
    most names and addresses, has no accent to take off and is only made lower case
    (what a search found says is folded for 40 people a page: docs/performance.md)."""
    if not text:
        return ""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters and digits; everything else separates)."""
    return _WORD.findall(fold(text))


def name_words(text: str) -> list[str]:
    """A name's words, and hyphenated or apostrophised names joined too (``O'Brien`` is
    ``o``, ``brien`` and ``obrien``), so either spelling finds it."""
    found = []
    for part in fold(text).split():
        pieces = _WORD.findall(part)
        found += pieces
        if len(pieces) > 1:
            found.append("".join(pieces))
    return found


# Phonetic key: a compact form of Lawrence Philips' Metaphone (1990) ---------------------

_VOWELS = set("aeiou")
_SAME = {"f": "f", "j": "j", "l": "l", "m": "m", "n": "n", "r": "r", "q": "k", "v": "f", "z": "s"}


def _c(w: str, i: int, nxt: str) -> str:
    if nxt == "h" and w[i - 1 : i] != "s":
        return "x"
    if w[i + 1 : i + 3] == "ia":
        return "x"
    if nxt and nxt in "iey":
        return "" if w[i - 1 : i] == "s" else "s"
    return "k"


def _g(w: str, i: int, nxt: str) -> str:
    if nxt == "h" and i + 2 < len(w) and w[i + 2] not in _VOWELS:
        return ""
    if nxt == "n" and (i + 2 == len(w) or w[i + 2 :] == "ed"):
        return ""
    if nxt and nxt in "iey" and w[i - 1 : i] != "g":
        return "j"
    return "k"


def _letter(w: str, i: int) -> str:  # noqa: C901 - one rule a letter, as Metaphone states them
    ch, nxt, prev = w[i], w[i + 1 : i + 2], w[i - 1 : i]
    if ch in _VOWELS:
        return "a" if i == 0 else ""
    if ch in _SAME:
        return _SAME[ch]
    if ch == "b":
        return "" if prev == "m" and i == len(w) - 1 else "b"
    if ch == "c":
        return _c(w, i, nxt)
    if ch == "d":
        return "j" if nxt == "g" and w[i + 2 : i + 3] in ("e", "i", "y") else "t"
    if ch == "g":
        return _g(w, i, nxt)
    if ch == "h":
        silent = prev in ("c", "s", "p", "t", "g") or (prev in _VOWELS and nxt not in _VOWELS)
        return "" if silent or not nxt else "h"
    if ch == "k":
        return "" if prev == "c" else "k"
    if ch == "p":
        return "f" if nxt == "h" else "p"
    if ch == "s":
        return "x" if nxt == "h" or w[i + 1 : i + 3] in ("io", "ia") else "s"
    if ch == "t":
        if w[i + 1 : i + 3] in ("io", "ia"):
            return "x"
        if nxt == "h":
            return "0"
        return "" if w[i + 1 : i + 3] == "ch" else "t"
    if ch in ("w", "y"):
        return ch if nxt in _VOWELS and nxt else ""
    if ch == "x":
        return "ks"
    return ""


@functools.lru_cache(maxsize=16_384)
def phonetic(word: str) -> str:
    """The word's phonetic key: ``smith`` and ``smyth`` are ``sm0``, ``john`` and ``jon``
    ``jn``, ``catherine`` and ``kathryn`` ``k0rn``. Letters only; '' for none. Kept for
    the words last asked for: matching a raise's names compares them with twenty
    candidates' (``casework.matching``), the same few names again and again."""
    w = "".join(c for c in fold(word) if "a" <= c <= "z")
    if w[:2] in ("kn", "gn", "pn", "ae", "wr"):
        w = w[1:]
    if w[:1] == "x":
        w = "s" + w[1:]
    if w[:2] == "wh":
        w = "w" + w[2:]
    w = "".join(c for i, c in enumerate(w) if i == 0 or c != w[i - 1] or c == "c")
    return "".join(_letter(w, i) for i in range(len(w)))


# What a case's document holds --------------------------------------------------------------


def phone_digits(text: str) -> str:
    """The digits of a UK phone number, ``+44 7700 900123`` as ``07700900123``."""
    digits = "".join(c for c in text or "" if c.isdigit())
    if digits.startswith("44") and (text or "").lstrip().startswith("+"):
        digits = "0" + digits[2:]
    return digits


def postcode_lexemes(text: str) -> list[str]:
    """``#p:`` whole postcodes and ``#o:`` their outward codes found in ``text``."""
    found = []
    for outward, inward in POSTCODE.findall(fold(text)):
        found += [f"#p:{outward}{inward}", f"#o:{outward}"]
    return found


def reference_lexemes(reference: str) -> list[str]:
    """``SC-2026-000123`` as ``#r:sc2026000123``, ``#r:2026000123``, ``#r:000123`` and
    ``#r:123``: a whole reference, its number with or without the year, or its serial."""
    parts = words(reference)
    found = {"#r:" + "".join(parts)}
    if len(parts) >= 3:
        found |= {"#r:" + "".join(parts[1:]), "#r:" + parts[-1], "#r:" + parts[-1].lstrip("0")}
    return sorted(x for x in found if x != "#r:")


def _person_names(person: Mapping[str, Any]) -> list[str]:
    return name_words(" ".join(person[f] or "" for f in NAME_FIELDS))


def first_line(address: str) -> str:
    """An address's first line that is not blank."""
    return next((line for line in (address or "").splitlines() if line.strip()), "")


def beginnings(premises_address: str, people: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ``#x:`` lexemes of a case: every beginning of the words of its people's names
    and of the first lines of their and its premises' addresses (``people``: mappings
    with ``NAME_FIELDS`` and ``address``). Migration ``casework.0034`` adds them to
    entries written before."""
    found = set(words(first_line(premises_address)))
    for person in people:
        found.update(_person_names(person))
        found.update(words(first_line(person["address"])))
    return {PREFIX + w[:n] for w in found for n in range(1, min(len(w), MAX_PREFIXED) + 1)}


def _person_lexemes(person: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for name in _person_names(person):
        found.add(name)
        key = phonetic(name)
        if key:
            found.add("~" + key)
    if person["date_of_birth"]:
        found.add(f"#d:{person['date_of_birth']:%Y%m%d}")
    digits = phone_digits(person["phone"])
    if len(digits) >= MIN_PHONE_DIGITS:
        found.add(f"#t:{digits}")
    found |= _address_lexemes(person["address"])
    return found


def _address_lexemes(address: str, postcode: str = "") -> set[str]:
    """The first line's words and every postcode in the address (or given apart)."""
    first = first_line(address)
    return {*words(first), *postcode_lexemes(f"{address or ''} {postcode or ''}")}


def access_lexemes(case: dict[str, Any], users: Iterable[int], groups: Iterable[int]) -> set[str]:
    """Who may see the case, and its type (see the module docstring)."""
    found = {f"#k:{case['case_type']}", f"#a:r{case['raised_by_id']}", f"#a:t{case['team_id']}"}
    if case["owner_id"]:
        found.add(f"#a:o{case['owner_id']}")
    found |= {f"#a:u{u}" for u in users}
    found |= {f"#a:g{g}" for g in groups}
    return found


@dataclass
class _Facts:
    people: list[dict[str, Any]] = field(default_factory=list)
    users: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)


def document(case: dict[str, Any], facts: _Facts) -> list[str]:
    """Every lexeme of a case's document, sorted."""
    found = set(reference_lexemes(case["reference"]))
    found |= set(words(case["summary"])[:MAX_SUMMARY_WORDS])
    found |= _address_lexemes(case["premises__address"] or "", case["premises__postcode"] or "")
    for person in facts.people:
        found |= _person_lexemes(person)
    found |= beginnings(case["premises__address"] or "", facts.people)
    found |= access_lexemes(case, facts.users, facts.groups)
    found.add(year_lexeme(case["raised_at"]))
    return sorted(found)


def year_lexeme(raised_at: datetime) -> str:
    """The lexeme of the year, in UTC, a case was raised (``#y:2026``)."""
    return f"{YEAR}{raised_at.astimezone(UTC).year}"


_CASE_FIELDS = (
    "pk",
    "reference",
    "case_type",
    "summary",
    "team_id",
    "owner_id",
    "raised_by_id",
    "raised_at",
    "premises__address",
    "premises__postcode",
)
_PERSON_FIELDS = ("given_names", "family_name", "aliases", "date_of_birth", "phone", "address")


def _cases(ids: str) -> QuerySet[Any]:
    return Case.objects.filter(in_id_array("pk", ids)).order_by().values(*_CASE_FIELDS)


def _people(ids: str) -> QuerySet[Any]:
    fields = (f"person__{f}" for f in _PERSON_FIELDS)
    return CasePerson.objects.filter(in_id_array("case_id", ids)).values("case_id", *fields)


def _grants(model: Any, key: str) -> Callable[[str], QuerySet[Any]]:
    def build(ids: str) -> QuerySet[Any]:
        granted = model.objects.filter(in_id_array("content_object_id", ids))
        return granted.filter(permission__codename="view_case").values("content_object_id", key)

    return build


_GRANTS = tuple(
    (attr, key, _grants(model, key))
    for attr, model, key in (
        ("users", CaseUserObjectPermission, "user_id"),
        ("groups", CaseGroupObjectPermission, "group_id"),
    )
)


def _facts(ids: str) -> dict[int, _Facts]:
    facts: dict[int, _Facts] = defaultdict(_Facts)
    for row in compiled_values("search index: people", _people, (ids,)):
        facts[row["case_id"]].people.append({f: row[f"person__{f}"] for f in _PERSON_FIELDS})
    for attr, key, build in _GRANTS:
        for row in compiled_values(("search index: grants", attr), build, (ids,)):
            getattr(facts[row["content_object_id"]], attr).add(row[key])
    return facts


_UPSERT = """
INSERT INTO casework_casesearchentry (case_id, document, raised_at, updated_at)
SELECT (entry->>0)::bigint,
       array_to_tsvector(ARRAY(SELECT jsonb_array_elements_text(entry->1))),
       (entry->>2)::timestamptz,
       %s
FROM jsonb_array_elements(%s::jsonb) AS entry
ON CONFLICT (case_id) DO UPDATE
SET document = EXCLUDED.document, raised_at = EXCLUDED.raised_at,
    updated_at = EXCLUDED.updated_at
"""


def search_index_update(case_ids: Iterable[int]) -> int:
    """Write the index entries of these cases from what is in the database now (call it
    inside the transaction that changed them). Four reads and one write, whatever the
    number of cases, the reads compiled once (``casework.statements``: the ids given as
    one array); returns how many entries were written."""
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        return 0
    given = id_array(ids)
    cases = compiled_values("search index: cases", _cases, (given,))
    facts = _facts(given)
    rows = [[c["pk"], document(c, facts[c["pk"]]), c["raised_at"].isoformat()] for c in cases]
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [timezone.now(), json.dumps(rows)])
    return len(rows)


def _batches(last: int | None) -> Iterator[list[int]]:
    ids = Case.objects.order_by("pk").values_list("pk", flat=True)
    start = 0
    while True:
        batch = list(ids.filter(pk__gt=start)[:BATCH])
        if not batch:
            return
        yield batch
        start = batch[-1]
        if last is not None and start >= last:
            return


def search_index_rebuild() -> int:
    """Write every case's entry (the backfill, and the repair after a bulk import), in
    batches of ``BATCH`` cases, and drop entries of cases that no longer exist."""
    written = sum(search_index_update(batch) for batch in _batches(None))
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN over a subquery larger than
    # work_mem as a nested scan per row (hours at 500,000 cases); this is an anti-join.
    gone = ~Exists(Case.objects.filter(pk=OuterRef("case_id")))
    CaseSearchEntry.objects.filter(gone).delete()
    return written


# Searching ---------------------------------------------------------------------------------


def quote(lexeme: str, prefix: bool = False) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")


def any_of(alternatives: Iterable[str]) -> str:
    parts = list(dict.fromkeys(alternatives))
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def all_of(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


@dataclass(frozen=True)
class Keys:
    """The ``tsquery`` conditions on the access lexemes that find what a user may see
    (``visible``) and what they may see in full (``content``): ``None`` is every case
    (the system itself), ``NOTHING`` no case."""

    visible: str | None
    content: str | None


NOTHING = ""


def _of_kinds(kinds: Iterable[str]) -> str:
    return any_of(quote(f"#k:{k}") for k in kinds)


def _outside(kinds: Iterable[str]) -> str | None:
    """Not a case of any of ``kinds``; None when there are none."""
    parts = [f"!{quote(f'#k:{k}')}" for k in sorted(kinds)]
    return all_of(parts) if parts else None


def _within(holders: list[str], kinds: str | None) -> list[str]:
    """``holders`` (any of them) of cases that meet ``kinds`` (None: of any kind)."""
    if not holders:
        return []
    return [all_of([any_of(holders), kinds]) if kinds else any_of(holders)]


def user_keys(user: Any) -> Keys:
    """The user's conditions, mirroring ``casework.selectors._visibility`` (what they may
    open) and ``case_content_condition`` (what they may see in full)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Keys(NOTHING, NOTHING)
    held = roles_of(user)
    if Role.AUDITOR in held:
        hidden = _outside(auditor_hidden_types(user))
        return Keys(hidden, hidden)
    if not held - NO_CASE_ROLES:
        return Keys(NOTHING, NOTHING)
    restricted = sorted(restricted_case_types())
    # A named compartment (a Domestic Homicide Review) opens to the people named to the
    # case (its grants) alone: neither the team nor Prevent clearance opens it.
    named = sorted(named_case_types() & set(restricted))
    cleared_kinds = [k for k in restricted if k not in named]
    cleared = Role.PREVENT_LEAD in held
    lead = held & {Role.LEAD, Role.PREVENT_LEAD}
    owner, raiser = quote(f"#a:o{user.pk}"), quote(f"#a:r{user.pk}")
    granted = [quote(f"#a:u{user.pk}"), *(quote(f"#a:g{g}") for g in group_ids_of(user))]
    teams = [quote(f"#a:t{t}") for t in sorted(team_ids_of(user))]

    content = [owner, *_within([raiser, *granted, *(teams if lead else [])], _outside(restricted))]
    if cleared and cleared_kinds:
        content += _within(teams, _of_kinds(cleared_kinds))
    if named:
        content += _within(granted, _of_kinds(named))
    visible = list(content)
    if restricted:
        visible += _within([raiser], _of_kinds(restricted))
    if cleared and cleared_kinds:
        visible += _within(granted, _of_kinds(cleared_kinds))
    return Keys(any_of(visible), any_of(content))


# One alternative of a term: a lexeme, and whether it is matched as a beginning (``:*``).
Choice = tuple[str, bool]


@dataclass
class Parsed:
    """A search's terms: each a set of alternatives (``choices``) of which one must match,
    every term matching (content); and the reference's alternatives (which also find a
    case known only as received). ``terms`` are the choices as ``tsquery`` text."""

    choices: list[tuple[Choice, ...]] = field(default_factory=list)
    reference: str | None = None

    @property
    def terms(self) -> list[str]:
        return [any_of(quote(lexeme, prefix) for lexeme, prefix in c) for c in self.choices]


def _dates(text: str) -> tuple[list[tuple[Choice, ...]], str]:
    found = []
    for pattern, order in ((DATE_ISO, (0, 1, 2)), (DATE_DMY, (2, 1, 0))):
        for match in pattern.finditer(text):
            y, m, d = (int(match.group(i + 1)) for i in order)
            try:
                found.append(((f"#d:{date(y, m, d):%Y%m%d}", False),))
            except ValueError:
                continue
        text = pattern.sub(" ", text)
    return found, text


def _specials(text: str) -> tuple[list[tuple[Choice, ...]], str]:
    """Dates of birth, postcodes and phone numbers in the search, and what is left."""
    found, text = _dates(text)
    for outward, inward in POSTCODE.findall(text):
        found.append(((f"#p:{outward}{inward}", False),))
    text = POSTCODE.sub(" ", text)
    for match in PHONE.findall(text):
        digits = phone_digits(match)
        if len(digits) >= MIN_PHONE_DIGITS:
            found.append(((f"#t:{digits}", True),))
            text = text.replace(match, " ")
    return found, text


def _word_term(word: str) -> tuple[Choice, ...]:
    """A word typed: the names and first address lines it begins (``#x:``) and the
    summaries that have it whole; a word longer than any beginning indexed, every word
    it begins."""
    if len(word) > MAX_PREFIXED:
        alternatives = [(word, True)]
    else:
        alternatives = [(PREFIX + word, False), (word, False)]
    if word.isdigit() and len(word) >= 6:
        alternatives.append((f"#t:{word}", True))
    elif OUTWARD.fullmatch(word):
        alternatives.append((f"#o:{word}", False))
    elif word.isalpha() and len(word) > 1 and phonetic(word):
        alternatives.append(("~" + phonetic(word), False))
    return tuple(dict.fromkeys(alternatives))


def parse(q: str) -> Parsed:
    """What a search asks for (see the module docstring); an empty ``Parsed`` asks
    nothing."""
    text = fold(q).strip()
    if WHOLE_REFERENCE.fullmatch(text):
        return Parsed(reference=quote("#r:" + "".join(words(text))))
    parsed = Parsed()
    tokens = words(text)
    if len(tokens) == 1 and any(c.isdigit() for c in tokens[0]):
        parsed.reference = quote("#r:" + tokens[0], prefix=True)
    elif len(tokens) > 1 and all(t.isdigit() or t == "sc" for t in tokens):
        parsed.reference = quote("#r:" + "".join(tokens), prefix=True)
    specials, rest = _specials(text)
    parsed.choices = specials + [_word_term(w) for w in words(rest)[:MAX_WORDS]]
    return parsed


# Which of a case's people and premises a search found -----------------------------------


def _found(choice: Choice, lexemes: set[str]) -> bool:
    lexeme, prefix = choice
    if not prefix:
        return lexeme in lexemes
    return any(found.startswith(lexeme) for found in lexemes)


def _terms_found(parsed: Parsed, lexemes: set[str]) -> int:
    """How many of the search's terms ``lexemes`` answer."""
    return sum(any(_found(choice, lexemes) for choice in term) for term in parsed.choices)


def person_lexemes(person: Mapping[str, Any]) -> set[str]:
    """What ``person`` (``NAME_FIELDS``, ``date_of_birth``, ``phone``, ``address``) adds to
    the document of each of their cases, beginnings of words included."""
    return _person_lexemes(dict(person)) | beginnings("", [person])


def premises_lexemes(address: str, postcode: str) -> set[str]:
    """What a case's premises add to its document, beginnings of words included."""
    return _address_lexemes(address, postcode) | beginnings(address, [])


@dataclass(frozen=True)
class Found:
    """What a search found in one case: its people (places in the list given) and
    whether its premises."""

    people: tuple[int, ...] = ()
    premises: bool = False


def search_found(
    parsed: Parsed,
    people: Sequence[Mapping[str, Any]],
    premises: tuple[str, str] | None = None,
) -> Found:
    """Why a case matched a search, in what staff asked about (issue 18: "is this person
    or address already known to us?"): the people its terms all match, or, when none
    does (the words are spread over two people, or found in the summary), each person
    one of them matches; and its premises, ``(address, postcode)``, when a term is found
    in them. The same lexemes as the index's (``document``), so what is said to have
    matched is what the index matched. Nothing for a search by reference alone."""
    if not parsed.choices:
        return Found()
    counts = [_terms_found(parsed, person_lexemes(person)) for person in people]
    every = [place for place, n in enumerate(counts) if n == len(parsed.choices)]
    some = [place for place, n in enumerate(counts) if n]
    at = premises is not None and _terms_found(parsed, premises_lexemes(*premises)) > 0
    return Found(tuple(every or some), at)


def _and(term: str, condition: str | None) -> str:
    return all_of([term, condition]) if condition else term


def tsquery(parsed: Parsed, keys: Keys) -> str | None:
    """The one tsquery of a search by a user with ``keys``; None when it can find
    nothing (no terms, or a user who may see no case)."""
    branches = []
    if parsed.terms and keys.content != NOTHING:
        branches.append(_and(all_of(list(parsed.terms)), keys.content))
    if parsed.reference and keys.visible != NOTHING:
        branches.append(_and(parsed.reference, keys.visible))
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else f"{branches[0]} | {branches[1]}"


def search_entries_for_user(user: Any, q: str) -> Any:
    """The index entries of the cases matching ``q`` that ``user`` may see (by what
    they may see of them): one query on the GIN index."""
    query = tsquery(parse(q), user_keys(user))
    if query is None:
        return CaseSearchEntry.objects.none()
    return _entries_matching(query)


def _entries_matching(query: str) -> Any:
    """The index entries matching ``query``, a user's search (``tsquery``)."""
    return CaseSearchEntry.objects.filter(document__matches=query)


def auditor_hidden_types(user: Any) -> list[str]:
    """The compartments an auditor may not read (their keys are "everything" else): a
    named compartment without its clearance, Prevent without Prevent clearance."""
    if Role.AUDITOR not in roles_of(user):
        return []
    named = named_case_types()
    hidden = [t for t in sorted(named) if not auditor_cleared_for(user, t)]
    if not has_prevent_clearance(user):
        hidden += sorted(restricted_case_types() - named)
    return hidden


def search_case_ids_for_user(user: Any, q: str) -> Any:
    """``search_entries_for_user`` as a subquery of case ids."""
    return search_entries_for_user(user, q).order_by().values("case_id")


def searches_every_team(user: Any) -> bool:
    """Whether ``user``'s search is narrowed by no holder of cases (an auditor's: their
    condition is the compartments they may not read, if any), so that a common name
    matches thousands of cases county-wide, not hundreds of a team's."""
    return _every_team(user_keys(user))


def _every_team(keys: Keys) -> bool:
    return keys.content is None or (keys.content != NOTHING and "#a:" not in keys.content)


def search_case_ids_newest_first(user: Any, q: str, limit: int) -> list[int]:
    """The ids of at most ``limit`` of the cases matching ``q`` that ``user`` may see,
    in the case list's default order (raised, newest first; the latest id first among
    cases raised at the same moment), read from the index's own rows (its query that of
    ``search_entries_for_user``).

    The index's entries carry no order: the newest are found by reading every match's
    row and sorting them. For a search of every team's cases (``searches_every_team``)
    a common surname matches about 6,300 of 500,000 cases, 10-16 ms of reading and
    sorting; read a year at a time (the ``#y:`` lexemes: this year's matches, then last
    year's, then every earlier year's at once), only the latest years' are read when
    they are ``limit`` or more (4 ms for 1,001 of them; docs/performance.md). A search
    a team narrows reads its matches at once (one statement, not three for one found)."""
    keys = user_keys(user)
    query = tsquery(parse(q), keys)
    if query is None:
        return []
    if not _every_team(keys):
        return _newest(query, limit)
    year = timezone.now().astimezone(UTC).year
    # This year's with next year's (a case raised at the new year by a server whose
    # clock is ahead of this one's), then each earlier year apart, then all the rest.
    apart = [[year + 1, year], *([year - back] for back in range(1, YEARS_READ_APART))]
    parts = [all_of([f"({query})", any_of(quote(f"{YEAR}{y}") for y in years)]) for years in apart]
    parts.append(
        all_of([f"({query})", *(f"!{quote(f'{YEAR}{y}')}" for years in apart for y in years)])
    )
    ids: list[int] = []
    for part in parts:
        ids += _newest(part, limit)
        if len(ids) >= limit:
            break
    return ids[:limit]


def _newest(query: str, limit: int) -> list[int]:
    """The ids of at most ``limit`` entries matching ``query``, newest first."""

    def newest(text: str) -> Any:
        entries = _entries_matching(text).order_by("-raised_at", "-case_id")
        return entries.values("case_id")[:limit]

    # Compiled once (``casework.statements``): the statement differs between users and
    # searches only by the tsquery, given at each use.
    return compiled_column(("search ids newest first", limit), newest, (query,))
