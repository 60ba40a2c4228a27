"""``python bench/seed.py --cases N``: a county's worth of data, fast, for the benchmark.

It lives beside the benchmark, not in an app: it needs every app (cases, clocks,
referrals), and the apps hold their own domain only. ``bench/run.py`` and the tests run
its ``Command`` with ``call_command(Command(), ...)``; ``bench/seed.py`` from the shell.

N cases of all five types spread over five years, in valid states of their workflows,
with their people (some shared between cases), premises for cuckooing, open and closed
clocks (about one open clock for every five cases, due within 30 days either side of
now), referrals to the partner directory, per-case access grants, and about 20 audit
events a case on a valid hash chain (computed exactly as ``casework.audit`` does, so
``manage.py verify_audit_chain`` passes). Staff: 1,000 users in 20 teams (frontline
workers, leads, a Prevent-cleared lead per team, auditors, administrators), every one
with the password ``SAFECASE_DEMO_PASSWORD`` (default ``safecase-demo-2026``).

It writes with PostgreSQL ``COPY`` in chunks, with ``session_replication_role =
replica`` for the load: row triggers do not fire, so the seeded rows have no
django-pghistory row history (they are an import, not edits) and foreign keys are not
re-checked row by row (the generator only points at rows it wrote; the test
``tests/test_seed_scale.py`` checks). CHECK constraints still apply. The secondary
indexes of the large tables are dropped for the load and rebuilt afterwards (faster than
maintaining them row by row), then the tables are vacuumed and analysed.

A database that already holds cases is refused unless ``--force`` is given (which adds
to it). The run is recorded in the ``safecase_seed_scale`` table, which ``make bench``
reads to reuse a seeded database of the same size.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from casework.audit import GENESIS_HASH, AuditVerb, audit_key_id, canonical_content, keyed_digest
from casework.models import Case, Team
from casework.permissions import named_case_types, restricted_case_types
from casework.references import SEQUENCE
from casework.role_audit import role_audit_paused
from casework.roles import Role
from casework.search_index import search_index_rebuild
from casework.services import roles_ensure
from referrals.models import PartnerAgency, ReferralState
from referrals.types import REFERRAL_TYPES
from workflows import case_facts
from workflows.case_figures import case_figures_rebuild
from workflows.registry import WORKFLOWS

MARK_TABLE = "safecase_seed_scale"
TEAMS = 20
CHUNK = 5000
YEARS = 5
# Per team: frontline workers, leads, Prevent-cleared leads (20 x 48 = 960), then
# 30 auditors and 10 administrators: 1,000 staff.
FRONTLINE_PER_TEAM, LEADS_PER_TEAM, PREVENT_LEADS_PER_TEAM = 42, 5, 1
AUDITORS, ADMINISTRATORS = 30, 10
# Tables whose secondary indexes are rebuilt after the load.
BIG_TABLES = (
    "casework_auditevent",
    "casework_case",
    "casework_person",
    "casework_caseperson",
    "workflows_deadline",
    "referrals_referral",
    "casework_caseuserobjectpermission",
)

GIVEN = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Willow Freya Florence "
    "Emily Ella Poppy Evie Elsie Charlotte Aisha Fatima Maryam Zara Amira Hannah Chloe Ruby "
    "Daisy Jessica Sophie Megan Lucy Holly Zoe Leah Maya Nia Seren Ffion Agnieszka Oksana "
    "Ioana Ana Priya Ananya Sana Chiamaka Adaeze Nkechi Noah Muhammad George Oliver Leo "
    "Arthur Oscar Theodore Theo Freddie Harry Jack Charlie Thomas Jacob Alfie Henry Archie "
    "Joshua James William Samuel Daniel Ryan Connor Liam Callum Kyle Jordan Mohammed Omar "
    "Ali Yusuf Ibrahim Hamza Bilal Tomasz Piotr Marek Andrei Mihai Dmytro Arjun Rohan "
    "Kwame Kofi Chinedu Emeka Tunde Dylan Rhys Owen"
).split()
FAMILY = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner "
    "Martin Cooper Hill Ward Hughes Moore Clark King Harrison Lewis Baker Lee Allen Morris "
    "Khan Scott Watson Davis Parker James Bennett Young Phillips Richardson Mitchell Bailey "
    "Carter Cook Singh Shaw Bell Collins Morgan Kelly Begum Miller Cox Hussain Marshall "
    "Simpson Price Anderson Adams Wilkinson Ali Ahmed Foster Ellis Murphy Chapman Mason "
    "Gray Richards Webb Griffiths Hunt Palmer Campbell Holmes Mills Rogers Barnes Knight "
    "Matthews Barker Powell Stevens Kaur Dawson Kowalski Nowak Popescu Ionescu Okafor "
    "Adeyemi Mensah Owusu Nguyen Chen Sharma Mahmood Rahman Ozturk Kaya Fernandes Silva"
).split()
STREETS = (
    "High Street|Station Road|Church Lane|Victoria Road|Green Lane|Manor Road|Park Avenue|"
    "Queens Road|Mill Lane|New Road|Kings Road|London Road|Chapel Street|Albert Road|"
    "Grange Road|Springfield Road|Windsor Close|Orchard Way|Meadow View|Highfield Road"
).split("|")
TOWNS = (
    "Ashford Barnstow Carrow Dunmere Eastwick Fenford Glenbury Harrowby Ilsworth Kingsmere "
    "Lowbridge Marden Northam Oakhurst Penrith Queensby Redmoor Stoneleigh Thornbury Upton"
).split()
SUMMARIES = {
    "modern_slavery": (
        "Concern that {name} is working long hours at a {place} for little or no pay and "
        "has had their passport taken.",
        "{name} disclosed being brought to the UK with a promise of work and now owes a "
        "debt to the people who arranged it.",
        "Neighbours report several adults living at one address and collected by van each "
        "morning; {name} appeared frightened.",
    ),
    "cuckooing": (
        "{name}'s flat appears to have been taken over by people dealing drugs; visitors "
        "at all hours.",
        "Housing officer concerned that {name}, a vulnerable tenant, is being exploited "
        "and no longer stays at home.",
        "Police intelligence suggests a county line is operating from {name}'s address.",
    ),
    "cse": (
        "School reports {name} has been seen getting into cars with older men and has "
        "new phones and clothes.",
        "{name} went missing overnight and returned with unexplained gifts; concern of "
        "sexual exploitation.",
        "Youth worker worried about {name}'s relationship with an adult met online.",
    ),
    "prevent": (
        "College tutor concerned by {name}'s recent statements and material shared with peers.",
        "Family worried about {name}'s changed behaviour and contact with an extremist "
        "group online.",
        "{name} expressed support for violence in class; referral for assessment.",
    ),
    "community_trigger": (
        "{name} has reported antisocial behaviour from a neighbouring property four "
        "times in six months without resolution.",
        "Application for an ASB case review: noise, intimidation and damage affecting "
        "{name}'s household.",
        "Repeated reports by {name} of youths gathering and harassment near the {place}.",
    ),
    "dhr": (
        "Police notified the partnership in writing of the death of {name}; her former "
        "partner has been arrested.",
        "Death of {name} by suspected suicide; a history of coercive control is known.",
    ),
    "unclassified": (
        "Not sure which type: {name} seems frightened and is often seen at the {place}.",
        "Worried about {name}; something is not right at home but I am not sure what.",
    ),
}
PLACES = ("car wash", "nail bar", "farm", "takeaway", "warehouse", "building site", "park")
PERSON_ROLES = {
    "modern_slavery": ("subject",),
    "cuckooing": ("occupier", "alleged_perpetrator"),
    "cse": ("subject", "parent_carer"),
    "prevent": ("subject",),
    "community_trigger": ("applicant", "subject"),
    "dhr": ("subject", "alleged_perpetrator"),
    "unclassified": ("subject",),
}
CASE_COLUMNS = (
    "id", "reference", "case_type", "state", "summary", "details", "team_id", "owner_id",
    "raised_by_id", "raised_at", "closed_at", "outcome_code", "premises_id", "version",
    "updated_at", "immediate_risk",
)  # fmt: skip
PERSON_COLUMNS = (
    "id", "given_names", "family_name", "aliases", "date_of_birth", "estimated_age",
    "gender", "phone", "email", "address", "created_at",
)  # fmt: skip
USER_COLUMNS = (
    "id", "password", "is_superuser", "username", "first_name", "last_name", "email",
    "is_staff", "is_active", "date_joined",
)  # fmt: skip


def _copy_escape(value: Any) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


class Copier:
    """Rows per table, written with COPY when flushed."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.rows: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, columns: tuple[str, ...], values: Sequence[Any]) -> None:
        line = "\t".join(_copy_escape(v) for v in values)
        self.rows.setdefault((table, columns), []).append(line)

    def flush(self) -> None:
        for (table, columns), lines in self.rows.items():
            if not lines:
                continue
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self.cursor.copy(sql) as copy:
                copy.write("\n".join(lines) + "\n")
            self.counts[table] = self.counts.get(table, 0) + len(lines)
        self.rows = {}


