"""The facts each case contributes to the partnership figures, kept by the one write path
(issue 21; reports/figures.py reads them; docs/reports.md, docs/performance.md).

Every figure the reports publish is a count of things that happened to cases on a day:
a concern raised, a case opening or closing, a step taken, a modern slavery referral of
an exploitation type, a Community Trigger application received, decided, overturned or
reviewed. ``case_facts`` derives them for one case from its state history
(``CaseStateChange``), its type and team now and its details, as plain values.
``case_figures_refresh`` recomputes them for the cases a write changed and applies the
difference to ``FigureSum`` (sums per day and per month, type, team, measure and key)
in the writer's transaction, so the figures are right at every moment and a report is a few
small indexed sums at county scale instead of a scan of the state history.

Called by ``workflows.services.case_raise`` and ``case_transition`` (every step: a step
may record details a figure splits by, meet, open or cancel clocks, or, classifying a
general concern, change the case's type), ``deadline_pause`` and ``deadline_resume``, and
the referral services that open and stop a case's clocks. The deadline sweep only marks
clocks missed, which no figure depends on. Anything that writes the state history
directly (a bulk load, a backfill) calls ``case_figures_refresh`` or
``case_figures_rebuild`` after it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from casework.audit import audit_chain_lock
from workflows.community_trigger.checks import application_date_from
from workflows.community_trigger.states import State as CT

# Measures (CaseFigure.measure / FigureSum.measure).
RAISED = "raised"  # a concern raised, on the day it was raised
OPEN = "open"  # +1 when the case opens (or reopens), -1 when it closes: "open as at" sums
CLOSED = "closed"  # each move into a closing state; key "<transition>|<outcome code>"
STEP = "step"  # each step that changed the state (the raise too); key: the transition
MS_ROUTE = "ms_route"  # key "<route transition>|<exploitation type>|<Adult or Child>"
MS_DECISION = "ms_decision"  # key "<decision transition>|<Adult or Child>"
# Task clocks (statutory and local timescales, docs/clocks.md): key
# "<rule>|<statutory: s or empty>|<label>"; a clock met on its due day or before it is on
# time. A clock not met, not cancelled and not paused counts as due on its due day.
CLOCK_ON_TIME = "clock_on_time"
CLOCK_LATE = "clock_late"
CLOCK_DUE = "clock_due"
CLOCK_NOT_DUE = ("cancelled", "ended", "paused")  # never counted as due and not met
# Community Trigger (RULES.md §5.6), per application (CaseFigure rows name the case).
CT_APPLIED = "ct_applied"  # on the date the application was received
CT_MET = "ct_met"  # on the first decision's day, when the threshold stands as met
CT_NOT_MET = "ct_not_met"  # on the first decision's day, when not met stands
CT_OVERTURNED = "ct_overturned"  # on the first decision's day: not met, overturned later
CT_REVIEWED = "ct_reviewed"  # on each day a review meeting was held
CT_REVIEWED_WITH_RECOMMENDATIONS = "ct_reviewed_rec"
CT_REVIEWED_NOT_MET = "ct_reviewed_not_met"  # a review held when the threshold was not met

CT_TYPE = "community_trigger"
MS_TYPE = "modern_slavery"
RE_REVIEW_STEP = "order_re_review"  # after a not-met decision, it overturns it
MS_ROUTES = ("submit_nrm_referral", "submit_duty_to_notify")
MS_DECISIONS = (
    "record_rg_positive",
    "record_rg_negative",
    "record_cg_positive",
    "record_cg_negative",
)

Fact = tuple[str, str, date]  # (measure, key, day)
Change = tuple[str, str, bool, datetime]  # (to_state, transition, closed, at), in order
# A task clock: (rule, label, statutory, due_at, met_at, status).
Clock = tuple[str, str, bool, datetime, datetime | None, str]


def clock_key(rule: str, statutory: bool, label: str) -> str:
    return f"{rule}|{'s' if statutory else ''}|{label}"


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def age_group(details: dict[str, Any]) -> str:
    """Child or adult as a modern slavery case recorded it: the child route records that
    consent is not required (RULES.md §1.3)."""
    return "Child" if details.get("consent_status") == "not_required_child" else "Adult"


def case_facts(
    *,
    case_type: str,
    raised_at: datetime,
    details: dict[str, Any] | None,
    outcome_code: str,
    changes: Sequence[Change],
    clocks: Sequence[Clock] = (),
) -> Counter[Fact]:
    """What one case contributes to the figures, from its state history ``changes``
    (oldest first), its task clocks and what it holds now; the values are +1 or -1
    (``open`` only)."""
    details = details or {}
    facts: Counter[Fact] = Counter()
    facts[(RAISED, "", local_day(raised_at))] += 1
    was_open = False
    for _to_state, transition, closed, at in changes:
        day = local_day(at)
        is_open = not closed
        if is_open != was_open:
            facts[(OPEN, "", day)] += 1 if is_open else -1
            was_open = is_open
        if closed:
            facts[(CLOSED, f"{transition}|{outcome_code}", day)] += 1
        if transition:
            facts[(STEP, transition, day)] += 1
        if case_type == MS_TYPE and transition in MS_ROUTES:
            for kind in details.get("exploitation_types") or [""]:
                facts[(MS_ROUTE, f"{transition}|{kind}|{age_group(details)}", day)] += 1
        elif case_type == MS_TYPE and transition in MS_DECISIONS:
            facts[(MS_DECISION, f"{transition}|{age_group(details)}", day)] += 1
    if case_type == CT_TYPE:
        facts.update(_community_trigger_facts(raised_at, details, changes))
    facts.update(_clock_facts(clocks))
    # Drop the zeros (a case opened and closed on one day changes no "open" figure).
    return Counter({fact: n for fact, n in facts.items() if n})


def _clock_facts(clocks: Sequence[Clock]) -> Counter[Fact]:
    """Each task clock met, on time or late, on the day it was met; or, not met and
    neither cancelled nor paused, due on its due day."""
    facts: Counter[Fact] = Counter()
    for rule, label, statutory, due_at, met_at, status in clocks:
        key = clock_key(rule, statutory, label)
        if met_at is not None:
            facts[(CLOCK_ON_TIME if met_at <= due_at else CLOCK_LATE, key, local_day(met_at))] += 1
        elif status not in CLOCK_NOT_DUE:
            facts[(CLOCK_DUE, key, local_day(due_at))] += 1
    return facts


def _community_trigger_facts(
    raised_at: datetime, details: dict[str, Any], changes: Sequence[Change]
) -> Counter[Fact]:
    """The application's part in the four published figures (RULES.md §5.6): received;
    its first threshold decision, counted as met when a not-met decision was overturned
    on escalation (the escalation ordered a review) at any time after; each review
    meeting held, with recommendations or without the threshold met."""
    first_decision, ever_met, overturned, review_days = _threshold_history(changes)
    facts: Counter[Fact] = Counter({(CT_APPLIED, "", application_date_from(details, raised_at)): 1})
    if first_decision is not None:
        day = local_day(first_decision)
        facts[(CT_MET if ever_met else CT_NOT_MET, "", day)] = 1
        if overturned:
            facts[(CT_OVERTURNED, "", day)] = 1
    reviews = [CT_REVIEWED]
    if details.get("recommendations_made"):
        reviews.append(CT_REVIEWED_WITH_RECOMMENDATIONS)
    if not ever_met:
        reviews.append(CT_REVIEWED_NOT_MET)
    facts.update({(measure, "", day): 1 for day in set(review_days) for measure in reviews})
    return facts


def _threshold_history(
    changes: Sequence[Change],
) -> tuple[datetime | None, bool, bool, list[date]]:
    """An application's first threshold decision, whether the threshold stands as met
    (met, or a not-met decision overturned on escalation), whether it was overturned,
    and the days its review meetings were held."""
    first_decision: datetime | None = None
    ever_met = overturned = not_met_decided = False
    review_days: list[date] = []
    for to_state, transition, _closed, at in changes:
        if to_state in (CT.THRESHOLD_MET, CT.THRESHOLD_NOT_MET) and first_decision is None:
            first_decision = at
        if to_state == CT.THRESHOLD_MET:
            ever_met = True
        elif to_state == CT.THRESHOLD_NOT_MET:
            not_met_decided = True
        if transition == RE_REVIEW_STEP and not_met_decided:
            overturned = overturned or not ever_met
            ever_met = True
        if to_state == CT.REVIEW_MEETING_HELD:
            review_days.append(local_day(at))
    return first_decision, ever_met, overturned, review_days


# --- Keeping the tables ---------------------------------------------------------------

_CASES_SQL = """
SELECT c.id, c.case_type, c.team_id, c.raised_at, c.details, c.outcome_code
FROM casework_case c WHERE c.id = ANY(%s)
"""
_CLOCKS_SQL = """
SELECT case_id, rule, label, statutory, due_at, met_at, status FROM workflows_deadline
WHERE case_id = ANY(%s) AND kind = 'task'
"""
_CHANGES_SQL = """
SELECT case_id, to_state, transition, closed, at FROM workflows_casestatechange
WHERE case_id = ANY(%s) ORDER BY case_id, at, id
"""


def _computed(cursor: Any, ids: list[int]) -> dict[int, tuple[str, int, Counter[Fact]]]:
    """Each case's (type, team, facts) as its rows hold them now (three queries)."""
    cursor.execute(_CHANGES_SQL, [ids])
    changes: dict[int, list[Change]] = {}
    for case_id, to_state, transition, closed, at in cursor.fetchall():
        changes.setdefault(case_id, []).append((to_state, transition, closed, at))
    cursor.execute(_CLOCKS_SQL, [ids])
    clocks: dict[int, list[Clock]] = {}
    for case_id, *clock in cursor.fetchall():
        clocks.setdefault(case_id, []).append(tuple(clock))
    cursor.execute(_CASES_SQL, [ids])
    found = {}
    for case_id, case_type, team_id, raised_at, details, outcome_code in cursor.fetchall():
        # Django has psycopg hand jsonb over as text (its JSONField decodes it).
        details = json.loads(details) if isinstance(details, str) else details
        facts = case_facts(
            case_type=case_type,
            raised_at=raised_at,
            details=details,
            outcome_code=outcome_code or "",
            changes=changes.get(case_id, []),
            clocks=clocks.get(case_id, []),
        )
        found[case_id] = (case_type, team_id, facts)
    return found


