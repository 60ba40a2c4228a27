"""The figure facts the write path keeps (workflows/case_figures.py, issue 21) are right at
every moment: cases of every type moved through random steps over two months (some
back-dated, clocks paused and resumed), and at each checkpoint the reports' figures
compared with a count by brute force over the state history, the cases and their clocks,
and the facts kept step by step compared with the same facts derived afresh."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import Case, Team
from casework.roles import Role
from reports import figures
from reports.figures import case_statistics, emerging_risks, outcome_label, sums_between, sums_to
from tests.workflows.test_intake_pages import INTAKE_OVERRIDES
from tests.workflows.walker import default_raise, sample_values
from workflows.case_figures import case_figures_rebuild
from workflows.definitions import FieldType
from workflows.errors import StaleCase, TransitionNotAllowed
from workflows.models import CaseFigure, CaseStateChange, Deadline, DeadlineKind, FigureSum
from workflows.registry import WORKFLOWS, get_workflow
from workflows.selectors import available_transitions
from workflows.services import case_transition, deadline_pause, deadline_resume

LONDON = ZoneInfo("Europe/London")
FIRST_DAY = date(2025, 3, 20)  # across a month end, a reporting year's start and BST


def _local(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _boundary(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)


def _expected_statistics(start: date, end: date, as_at: date) -> dict:
    """Raised, open as at and closed by outcome per (type, team), one case at a time."""
    found: dict = {}

    def row(case: Case) -> dict:
        return found.setdefault(
            (case.case_type, case.team_id), {"raised": 0, "open": 0, "closed": Counter()}
        )

    cases = {c.pk: c for c in Case.objects.all()}
    for case in cases.values():
        if start <= _local(case.raised_at) <= end:
            row(case)["raised"] += 1
    moment = _boundary(as_at)
    for change in CaseStateChange.objects.all():
        case = cases[change.case_id]
        covers = change.at < moment and (change.until is None or change.until >= moment)
        if covers and not change.closed:
            row(case)["open"] += 1
        if change.closed and start <= _local(change.at) <= end:
            label = outcome_label(case.case_type, change.transition, case.outcome_code)
            row(case)["closed"][label] += 1
    return {k: v for k, v in found.items() if v["raised"] or v["open"] or v["closed"]}


def _shown_statistics(user, start: date, end: date, as_at: date) -> dict:
    shown = {}
    for r in case_statistics(user, start, end, as_at).rows:
        if r.raised or r.open_as_at or r.closed:
            closed = Counter(r.closed_by_outcome)
            assert sum(closed.values()) == r.closed
            shown[(r.case_type, r.team_id)] = {
                "raised": r.raised, "open": r.open_as_at, "closed": closed,
            }  # fmt: skip
    return shown


def _expected_steps(start: date, end: date) -> Counter:
    """Steps taken in the period per (type now, step), from the state history."""
    types = dict(Case.objects.values_list("pk", "case_type"))
    return Counter(
        (types[c.case_id], c.transition)
        for c in CaseStateChange.objects.all()
        if c.transition and start <= _local(c.at) <= end
    )


def _expected_clocks(start: date, end: date) -> Counter:
    now = timezone.now()
    counted: Counter = Counter()
    for d in Deadline.objects.filter(kind=DeadlineKind.TASK).select_related("case"):
        key = (d.case.case_type, d.rule)
        if d.met_at is not None and start <= _local(d.met_at) <= end:
            counted[(*key, "on time" if d.met_at <= d.due_at else "late")] += 1
        due_in = start <= _local(d.due_at) <= end
        if due_in and d.met_at is None and d.due_at < now:
            if d.status not in ("cancelled", "ended", "paused"):
                counted[(*key, "due")] += 1
    return counted


def _shown_clocks(user, start: date, end: date) -> Counter:
    shown: Counter = Counter()
    for row in emerging_risks(user, start, end, statutory_only=False).clocks:
        for name, n in (("on time", row.on_time), ("late", row.late), ("due", row.overdue_not_met)):
            if n:
                shown[(row.case_type, row.rule, name)] += n
    return shown


def _facts_now() -> tuple[list, list]:
    return (
        sorted(CaseFigure.objects.values_list("case_id", "measure", "key", "day", "n", "team_id")),
        sorted(
            FigureSum.objects.values_list(
                "grain", "measure", "day", "case_type", "team_id", "key", "n"
            )
        ),
    )


def _step(rng: random.Random, case_ids: list[int], lead, today: date, done: Counter) -> None:
    case = Case.objects.get(pk=rng.choice(case_ids))
    if rng.random() < 0.2:
        running = Deadline.objects.filter(case=case, kind=DeadlineKind.TASK)
        paused = Deadline.objects.filter(kind=DeadlineKind.TASK, status="paused").first()
        if paused is not None and rng.random() < 0.5:
            deadline_resume(deadline=paused, actor=lead)
            done["resumed"] += 1
            return
        open_one = running.filter(status="open").first()
        if open_one is not None:
            deadline_pause(deadline=open_one, actor=lead, reason="Criminal proceedings")
            done["paused"] += 1
            return
    available = available_transitions(case, lead)
    if not available:
        return
    name = rng.choice(available).name
    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    data = sample_values(fields)
    for field in fields:  # now and then, a step recorded days after it happened
        if field.type in (FieldType.DATE, FieldType.DATETIME) and rng.random() < 0.4:
            happened = today - timedelta(days=rng.randint(1, 4))
            data[field.name] = happened.isoformat()
            done["back-dated"] += 1
    case_transition(case=case, actor=lead, name=name, data=data)
    done["steps"] += 1


@pytest.mark.django_db
def test_the_figures_match_a_count_of_the_history_after_random_steps(make_user, monkeypatch):
    rng = random.Random(21)
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("prevent.north", Role.PREVENT_LEAD, ["north"])
    auditor = make_user("auditor.figures", Role.AUDITOR, [])
    day = FIRST_DAY

    def on(moment_day: date, hour: int) -> None:
        moment = datetime(moment_day.year, moment_day.month, moment_day.day, hour, tzinfo=LONDON)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    case_ids: list[int] = []
    done: Counter = Counter()
    for checkpoint in range(6):
        for _ in range(15):
            day += timedelta(days=rng.randint(0, 2))
            on(day, rng.choice([0, 9, 13, 23]))
            if rng.random() < 0.3 or not case_ids:
                kind = rng.choice(sorted(k for k in WORKFLOWS if k != "dhr"))
                raised = default_raise(WORKFLOWS[kind], frontline)(INTAKE_OVERRIDES.get(kind, {}))
                case_ids.append(raised.pk)
                continue
            try:
                _step(rng, case_ids, lead, day, done)
            except (ValidationError, PermissionDenied, TransitionNotAllowed, StaleCase):
                continue
        for start, end, as_at in [
            (FIRST_DAY, day, day),
            (date(2025, 3, 1), day, date(2025, 3, 31)),
            (FIRST_DAY + timedelta(days=3), day - timedelta(days=2), day - timedelta(days=9)),
            (date(2025, 1, 1), date(2025, 12, 31), day + timedelta(days=30)),
        ]:
            shown = _shown_statistics(auditor, start, end, as_at)
            assert shown == _expected_statistics(start, end, as_at), (checkpoint, start, end)
            risks = emerging_risks(auditor, start, end)
            expected_steps = _expected_steps(start, end)
            for tally, (_, steps) in zip(risks.prevent_stages, figures.PREVENT_STAGES, strict=True):
                assert tally.count == sum(expected_steps[("prevent", s)] for s in steps)
            for tally, (_, steps) in zip(risks.cuckooing, figures.CUCKOOING_STAGES, strict=True):
                assert tally.count == sum(expected_steps[("cuckooing", s)] for s in steps)
            assert _shown_clocks(auditor, start, end) == _expected_clocks(start, end)
        kept = _facts_now()
        case_figures_rebuild()
        assert _facts_now() == kept, checkpoint
    # The steps went somewhere: cases closed, clocks met, paused and resumed.
    assert CaseStateChange.objects.filter(closed=True).exists()
    assert Deadline.objects.filter(met_at__isnull=False).exists()
    assert min(done["paused"], done["resumed"], done["back-dated"]) > 0, done
    assert done["steps"] >= 20, done


@pytest.mark.django_db
def test_sums_of_whole_months_and_edge_days_add_up_to_any_period(make_user):
    """Every day from 2023 to 2025 counted once by its day row and once in its month's
    row: any period and any "as at" adds up to its number of days."""
    team = Team.objects.create(slug="sums", name="Sums")
    first, last = date(2023, 1, 1), date(2025, 12, 31)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    months = Counter(d.replace(day=1) for d in days)
    FigureSum.objects.bulk_create(
        [FigureSum(grain="d", measure="x", day=d, case_type="t", team=team, n=1) for d in days]
        + [
            FigureSum(grain="m", measure="x", day=m, case_type="t", team=team, n=n)
            for m, n in months.items()
        ]
    )

    def total(condition) -> int:
        return sum(FigureSum.objects.filter(condition).values_list("n", flat=True))

    rng = random.Random(5)
    edges = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2024, 12, 31)]
    pairs = [(d, d) for d in edges] + [(date(2024, 1, 1), date(2024, 12, 31))]
    pairs += [(date(2024, 1, 31), date(2024, 2, 1)), (date(2024, 3, 2), date(2024, 3, 30))]
    for _ in range(200):
        a, b = sorted(rng.sample(days, 2))
        pairs.append((a, b))
    for start, end in pairs:
        assert total(sums_between(start, end)) == (end - start).days + 1, (start, end)
        assert total(sums_to(end)) == (end - first).days + 1, end


@pytest.mark.django_db(transaction=True)
def test_a_writer_that_records_its_event_first_and_one_that_refreshes_first_never_deadlock(
    make_user,
):
    """The figures' sums are rows every writer of a team's cases updates, and the audit
    chain's lock is one every writer takes: a general concern given its type records its
    event before its facts, a raise after. Each refresh takes the chain's lock first, so
    the two wait for each other in one order instead of deadlocking."""
    import time

    from django.db import transaction

    from casework.audit import AuditVerb, audit_record
    from tests.threads import run_in_threads
    from workflows.case_figures import case_figures_refresh

    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    raise_cuckooing = default_raise(WORKFLOWS["cuckooing"], frontline)
    first, second = (raise_cuckooing(INTAKE_OVERRIDES.get("cuckooing", {})) for _ in range(2))

    def refreshed(case) -> None:
        # The case's facts written afresh: its rows of the shared sums are updated.
        CaseFigure.objects.filter(case=case).delete()
        case_figures_refresh([case.pk])

    def event_first(case) -> None:
        with transaction.atomic():
            audit_record(actor=frontline, verb=AuditVerb.CASE_UPDATED, case=case, target=case)
            time.sleep(0.5)
            refreshed(case)

    def facts_first(case) -> None:
        with transaction.atomic():
            refreshed(case)
            time.sleep(0.5)
            audit_record(actor=frontline, verb=AuditVerb.CASE_UPDATED, case=case, target=case)

    _, errors = run_in_threads(lambda i: (event_first, facts_first)[i]((first, second)[i]), 2)
    assert errors == []


@pytest.mark.django_db
def test_a_sum_brought_to_zero_is_dropped_and_no_delete_is_sent_when_none_is(
    django_assert_num_queries,
):
    """``_apply_sums`` adds each change to a day's and a month's row; a row the change
    brings to zero is deleted (a sum of +1 and -1, the OPEN measure of a case closed the
    day it opened), the others kept, and when no row reaches zero the DELETE is not
    sent at all (one statement: the upsert)."""
    from django.db import connection

    from workflows.case_figures import _apply_sums

    team = Team.objects.create(slug="zero", name="Zero")
    day = date(2025, 6, 3)
    opened = ("open", day, "cuckooing", team.pk, "")
    raised = ("raised", day, "cuckooing", team.pk, "")

    def rows() -> dict:
        return {
            (grain, measure): n
            for grain, measure, n in FigureSum.objects.values_list("grain", "measure", "n")
        }

    with django_assert_num_queries(1), connection.cursor() as cursor:
        _apply_sums(cursor, Counter({opened: 1, raised: 2}))
    assert rows() == {("d", "open"): 1, ("m", "open"): 1, ("d", "raised"): 2, ("m", "raised"): 2}
    # The upsert, then the DELETE of the rows that fell to zero.
    with django_assert_num_queries(2), connection.cursor() as cursor:
        _apply_sums(cursor, Counter({opened: -1, raised: -1}))
    assert rows() == {("d", "raised"): 1, ("m", "raised"): 1}


@pytest.mark.django_db
def test_a_raise_writes_its_facts_before_the_chain_lock_and_only_its_sums_under_it(make_user):
    """A raised case is seen by no other transaction until it commits, so its facts are
    read and written before the audit chain's lock (``case_figures_of_new_cases``): under
    the lock, which every writer waits for, go only the sums' upsert and the audit event.
    The facts and sums kept are those derived afresh."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    raise_cuckooing = default_raise(WORKFLOWS["cuckooing"], frontline)
    raise_cuckooing(INTAKE_OVERRIDES.get("cuckooing", {}))
    with CaptureQueriesContext(connection) as queries:
        raise_cuckooing(INTAKE_OVERRIDES.get("cuckooing", {}))
    statements = [q["sql"] for q in queries.captured_queries]
    locked = next(i for i, sql in enumerate(statements) if "pg_advisory_xact_lock" in sql)
    assert any("FROM workflows_casestatechange" in sql for sql in statements[:locked])
    under_lock = [
        sql.split("(")[0].strip()
        for sql in statements[locked + 1 :]
        if sql.strip() not in ("COMMIT", "RELEASE SAVEPOINT") and "SAVEPOINT" not in sql
    ]
    assert under_lock == [
        "INSERT INTO workflows_figuresum",
        "SELECT safecase_audit_chain_head",
        'INSERT INTO "casework_auditevent"',
    ]
    kept = _facts_now()
    case_figures_rebuild()
    assert _facts_now() == kept