class Ids:
    """Explicit ids for each table, from one past the largest existing id; the tables'
    identity sequences are moved past them at the end."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        if table not in self.next:
            self.cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            self.next[table] = self.cursor.fetchone()[0] + 1
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def advance_sequences(self) -> None:
        for table, value in self.next.items():
            self.cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, value]
            )


def _months_later(moment: datetime, months: int) -> datetime:
    return moment + timedelta(days=30.4 * months)


class Seeder:
    def __init__(self, *, cases: int, seed: int, out: Any) -> None:
        self.n = cases
        self.rng = random.Random(seed)  # noqa: S311 (test data, not security)
        self.out = out
        self.now = timezone.now().astimezone(UTC)
        self.start = self.now - timedelta(days=365 * YEARS)
        self.named = named_case_types()
        # Named compartments are seeded apart: recorded by a lead, who is named to them.
        self.restricted = restricted_case_types() - self.named

    # Staff ------------------------------------------------------------------------------

    def staff(self, cursor: Any, ids: Ids, copier: Copier) -> None:
        """20 teams of 42 frontline workers, 5 leads and a Prevent-cleared lead; 30
        auditors and 10 administrators (1,000 staff). Existing usernames are reused."""
        # The role groups' permissions are reference data, not a change anyone made; and
        # an audit event now would keep the audit table from being altered for the load.
        with role_audit_paused():
            self.groups = roles_ensure()
        self.password = make_password(
            os.environ.get("SAFECASE_DEMO_PASSWORD", "safecase-demo-2026")
        )
        self.ids, self.copier, self.cursor = ids, copier, cursor
        self.teams: list[int] = []
        for i in range(1, TEAMS + 1):
            team, _ = Team.objects.get_or_create(
                slug=f"county-{i:02d}",
                defaults={"name": f"{TOWNS[(i - 1) % len(TOWNS)]} safeguarding team"},
            )
            self.teams.append(team.pk)
        cursor.execute("SELECT username, id FROM auth_user")
        self.existing = dict(cursor.fetchall())
        self.frontline: dict[int, list[int]] = {}
        self.leads: dict[int, list[int]] = {}
        self.prevent_leads: dict[int, list[int]] = {}
        for n, team in enumerate(self.teams, start=1):
            self.frontline[team] = [
                self._user(f"t{n:02d}-worker-{j:02d}", Role.FRONTLINE, team)
                for j in range(1, FRONTLINE_PER_TEAM + 1)
            ]
            self.leads[team] = [
                self._user(f"t{n:02d}-lead-{j}", Role.LEAD, team)
                for j in range(1, LEADS_PER_TEAM + 1)
            ]
            self.prevent_leads[team] = [
                self._user(f"t{n:02d}-prevent-lead-{j}", Role.PREVENT_LEAD, team)
                for j in range(1, PREVENT_LEADS_PER_TEAM + 1)
            ]
        self.auditors = [
            self._user(f"auditor-{j:02d}", Role.AUDITOR, None) for j in range(1, AUDITORS + 1)
        ]
        for j in range(1, ADMINISTRATORS + 1):
            self._user(f"admin-{j:02d}", Role.ADMINISTRATOR, None)
        copier.flush()
        self.view_case = Permission.objects.get(
            content_type__app_label="casework", codename="view_case"
        ).pk
        partners_by_kind: dict[str, list[int]] = {}
        for partner in PartnerAgency.objects.filter(active=True):
            partners_by_kind.setdefault(partner.kind, []).append(partner.pk)
        # The referral types each case type can make to a partner in the directory.
        self.referral_types: dict[str, list[tuple[str, list[int]]]] = {}
        for spec in REFERRAL_TYPES.values():
            partners = [p for kind in spec.partner_kinds for p in partners_by_kind.get(kind, [])]
            if partners:
                self.referral_types.setdefault(spec.case_type, []).append((spec.value, partners))
        Group.objects.get_or_create(name="Service managers")

    def _user(self, username: str, role: Role, team: int | None) -> int:
        if username in self.existing:
            return self.existing[username]
        rng, ids, copier = self.rng, self.ids, self.copier
        pk = ids.take("auth_user")
        joined = self.start - timedelta(days=rng.randint(0, 2000))
        copier.add(
            "auth_user",
            USER_COLUMNS,
            (pk, self.password, False, username, rng.choice(GIVEN), rng.choice(FAMILY),
             f"{username}@county.example.org", role is Role.ADMINISTRATOR, True, joined),
        )  # fmt: skip
        copier.add(
            "auth_user_groups",
            ("id", "user_id", "group_id"),
            (ids.take("auth_user_groups"), pk, self.groups[role].pk),
        )
        if team is not None:
            copier.add(
                "casework_teammembership",
                ("id", "user_id", "team_id"),
                (ids.take("casework_teammembership"), pk, team),
            )
        return pk

    # Cases ----------------------------------------------------------------------------

    def _workflow_facts(self) -> None:
        self.types = list(WORKFLOWS)
        self.open_states: dict[str, list[str]] = {}
        self.outcomes: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self.paths: dict[str, dict[str, list[tuple[str, str]]]] = {}
        for case_type, workflow in WORKFLOWS.items():
            terminal = {str(s) for s in workflow.terminal_states}
            self.open_states[case_type] = [s for s in workflow.states.values if s not in terminal]
            by_target: dict[str, list[tuple[str, str]]] = {}
            into: dict[str, list[tuple[str, str]]] = {}
            for t in workflow.transitions():
                if t.target is None:
                    continue
                into.setdefault(str(t.target), []).append((t.name, str(t.source)))
                if str(t.target) in terminal:
                    by_target.setdefault(str(t.target), []).append(
                        (t.name, t.custom.get("outcome") or "")
                    )
            self.outcomes[case_type] = by_target
            self.paths[case_type] = into

    def _path_to(self, case_type: str, state: str) -> list[tuple[str, str, str]]:
        """A plausible run of transitions (name, from, to) from the initial state."""
        workflow = WORKFLOWS[case_type]
        steps: list[tuple[str, str, str]] = []
        seen = {state}
        current = state
        while current != workflow.initial_state and len(steps) < 12:
            options = [o for o in self.paths[case_type].get(current, []) if o[1] not in seen]
            if not options:
                break
            name, source = self.rng.choice(options)
            steps.append((name, source, current))
            seen.add(source)
            current = source
        steps.reverse()
        return steps

    def _state_history(self) -> None:
        """Each seeded case's state history (``CaseStateChange``, which the reports read)
        from its audit trail, as the migration that introduced it filled it for existing
        cases: the same statements, for the cases that have none yet."""
        backfill = importlib.import_module(
            "workflows.migrations.0012_backfill_case_state_changes"
        ).backfill
        backfill(None, type("Editor", (), {"connection": connection})())

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        self._workflow_facts()
        with transaction.atomic():
            cursor_wrapper = connection.cursor()
            cursor = cursor_wrapper.cursor  # the psycopg cursor, for COPY
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            ids, copier = Ids(cursor), Copier(cursor)
            self.staff(cursor, ids, copier)
            self._log(
                f"staff: 1,000 users in {TEAMS} teams ({time.perf_counter() - started:.1f} s)"
            )
            try:
                cursor.execute("SET LOCAL session_replication_role = replica")
            except Exception as exc:  # pragma: no cover - needs a superuser
                raise CommandError(
                    "seed_scale needs a superuser connection (session_replication_role)"
                ) from exc
            dropped = self._drop_indexes(cursor)
            cursor.execute("SELECT hash FROM casework_auditevent ORDER BY id DESC LIMIT 1")
            row = cursor.fetchone()
            self.prev_hash = row[0] if row else GENESIS_HASH
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")  # noqa: S608 (a constant)
            self.next_reference = cursor.fetchone()[0]
            self.people_pool: list[int] = []
            for first in range(0, self.n, CHUNK):
                self._chunk(first, min(first + CHUNK, self.n), ids, copier)
                copier.flush()
                done = min(first + CHUNK, self.n)
                elapsed = time.perf_counter() - started
                self._log(
                    f"{done:,}/{self.n:,} cases, "
                    f"{copier.counts.get('casework_auditevent', 0):,} audit events "
                    f"({elapsed:.0f} s, {done / max(elapsed, 0.001):,.0f} cases/s)"
                )
            ids.advance_sequences()
            cursor.execute(
                f"SELECT setval('{SEQUENCE}', %s, false)",  # noqa: S608 (a constant)
                [self.next_reference],
            )
            case_facts.fill(cursor)  # the triggers that keep them are off until now
            cursor.execute("SET LOCAL session_replication_role = origin")
            index_started = time.perf_counter()
            self._rebuild_indexes(cursor, dropped)
            self._log(f"indexes rebuilt in {time.perf_counter() - index_started:.0f} s")
            self._search_index(cursor)
            history_started = time.perf_counter()
            self._state_history()
            self._log(f"state history in {time.perf_counter() - history_started:.0f} s")
            # The figures' facts, as the write path would have kept them case by case.
            facts_started = time.perf_counter()
            written = case_figures_rebuild()
            self._log(f"{written:,} figure facts in {time.perf_counter() - facts_started:.0f} s")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {MARK_TABLE} ("
                "id serial PRIMARY KEY, cases integer NOT NULL, seed integer NOT NULL, "
                "seeded_at timestamptz NOT NULL, seconds double precision NOT NULL, "
                "counts jsonb NOT NULL)"
            )
        vacuum_started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in (
                *BIG_TABLES,
                "casework_casesearchentry",
                "workflows_casestatechange",
                "workflows_casefigure",
                "workflows_figuresum",
                "casework_premises",
                "auth_user",
                "auth_user_groups",
                "casework_teammembership",
            ):
                # VACUUM cannot run in a transaction (a test's); ANALYZE can.
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{verb} {table}")
        self._log(f"vacuum analyse in {time.perf_counter() - vacuum_started:.0f} s")
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "counts": copier.counts}

    def _log(self, text: str) -> None:
        if self.out is not None:
            self.out.write(text)
            self.out.flush()

    def _drop_indexes(self, cursor: Any) -> list[str]:
        """Drop the big tables' secondary indexes and unique constraints; return the SQL
        that recreates them."""
        recreate: list[str] = []
        for table in BIG_TABLES:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                [table],
            )
            constraints = cursor.fetchall()
            names = {c for c, _ in constraints}
            for name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "JOIN pg_class c ON c.relname = i.indexname "
                "JOIN pg_index x ON x.indexrelid = c.oid "
                "WHERE i.tablename = %s AND NOT x.indisprimary",
                [table],
            )
            for name, definition in cursor.fetchall():
                if name in names:
                    continue
                cursor.execute(f'DROP INDEX "{name}"')
                recreate.append(definition)
        return recreate

    def _search_index(self, cursor: Any) -> None:
        """Write every case's search index entry (the seeded rows bypassed the services
        that keep it), with its GIN index built once afterwards rather than row by row."""
        started = time.perf_counter()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'casework_casesearchentry' "
            "AND indexname = 'case_search_document'"
        )
        (definition,) = cursor.fetchone()
        cursor.execute('DROP INDEX "case_search_document"')
        written = search_index_rebuild()
        # The entries' deferred foreign-key checks must run before an index is built.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._log(f"search index: {written:,} cases in {time.perf_counter() - started:.0f} s")

    def _rebuild_indexes(self, cursor: Any, statements: Iterable[str]) -> None:
        for statement in statements:
            cursor.execute(statement)

    def _when(self, i: int) -> datetime:
        """Case i's raising time: spread evenly over the years, later ids later."""
        span = (self.now - self.start).total_seconds() - 3600
        base = self.start + timedelta(seconds=span * (i + self.rng.random()) / self.n)
        return base.replace(microsecond=self.rng.randint(0, 999_999))

    def _chunk(self, first: int, last: int, ids: Ids, copier: Copier) -> None:
        self.ids, self.copier = ids, copier
        events: list[tuple] = []
        for i in range(first, last):
            self._case(i, events)
        self._write_events(events, ids, copier)

    def _pick_state(self, case_type: str, raised_at: datetime) -> tuple[bool, str, list]:
        """Whether the case is finished, its state and a run of steps that led there."""
        rng = self.rng
        workflow = WORKFLOWS[case_type]
        age_days = (self.now - raised_at).days
        # Older cases are mostly finished (93% after 15 months), recent ones less so.
        terminal = rng.random() < min(0.93, 0.05 + age_days / 500)
        if terminal:
            options = list(self.outcomes[case_type])
            weights = [9 if s == "closed" else 1 for s in options]
            state = rng.choices(options, weights=weights)[0]
        else:
            state = rng.choice(self.open_states[case_type])
        path = self._path_to(case_type, state) if state != workflow.initial_state else []
        if terminal and not path:
            name = rng.choice(self.outcomes[case_type][state])[0]
            path = [(name, workflow.initial_state, state)]
        return terminal, state, path

    def _case(self, i: int, events: list[tuple]) -> None:
        rng, ids, copier = self.rng, self.ids, self.copier
        weights = [_TYPE_WEIGHTS[t] for t in self.types]
        # The first cases are one of each type, so even a small run has every type (a
        # review is 1 case in 101); the rest follow the weights.
        case_type = (
            self.types[i] if 0 <= i < len(self.types) else rng.choices(self.types, weights)[0]
        )
        workflow = WORKFLOWS[case_type]
        raised_at = self._when(i)
        terminal, state, path = self._pick_state(case_type, raised_at)
        team = rng.choice(self.teams)
        restricted = case_type in self.restricted
        named = case_type in self.named
        raised_by = rng.choice(
            self.leads[team] if named else self.frontline[team] + self.leads[team]
        )
        owner = None
        if named:
            pass  # only the people named to a review: the lead who recorded it
        elif restricted:
            owner = rng.choice(self.prevent_leads[team]) if rng.random() < 0.8 else None
        elif terminal or rng.random() < 0.75:
            owner = rng.choice(self.frontline[team] + self.leads[team][:1])
        end = min(
            raised_at + timedelta(days=rng.uniform(5, 320)),
            self.now - timedelta(minutes=rng.randint(10, 600)),
        )
        end = max(end, raised_at + timedelta(minutes=5))
        closed_at = end if terminal else None
        outcome = ""
        if terminal:
            codes = [code for _, code in self.outcomes[case_type][state] if code]
            outcome = rng.choice(codes) if codes else ""
        case_id = ids.take("casework_case")
        reference = f"SC-{raised_at.year}-{self.next_reference:06d}"
        self.next_reference += 1
        names, links = self._people(case_id, case_type, raised_at)
        premises = self._premises(raised_at) if case_type == "cuckooing" else None
        summary = rng.choice(SUMMARIES[case_type]).format(
            name=names[0] if names else "the person", place=rng.choice(PLACES)
        )
        details = {"source": rng.choice(("phone", "email", "in_person", "partner"))}
        copier.add(
            "casework_case",
            CASE_COLUMNS,
            (case_id, reference, case_type, state, summary, json.dumps(details), team,
             owner, raised_by, raised_at, closed_at, outcome, premises,
             1 + len(path) + (1 if owner else 0), end,
             # About 1 concern in 40 raised with someone at immediate risk (issue 19),
             # decided by the id so that the rest of the seed draws as before.
             bool(workflow.urgency_field) and case_id % 40 == 0),
        )  # fmt: skip
        lead = (
            raised_by
            if named
            else rng.choice(self.prevent_leads[team] if restricted else self.leads[team])
        )
        if named:
            self._name_to_case(events, case_id, raised_by, raised_at)
        self._trail(events, case_id, case_type, workflow.initial_state, summary, raised_at,
                    end, raised_by, owner, lead, path, links)  # fmt: skip
        self._clocks(case_id, workflow, raised_at, end, terminal)
        if self.referral_types.get(case_type) and rng.random() < 0.33:
            self._referral(events, case_id, case_type, lead, raised_at, end, terminal)
        # Per-case grants: a worker of another team on about 1 case in 25.
        if not restricted and not named and rng.random() < 0.04:
            grantee = rng.choice(self.frontline[rng.choice(self.teams)])
            copier.add(
                "casework_caseuserobjectpermission",
                ("id", "permission_id", "user_id", "content_object_id"),
                (ids.take("casework_caseuserobjectpermission"), self.view_case, grantee,
                 case_id),
            )  # fmt: skip
            events.append(
                (raised_at + (end - raised_at) * 0.3, lead, AuditVerb.ACCESS_GRANTED,
                 case_id, "casework.case", str(case_id),
                 {"user": grantee, "permission": "view_case"}),
            )  # fmt: skip
        # A sign-in now and then: events about no case.
        if rng.random() < 0.3:
            events.append(
                (raised_at - timedelta(minutes=rng.randint(1, 50)), raised_by,
                 AuditVerb.USER_SIGNED_IN, None, "", "", {}),
            )  # fmt: skip

    def _name_to_case(self, events: list[tuple], case_id: int, user: int, at: datetime) -> None:
        """Name the recording lead to a named compartment's case (casework.permissions)."""
        self.copier.add(
            "casework_caseuserobjectpermission",
            ("id", "permission_id", "user_id", "content_object_id"),
            (self.ids.take("casework_caseuserobjectpermission"), self.view_case, user, case_id),
        )
        events.append(
            (at, user, AuditVerb.ACCESS_GRANTED, case_id, "casework.case", str(case_id),
             {"user": user, "permission": "view_case", "reason": "recorded the case"}),
        )  # fmt: skip

    def _people(self, case_id: int, case_type: str, raised_at: datetime) -> tuple[list, list]:
        """The case's people: the subject (occupier, applicant) and sometimes another;
        about 1 in 12 is someone already known from another case."""
        rng, ids, copier = self.rng, self.ids, self.copier
        names, links = [], []
        for k, role in enumerate(PERSON_ROLES[case_type]):
            if k > 0 and rng.random() < 0.5:
                continue
            if self.people_pool and rng.random() < 0.08:
                person = rng.choice(self.people_pool)
            else:
                person = ids.take("casework_person")
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                child = case_type == "cse" and role == "subject"
                age = rng.randint(12, 17) if child else rng.randint(18, 70)
                dob, estimated = None, age
                if rng.random() < 0.8:
                    dob = (raised_at - timedelta(days=365.25 * age + rng.randint(0, 300))).date()
                    estimated = None
                copier.add(
                    "casework_person",
                    PERSON_COLUMNS,
                    (person, given, family, rng.choice(FAMILY) if rng.random() < 0.1 else "",
                     dob, estimated, rng.choice(("female", "male", "female", "male", "unknown")),
                     f"07700 9{rng.randint(0, 99999):05d}" if rng.random() < 0.5 else "",
                     "", self._address() if rng.random() < 0.7 else "", raised_at),
                )  # fmt: skip
                names.append(f"{given} {family}")
                if len(self.people_pool) < 200_000:
                    self.people_pool.append(person)
            copier.add(
                "casework_caseperson",
                ("id", "case_id", "person_id", "role", "added_at"),
                (ids.take("casework_caseperson"), case_id, person, role, raised_at),
            )
            links.append((person, role))
        return names, links

    def _premises(self, raised_at: datetime) -> int:
        rng = self.rng
        premises = self.ids.take("casework_premises")
        self.copier.add(
            "casework_premises",
            ("id", "address", "postcode", "tenure", "landlord", "created_at"),
            (premises, self._address(), self._postcode(),
             rng.choice(("social", "private_rented", "owner_occupied")),
             rng.choice(("", "Northam Homes", "County Council housing")), raised_at),
        )  # fmt: skip
        return premises

    def _trail(self, events, case_id, case_type, initial, summary, raised_at, end, raised_by,
               owner, lead, path, links) -> None:  # fmt: skip
        """The case's audit trail: raised, people linked, allocated, its steps, and views
        of it and its people by its lead, worker and raiser."""
        rng = self.rng
        moments = iter(
            sorted(raised_at + (end - raised_at) * rng.random() for _ in range(len(path) + 12))
        )
        case = ("casework.case", str(case_id))
        events.append(
            (raised_at, raised_by, AuditVerb.CASE_RAISED, case_id, *case,
             {"case_type": case_type, "state": initial, "inputs": {"summary": summary}}),
        )  # fmt: skip
        for person, role in links:
            events.append(
                (raised_at, raised_by, AuditVerb.PERSON_LINKED, case_id, "casework.person",
                 str(person), {"person": person, "role": role}),
            )  # fmt: skip
        if owner:
            events.append(
                (next(moments), lead, AuditVerb.CASE_ALLOCATED, case_id, *case,
                 {"from_owner": None, "to_owner": owner}),
            )  # fmt: skip
        for name, source, target in path:
            events.append(
                (next(moments), lead, AuditVerb.CASE_TRANSITIONED, case_id, *case,
                 {"transition": name, "from": source, "to": target, "inputs": {}}),
            )  # fmt: skip
        viewers = [lead, owner or lead, raised_by]
        for at in moments:
            if links and rng.random() < 0.15:
                events.append(
                    (at, rng.choice(viewers), AuditVerb.PERSON_VIEWED, None,
                     "casework.person", str(links[0][0]), {}),
                )  # fmt: skip
            else:
                events.append(
                    (at, rng.choice(viewers), AuditVerb.CASE_VIEWED, case_id, *case,
                     {"via": "page", "limited": False}),
                )  # fmt: skip

    def _clocks(self, case_id, workflow, raised_at, end, terminal) -> None:
        """Finished clocks on the way (met or cancelled) and, on about 85% of open cases,
        an open one (sometimes two) due within 30 days either side of now."""
        rng = self.rng
        rules = list(workflow.deadline_rules)
        if not rules:
            return
        for _ in range(rng.randint(0, 2) if terminal else rng.randint(0, 1)):
            rule = rng.choice(rules)
            started = raised_at + (end - raised_at) * rng.random() * 0.5
            due = started + timedelta(days=max(1, rule.duration))
            done = max(started, min(due - timedelta(hours=rng.randint(1, 48)), end))
            status = "met" if rng.random() < 0.85 else "cancelled"
            self._deadline(case_id, rule, started, due, status, done)
        share = rng.random()
        for _ in range(0 if terminal else (share < 0.85) + (share < 0.3)):
            rule = rng.choice(rules)
            due = self.now + timedelta(seconds=rng.uniform(-30, 30) * 86400)
            started = max(raised_at, due - timedelta(days=rng.randint(5, 40)))
            if started >= due:
                started = due - timedelta(hours=1)
            self._deadline(case_id, rule, started, due, "open", None)

    def _deadline(self, case_id, rule, started, due, status, done) -> None:
        ids = self.ids
        self.copier.add(
            "workflows_deadline",
            ("id", "case_id", "rule", "label", "kind", "unit", "duration", "statutory",
             "disregard_christmas_day", "source", "started_at", "due_at", "status", "met_at",
             "closed_at", "paused_at", "remaining", "created_by_id"),
            (ids.take("workflows_deadline"), case_id, rule.name, rule.label, str(rule.kind),
             str(rule.unit),
             rule.duration, rule.statutory, rule.disregard_christmas_day, rule.source, started,
             due, status, done if status == "met" else None, done, None, None, None),
        )  # fmt: skip

    def _referral(self, events, case_id, case_type, lead, raised_at, end, terminal) -> None:
        rng, ids, copier = self.rng, self.ids, self.copier
        referral_type, partners = rng.choice(self.referral_types[case_type])
        created = raised_at + (end - raised_at) * rng.uniform(0.05, 0.3)
        if terminal:
            state = ReferralState.CLOSED if rng.random() < 0.9 else ReferralState.WITHDRAWN
        else:
            state = rng.choice(
                (ReferralState.DRAFT, ReferralState.SENT, ReferralState.ACKNOWLEDGED,
                 ReferralState.ACCEPTED, ReferralState.OUTCOME_RECORDED)
            )  # fmt: skip
        sent = state not in (ReferralState.DRAFT,) and not (
            state == ReferralState.WITHDRAWN and rng.random() < 0.5
        )
        sent_at = created + timedelta(hours=rng.randint(1, 72)) if sent else None
        ack = sent_at + timedelta(days=1) if sent and state != ReferralState.SENT else None
        decided = (
            ack + timedelta(days=rng.randint(1, 10))
            if ack and state in (ReferralState.ACCEPTED, ReferralState.OUTCOME_RECORDED,
                                 ReferralState.CLOSED)
            else None
        )  # fmt: skip
        outcome_at = (
            decided + timedelta(days=3) if decided and state != ReferralState.ACCEPTED else None
        )
        closed_at = end if state == ReferralState.CLOSED else None
        withdrawn_at = end if state == ReferralState.WITHDRAWN else None
        if state == ReferralState.WITHDRAWN and sent:
            pass
        pk = ids.take("referrals_referral")
        copier.add(
            "referrals_referral",
            ("id", "referral_type", "state", "content", "consent_given", "gateway",
             "lawful_basis_notes", "special_category_shared", "special_category_condition",
             "criminal_offence_data_shared", "criminal_offence_condition",
             "authorised_at", "created_at", "updated_at", "version",
             "sent_at", "acknowledged_at", "partner_reference", "decided_at", "decision",
             "decision_details", "no_response_at", "outcome", "outcome_recorded_at",
             "closed_at", "withdrawn_at", "withdrawn_reason", "authorised_by_id", "case_id",
             "created_by_id", "partner_id", "response_deadline_id", "sent_by_id",
             "sent_by_email", "sent_to", "sent_message_id"),
            (pk, referral_type, state, "{}", False,
             "dpa_2018_sch1_para18" if sent else "",
             "Safeguarding an individual at risk." if sent else "",
             "no" if sent else "", "", "no" if sent else "", "",
             sent_at, created, closed_at or withdrawn_at or outcome_at or decided or ack
             or sent_at or created, 1, sent_at, ack,
             f"P{rng.randint(100000, 999999)}" if ack else "", decided,
             "accepted" if decided else "", "{}", None,
             "Support offered." if outcome_at else "", outcome_at, closed_at, withdrawn_at,
             "No longer needed." if withdrawn_at else "", lead if sent else None, case_id,
             lead, rng.choice(partners), None, lead if sent else None, False, "", ""),
        )  # fmt: skip
        events.append(
            (created, lead, AuditVerb.REFERRAL_CREATED, case_id, "referrals.referral", str(pk),
             {"referral_type": referral_type}),
        )  # fmt: skip
        if sent_at:
            events.append(
                (sent_at, lead, AuditVerb.REFERRAL_SENT, case_id, "referrals.referral",
                 str(pk), {"referral_type": referral_type}),
            )  # fmt: skip

    def _write_events(self, events, ids: Ids, copier: Copier) -> None:
        """Append the chunk's events in time order, each hashed over its canonical
        content and the previous event's hash (``casework.audit.canonical_content``)."""
        events.sort(key=lambda e: e[0])
        previous = self.prev_hash
        columns = ("id", "at", "actor_id", "verb", "case_id", "object_type", "object_id",
                   "data", "prev_hash", "hash", "key_id")  # fmt: skip
        key_id = audit_key_id()
        for at, actor, verb, case_id, object_type, object_id, data in events:
            verb = str(verb)
            text = canonical_content(
                at=at, actor_id=actor, verb=verb, case_id=case_id, object_type=object_type,
                object_id=object_id, data=data, prev_hash=previous, key_id=key_id,
            )  # fmt: skip
            digest = keyed_digest(text, key_id)
            copier.add(
                "casework_auditevent",
                columns,
                (ids.take("casework_auditevent"), at, actor, verb, case_id, object_type,
                 object_id, json.dumps(data), previous, digest, key_id),
            )  # fmt: skip
            previous = digest
        self.prev_hash = previous

    def _address(self) -> str:
        rng = self.rng
        return (
            f"{rng.randint(1, 220)} {rng.choice(STREETS)}\n{rng.choice(TOWNS)}\n{self._postcode()}"
        )

    def _postcode(self) -> str:
        rng = self.rng
        letters = "ABCDEFGHJKLMNPRSTUWXYZ"
        return (
            f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 29)} "
            f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        )