FactRow = tuple[int, str, int, str, str, date, int]


def _fact_rows(computed: dict[int, tuple[str, int, Counter[Fact]]]) -> Iterable[FactRow]:
    for case_id, (case_type, team_id, facts) in computed.items():
        for (measure, key, day), n in facts.items():
            yield case_id, case_type, team_id, measure, key, day, n


def _sums_of(rows: Iterable[FactRow]) -> Counter[tuple[str, date, str, int, str]]:
    """What ``rows`` add to the sums: {(measure, day, case_type, team_id, key): n}."""
    sums: Counter[tuple[str, date, str, int, str]] = Counter()
    for _case_id, case_type, team_id, measure, key, day, n in rows:
        sums[(measure, day, case_type, team_id, key)] += n
    return sums


def _insert_facts(cursor: Any, rows: list[FactRow]) -> None:
    """Write ``rows`` to CaseFigure with COPY (plain SQL, so the migration that first
    fills the table can use it whatever the model becomes later)."""
    if not rows:
        return
    copy_sql = (
        "COPY workflows_casefigure (case_id, case_type, team_id, measure, key, day, n) FROM STDIN"
    )
    with cursor.cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


def _apply_sums(cursor: Any, deltas: Counter[tuple[str, date, str, int, str]]) -> None:
    """Add ``deltas`` {(measure, day, case_type, team_id, key): n} to FigureSum, to the
    day's row and to its month's, in a fixed order (two writers touching the same rows
    never wait on each other in a cycle), dropping the rows that fall to zero."""
    both: Counter[tuple[str, str, date, str, int, str]] = Counter()
    for (measure, day, case_type, team_id, key), n in deltas.items():
        both[("d", measure, day, case_type, team_id, key)] += n
        both[("m", measure, day.replace(day=1), case_type, team_id, key)] += n
    rows = sorted((k, n) for k, n in both.items() if n)
    if not rows:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = [value for row, n in rows for value in (*row, n)]
    cursor.execute(
        "INSERT INTO workflows_figuresum (grain, measure, day, case_type, team_id, key, n) "  # noqa: S608
        f"VALUES {values} ON CONFLICT (grain, measure, day, case_type, team_id, key) "
        "DO UPDATE SET n = workflows_figuresum.n + EXCLUDED.n "
        "RETURNING grain, measure, day, case_type, team_id, key, n",
        params,
    )
    # Only the rows this change brought to zero are deleted; usually there are none, and
    # the statement is not sent (a round trip less under the audit chain's lock). The
    # rows stay locked by the upsert until the commit, so none moves off zero meanwhile.
    zero = [row[:6] for row in cursor.fetchall() if row[6] == 0]
    if zero:
        cursor.execute(
            "DELETE FROM workflows_figuresum WHERE n = 0 AND (grain, measure, day, case_type, "
            "team_id, key) IN (SELECT * FROM unnest(%s::text[], %s::text[], %s::date[], "
            "%s::text[], %s::int[], %s::text[]))",
            [list(column) for column in zip(*zero, strict=True)],
        )


@transaction.atomic(savepoint=False)
def case_figures_refresh(case_ids: Iterable[int]) -> None:
    """Recompute the figure facts of ``case_ids`` from what their rows hold now and apply
    the difference to the sums (seven queries, whatever the number of cases; a case that
    no longer exists takes its facts with it).

    Within a writer's transaction it makes no savepoint of its own (two round trips
    fewer under the audit chain's lock): if it fails, the writer fails with it, and the
    writer's own savepoint or transaction undoes everything together."""
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        return
    # The sums' rows are shared by every writer of a team's cases: the audit chain's lock
    # first, which the writer takes anyway to record its event, keeps one order of locks
    # whether the writer records its event before this (a general concern given its
    # type) or after it (a raise, a step), so no two writers deadlock.
    audit_chain_lock()
    with connection.cursor() as cursor:
        before: Counter[tuple[str, date, str, int, str]] = Counter()
        cursor.execute(
            "DELETE FROM workflows_casefigure WHERE case_id = ANY(%s) "
            "RETURNING measure, day, case_type, team_id, key, n",
            [ids],
        )
        for measure, day, case_type, team_id, key, n in cursor.fetchall():
            before[(measure, day, case_type, team_id, key)] += n
        rows = list(_fact_rows(_computed(cursor, ids)))
        deltas = _sums_of(rows)
        _insert_facts(cursor, rows)
        deltas.subtract(before)
        _apply_sums(cursor, deltas)