_TYPE_WEIGHTS = {
    "modern_slavery": 18,
    "cuckooing": 22,
    "cse": 26,
    "prevent": 10,
    "community_trigger": 24,
    # A partnership commissions a handful of reviews a year.
    "dhr": 1,
    # A few general concerns whose raiser was not sure of the type (issue 19).
    "unclassified": 3,
}


def seeded_runs() -> list[dict[str, Any]]:
    """Earlier runs recorded in the database (empty when it was never seeded)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARK_TABLE])
        if cursor.fetchone()[0] is None:
            return []
        cursor.execute(f"SELECT cases, seed, seeded_at, seconds, counts FROM {MARK_TABLE}")  # noqa: S608
        return [
            {"cases": c, "seed": s, "seeded_at": a.isoformat(), "seconds": sec, "counts": counts}
            for c, s, a, sec, counts in cursor.fetchall()
        ]


class Command(BaseCommand):
    help = "Seed a county's worth of cases, people, clocks, referrals, staff and audit events."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cases", type=int, required=True, help="how many cases")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument(
            "--force", action="store_true", help="add to a database that already has cases"
        )

    def handle(self, *args: Any, cases: int, seed: int, force: bool, **options: Any) -> None:
        if cases < 1:
            raise CommandError("--cases must be at least 1")
        if Case.objects.exists() and not force:
            raise CommandError(
                "This database already has cases; seed an empty one or pass --force to add."
            )
        self.stdout.write(f"seeding {cases:,} cases (seed {seed})")
        result = Seeder(cases=cases, seed=seed, out=self.stdout).run()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {MARK_TABLE} (cases, seed, seeded_at, seconds, counts) "  # noqa: S608
                "VALUES (%s, %s, now(), %s, %s)",
                [cases, seed, result["seconds"], json.dumps(result["counts"])],
            )
        counts = ", ".join(f"{t} {n:,}" for t, n in sorted(result["counts"].items()))
        self.stdout.write(self.style.SUCCESS(f"seeded in {result['seconds']:.0f} s: {counts}"))