@transaction.atomic(savepoint=False)
def case_figures_of_new_cases(case_ids: Iterable[int]) -> None:
    """The figure facts of cases created in this transaction (a raise): computed and
    written before the audit chain's lock, under which only the sums are then added
    (one statement).

    Until the transaction commits no other can see these cases' rows, so none can
    change them or their facts meanwhile, and they have no facts yet to take back:
    ``case_figures_refresh`` read them and wrote their facts under the lock, three
    round trips and the computing more that every writer of the chain waited for
    (docs/performance.md, a thirteenth session). For a case that existed before the
    transaction use ``case_figures_refresh``: its rows may change under another
    writer until the lock is held."""
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        rows = list(_fact_rows(_computed(cursor, ids)))
        _insert_facts(cursor, rows)
    deltas = _sums_of(rows)
    # The sums' rows are shared: the chain's lock first, as case_figures_refresh takes it.
    audit_chain_lock()
    with connection.cursor() as cursor:
        _apply_sums(cursor, deltas)


def case_figures_rebuild(*, batch: int = 5000, log: Any = None) -> int:
    """Derive every case's facts afresh and the sums from them: after a bulk load,
    a backfill of the state history, or a change of how a figure is counted. One
    transaction; returns the number of facts written."""
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE workflows_casefigure, workflows_figuresum IN EXCLUSIVE MODE")
        # DELETE, not TRUNCATE: it may run in a transaction with deferred checks pending.
        cursor.execute("DELETE FROM workflows_figuresum")
        cursor.execute("DELETE FROM workflows_casefigure")
        cursor.execute("SELECT id FROM casework_case ORDER BY id")
        all_ids = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(all_ids), batch):
            ids = all_ids[start : start + batch]
            rows = list(_fact_rows(_computed(cursor, ids)))
            _insert_facts(cursor, rows)
            written += len(rows)
            if log is not None:
                done = min(start + batch, len(all_ids))
                log(f"{done:,}/{len(all_ids):,} cases, {written:,} facts")
        for grain, day in (("d", "day"), ("m", "date_trunc('month', day)::date")):
            cursor.execute(
                "INSERT INTO workflows_figuresum "  # noqa: S608 (constants)
                "(grain, measure, day, case_type, team_id, key, n) "
                f"SELECT '{grain}', measure, {day}, case_type, team_id, key, SUM(n) "
                "FROM workflows_casefigure GROUP BY 2, 3, 4, 5, 6 HAVING SUM(n) <> 0"
            )
    return written
