"""Deadline reminders, escalations and the daily digest (RULES.md §0.3, §7.3).

Beat runs ``sweep`` every five minutes (``workflows.tasks.sweep_deadlines``). Each task
(``DeadlineKind.TASK``) that is open (or already missed and not yet met) goes through
four stages, whose times come from its due time and the bank-holiday calendar:

- ``remind_before``: 09:00 on the working day before the due day, to the allocated
  worker (the case's leads if it is not allocated);
- ``remind_due_day``: 09:00 on the due day, to the same people;
- ``escalate_lead``: when the due time passes, to the case's leads; the clock is marked
  ``missed`` then too, for reports to count;
- ``escalate_manager``: at the due time of day, 1 working day after the due day, if the
  clock is still not met, to the members of the group "Service managers".

Settings (local practice, so configurable): ``SAFECASE_REMINDER_TIME`` ("09:00"),
``SAFECASE_REMIND_BEFORE_WORKING_DAYS`` (1; 0 turns that reminder off),
``SAFECASE_ESCALATE_MANAGER_AFTER_WORKING_DAYS`` (1) and ``SAFECASE_SERVICE_MANAGER_GROUP``
("Service managers"; the sweep creates the group if it is missing, and administrators
add people to it in the admin). A reminder whose time is not after the clock started, or
not before it falls due, does not apply and is recorded as skipped.

Periods (``DeadlineKind.PERIOD``: the minimum recovery period, appeal windows, a closure
order's length) are protections or windows someone else holds, not work the council
owes: they get no reminder and no escalation and are never missed. When a period's end
passes, the sweep marks it ``ended`` (closed at its due time) and sends one quiet in-app
note (stage ``period_ended``) to the allocated worker, or the case's leads if it is not
allocated.

One message per stage and person, the latest only: when several stages of a clock are
due at once (a sweep after an outage, or a clock started from a past date that is already
past its reminder times), each audience gets only the latest stage meant for it (the
worker's reminders and the leads' escalation are one chain; the service managers' stage
goes to them besides); the earlier ones are recorded as skipped, so
nobody gets "due tomorrow", "due today" and "overdue" together. A stage that reached
nobody (an empty service-manager group, no leads who can open the case) is recorded with
``recipients == 0`` and not skipped: ``reminders_unheard`` lists them for administrators
and the leads' dashboards.

Exactly once, nothing lost: the sweep acts on every stage whose time is at or before
"now" and that has no ``Reminder`` row yet, so a sweep after an outage of hours catches
up every stage that fell due in the gap, once. The row is written in the same
transaction as the stage's outbox messages, under a unique (deadline, stage)
constraint; the deadlines are locked with SKIP LOCKED and their rows re-read under the
lock, so sweeps running at once never both act on a stage. Paused, met and cancelled
clocks are left alone.

Nobody is told a case's clock or state unless they may read the case in full, as its
case page shows it (issue 17, finding 4): every recipient is checked with
``case_full_list_for_user``, so the raiser of a Prevent case (who knows it only as
received, RULES.md §4.5), a raiser who sees only their case's status, and a service
manager without access to the content get nothing. Messages name the case reference,
what is due and by when, and link to the case; nothing else of the case.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from casework.audit import AuditEntry, AuditVerb, audit_record_many
from casework.models import Case, TeamMembership
from casework.permissions import named_case_types
from casework.roles import Role
from casework.selectors import case_full_list_for_user, case_leads
from notifications.models import Channel
from notifications.selectors import (
    digest_opted_out_ids,
    email_address_ids,
    email_reminder_recipient_ids,
)
from notifications.services import OutboxDraft, outbox_enqueue, outbox_enqueue_many
from workflows import calendar
from workflows.clocks import bank_holidays
from workflows.models import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Reminder,
    ReminderStage,
)

logger = logging.getLogger(__name__)
User = get_user_model()

BATCH_SIZE = 500
RUNNING = [DeadlineStatus.OPEN, DeadlineStatus.MISSED]
REMINDER_STAGES = {ReminderStage.REMIND_BEFORE, ReminderStage.REMIND_DUE_DAY}
# Stages that go to the case's own people (the allocated worker, else its leads).
CASE_PEOPLE_STAGES = {*REMINDER_STAGES, ReminderStage.PERIOD_ENDED}


# --- Policy and timing --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ReminderPolicy:
    reminder_time: time
    before_working_days: int
    manager_after_working_days: int
    service_manager_group: str

    @classmethod
    def from_settings(cls) -> ReminderPolicy:
        hours, minutes = (int(p) for p in settings.SAFECASE_REMINDER_TIME.split(":"))
        return cls(
            reminder_time=time(hours, minutes),
            before_working_days=settings.SAFECASE_REMIND_BEFORE_WORKING_DAYS,
            manager_after_working_days=settings.SAFECASE_ESCALATE_MANAGER_AFTER_WORKING_DAYS,
            service_manager_group=settings.SAFECASE_SERVICE_MANAGER_GROUP,
        )


@dataclasses.dataclass(frozen=True)
class StageTime:
    stage: ReminderStage
    at: datetime
    applies: bool


def previous_working_day(day: date, holidays: set[date]) -> date:
    day -= timedelta(days=1)
    while not calendar.is_working_day(day, holidays):
        day -= timedelta(days=1)
    return day


def _step_working_days(day: date, n: int, holidays: set[date]) -> date:
    """``n`` working days after ``day`` (before it when ``n`` is negative)."""
    step = calendar.next_working_day if n > 0 else previous_working_day
    for _ in range(abs(n)):
        day = step(day, holidays)
    return day


def _local_moment(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


def stage_schedule(
    *, due_at: datetime, started_at: datetime, holidays: set[date], policy: ReminderPolicy
) -> list[StageTime]:
    """When each stage of a clock due at ``due_at`` falls, in time order."""
    due_local = timezone.localtime(due_at)
    due_day = due_local.date()
    schedule = []
    if policy.before_working_days > 0:
        day = _step_working_days(due_day, -policy.before_working_days, holidays)
        at = _local_moment(day, policy.reminder_time)
        schedule.append(StageTime(ReminderStage.REMIND_BEFORE, at, started_at < at < due_at))
    # A clock due before 09:00 gets no reminder that day; that is settled when it falls
    # due, so a missed clock has nothing left but the managers' escalation.
    at = _local_moment(due_day, policy.reminder_time)
    applies = started_at < at < due_at
    schedule.append(StageTime(ReminderStage.REMIND_DUE_DAY, min(at, due_at), applies))
    schedule.append(StageTime(ReminderStage.ESCALATE_LEAD, due_at, True))
    day = _step_working_days(due_day, policy.manager_after_working_days, holidays)
    at = max(_local_moment(day, due_local.time().replace(tzinfo=None)), due_at)
    schedule.append(StageTime(ReminderStage.ESCALATE_MANAGER, at, True))
    return schedule


def period_schedule(*, due_at: datetime) -> list[StageTime]:
    """A period's only stage: the quiet note when it ends."""
    return [StageTime(ReminderStage.PERIOD_ENDED, due_at, True)]


def _start_of(day: date) -> datetime:
    return _local_moment(day, time.min)


def _latest_working_day(day: date, holidays: set[date]) -> date:
    return day if calendar.is_working_day(day, holidays) else previous_working_day(day, holidays)


_TICK = timedelta(microseconds=1)


def _due_filters(
    now: datetime, holidays: set[date], policy: ReminderPolicy
) -> dict[ReminderStage, tuple[datetime, Q]]:
    """For each stage, the clocks whose time for that stage is at or before ``now``, as
    a filter on their due time and an exclusive upper bound it implies: the inverse of
    ``stage_schedule``, so the database finds them with an index range scan instead of
    the sweep computing every clock's schedule."""
    local = timezone.localtime(now)
    today, reached = local.date(), local.time() >= policy.reminder_time
    due_day_bound = _start_of(today + timedelta(days=1 if reached else 0))
    filters = {
        ReminderStage.REMIND_DUE_DAY: (due_day_bound, Q(due_at__lt=due_day_bound)),
        ReminderStage.ESCALATE_LEAD: (now + _TICK, Q(due_at__lte=now)),
    }
    if policy.before_working_days > 0:
        # The latest working day whose reminder time has passed is W; the N-th working
        # day before day d is on or before W iff d is on or before the N-th after W.
        latest = today if reached else today - timedelta(days=1)
        last = _step_working_days(
            _latest_working_day(latest, holidays), policy.before_working_days, holidays
        )
        bound = _start_of(last + timedelta(days=1))
        filters[ReminderStage.REMIND_BEFORE] = (bound, Q(due_at__lt=bound))
    filters[ReminderStage.ESCALATE_MANAGER] = _manager_filter(local, holidays, policy)
    return filters


def _manager_filter(
    local: datetime, holidays: set[date], policy: ReminderPolicy
) -> tuple[datetime, Q]:
    """K working days after day d is today or earlier iff d is before the K-th most
    recent working day; it is today exactly for d from the (K+1)-th on, and then the
    escalation comes at the clock's due time of day."""
    if policy.manager_after_working_days <= 0:
        return local + _TICK, Q(due_at__lte=local)
    today = local.date()
    kth = _step_working_days(
        _latest_working_day(today, holidays), 1 - policy.manager_after_working_days, holidays
    )
    bound = _start_of(kth)
    if not calendar.is_working_day(today, holidays):
        return bound, Q(due_at__lt=bound)
    earlier = _start_of(previous_working_day(kth, holidays))
    return bound, Q(due_at__lt=earlier) | Q(due_at__lt=bound, due_at__time__lte=local.time())


def _not_recorded(stage: ReminderStage) -> Exists:
    return ~Exists(Reminder.objects.filter(deadline_id=OuterRef("pk"), stage=stage))


def sweep_candidates(
    now: datetime, holidays: set[date], policy: ReminderPolicy
) -> QuerySet[Deadline]:
    """Running clocks with a stage due by ``now`` and not yet recorded.

    An open task past its due time is always one (it is to be marked missed), and so is
    an open period past its end (it is to be marked ended); periods have no other stage.
    A task is marked missed in the same transaction as its earlier stages are recorded,
    so a missed one can only still need the service managers' escalation. The explicit
    ranges on due_at let the (status, due_at) index do the finding.
    """
    due = _due_filters(now, holidays, policy)
    reminders = [s for s in due if s in REMINDER_STAGES]
    open_needs = reduce(or_, [due[s][1] & _not_recorded(s) for s in reminders], Q(due_at__lte=now))
    open_bound = max([now + _TICK, *(due[s][0] for s in reminders)])
    manager_bound, manager_due = due[ReminderStage.ESCALATE_MANAGER]
    missed_needs = manager_due & _not_recorded(ReminderStage.ESCALATE_MANAGER)
    return Deadline.objects.filter(
        Q(status=DeadlineStatus.OPEN, kind=DeadlineKind.TASK, due_at__lt=open_bound) & open_needs
        | Q(status=DeadlineStatus.OPEN, kind=DeadlineKind.PERIOD, due_at__lte=now)
        | Q(status=DeadlineStatus.MISSED, kind=DeadlineKind.TASK, due_at__lt=manager_bound)
        & missed_needs,
        met_at__isnull=True,
        closed_at__isnull=True,
        case__closed_at__isnull=True,
    )


# --- Recipients ----------------------------------------------------------------------


class Audience:
    """Who each stage of a case goes to, checked against what they may open.

    Built once per sweep: the leads of each (team, compartment), the service managers,
    and for each person the cases of the sweep they can open, one query per person.
    """

    def __init__(self, policy: ReminderPolicy) -> None:
        self.policy = policy
        self.users: dict[int, Any] = {}
        self._leads: dict[tuple[int, str, int], list[int]] = {}
        self._managers: list[int] | None = None
        self._visible: dict[int, set[int]] = defaultdict(set)
        self._checked: dict[int, set[int]] = defaultdict(set)

    def leads(self, case: Case) -> list[int]:
        # A named compartment's leads are those named to each case (casework.permissions).
        named = case.case_type in named_case_types()
        key = (case.team_id, case.case_type, case.pk if named else 0)
        if key not in self._leads:
            self._leads[key] = list(case_leads(case).values_list("pk", flat=True))
        return self._leads[key]

    def managers(self) -> list[int]:
        if self._managers is None:
            self._managers = list(
                User.objects.filter(groups__name=self.policy.service_manager_group, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return self._managers

    def wanted(self, stage: ReminderStage, case: Case) -> list[int]:
        """Everyone a stage is meant for, before the visibility check."""
        if stage in CASE_PEOPLE_STAGES:
            return [case.owner_id] if case.owner_id else self.leads(case)
        if stage == ReminderStage.ESCALATE_LEAD:
            return self.leads(case)
        return self.managers()

    def prepare(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Check (user, case) pairs in bulk: one visibility query per user."""
        todo: dict[int, set[int]] = defaultdict(set)
        for user_id, case_id in pairs:
            if case_id not in self._checked[user_id]:
                todo[user_id].add(case_id)
        missing = [u for u in todo if u not in self.users]
        self.users.update(User.objects.in_bulk(missing))
        for user_id, case_ids in todo.items():
            user = self.users.get(user_id)
            for chunk in _chunks(sorted(case_ids), 5000):
                if user is not None:
                    readable = case_full_list_for_user(user).filter(pk__in=chunk)
                    self._visible[user_id].update(readable.values_list("pk", flat=True))
                self._checked[user_id].update(chunk)

    def recipients(self, stage: ReminderStage, case: Case) -> list[int]:
        """The people a stage goes to who may read the case in full."""
        wanted = self.wanted(stage, case)
        self.prepare((u, case.pk) for u in wanted)
        return [u for u in wanted if case.pk in self._visible[u]]


# --- Rendering -----------------------------------------------------------------------


def _clock_time(moment: datetime) -> str:
    """GOV.UK style: 9am, 3:30pm, midday, midnight."""
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    if (moment.hour, moment.minute) == (0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def due_in_words(due_at: datetime) -> str:
    """When a clock is due, in words: "the end of Tuesday 29 December 2026" for a clock
    due at the end of a day, else "3:30pm on Saturday 5 December 2026" (UK time)."""
    local = timezone.localtime(due_at)
    day = f"{local:%A} {local.day} {local:%B %Y}"
    if local.time() >= calendar.END_OF_DAY.replace(microsecond=0):
        return f"the end of {day}"
    return f"{_clock_time(local)} on {day}"


def case_link(reference: str) -> str:
    return f"/cases/{reference}/"


def render_stage(
    stage: ReminderStage, *, reference: str, label: str, due_at: datetime, now: datetime
) -> tuple[str, str]:
    """The subject and body of a stage's message: reference, what is due, by when."""
    when = due_in_words(due_at)
    if stage == ReminderStage.PERIOD_ENDED:
        return (
            f"{reference}: {label} has ended",
            f"{label} on case {reference} ended at {when}. It is a period, not a task: "
            "nothing was due from you and nothing was missed.",
        )
    if stage in REMINDER_STAGES and now < due_at:
        today = stage == ReminderStage.REMIND_DUE_DAY
        return (
            f"{reference}: {label} is due {'today, ' if today else ''}by {when}",
            f"{label} on case {reference} is due by {when}.",
        )
    if stage in REMINDER_STAGES:
        return (
            f"{reference}: {label} is overdue",
            f"{label} on case {reference} was due by {when} and is overdue.",
        )
    if stage == ReminderStage.ESCALATE_LEAD:
        return (
            f"Overdue: {reference}: {label}",
            f"{label} on case {reference} was due by {when} and has not been recorded as "
            "done. You are told as a safeguarding lead for the case's team.",
        )
    return (
        f"Still overdue: {reference}: {label}",
        f"{label} on case {reference} was due by {when} and is still not recorded as done. "
        "You are told as a service manager.",
    )


# --- The sweep -----------------------------------------------------------------------


# Clocks kept outside ``Deadline`` register here (a footage request's overwrite clock,
# footage.reminders): the sweep runs each after the deadlines, with the time it acts
# as of, and adds the counts it returns to its report.
EXTRA_SWEEPS: list[Callable[[datetime], dict[str, int]]] = []


def sweep_register(extra: Callable[[datetime], dict[str, int]]) -> None:
    if extra not in EXTRA_SWEEPS:
        EXTRA_SWEEPS.append(extra)


@dataclasses.dataclass
class SweepReport:
    at: datetime
    missed: int = 0
    ended: int = 0
    other_clocks: Counter = dataclasses.field(default_factory=Counter)
    acted: Counter = dataclasses.field(default_factory=Counter)
    skipped: Counter = dataclasses.field(default_factory=Counter)
    messages: Counter = dataclasses.field(default_factory=Counter)
    # Stages acted on with nobody who can open the case to tell (no leads, say).
    unheard: Counter = dataclasses.field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [
            f"Deadline sweep as of {self.at.isoformat()}",
            f"marked missed: {self.missed}",
            f"periods ended: {self.ended}",
        ]
        for stage in ReminderStage:
            out.append(
                f"{stage.value}: {self.acted[stage]} sent, {self.skipped[stage]} skipped, "
                f"{self.messages[stage]} message(s), {self.unheard[stage]} with nobody to tell"
            )
        out += [f"{name}: {count}" for name, count in sorted(self.other_clocks.items())]
        return out


def service_manager_group_ensure(policy: ReminderPolicy) -> Group:
    """The group whose members get the second escalation; created if missing so that
    administrators find it in the admin (one cheap query a sweep)."""
    group, _ = Group.objects.get_or_create(name=policy.service_manager_group)
    return group


def deadlines_mark_missed(deadlines: Sequence[Deadline], *, now: datetime) -> int:
    """Open tasks whose due time has passed become missed, for reports to count; they
    stay overdue (``Deadline.objects.overdue``) until met or cancelled, and a task met
    later keeps the status (``workflows.clocks.deadlines_meet``). Periods are never
    missed. The caller holds the rows' locks, so concurrent sweeps never wait on each
    other."""
    overdue = [
        d
        for d in deadlines
        if d.kind == DeadlineKind.TASK and d.status == DeadlineStatus.OPEN and d.due_at <= now
    ]
    for deadline in overdue:
        deadline.status = DeadlineStatus.MISSED
    if overdue:
        Deadline.objects.filter(pk__in=[d.pk for d in overdue]).update(status=DeadlineStatus.MISSED)
    return len(overdue)


def deadlines_mark_ended(deadlines: Sequence[Deadline], *, now: datetime) -> int:
    """Open periods whose end has passed have ended, closed at their end (not at the
    sweep's time, which may be later after an outage). The caller holds the locks."""
    ended = [
        d
        for d in deadlines
        if d.kind == DeadlineKind.PERIOD and d.status == DeadlineStatus.OPEN and d.due_at <= now
    ]
    for deadline in ended:
        deadline.status = DeadlineStatus.ENDED
        deadline.closed_at = deadline.due_at
    if ended:
        Deadline.objects.filter(pk__in=[d.pk for d in ended]).update(
            status=DeadlineStatus.ENDED, closed_at=F("due_at")
        )
    return len(ended)


def sweep(*, at: datetime | None = None) -> SweepReport:
    """Act on every reminder and escalation due by ``at`` (default now), exactly once."""
    now = at or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("the sweep needs an aware datetime")
    policy = ReminderPolicy.from_settings()
    holidays = bank_holidays(now)
    report = SweepReport(at=now)
    service_manager_group_ensure(policy)
    rows = list(
        sweep_candidates(now, holidays, policy)
        .select_related("case")
        .only(
            "kind", "due_at", "started_at", "case", "case__owner", "case__team", "case__case_type"
        )
        .order_by("case_id", "pk")
    )
    audience = Audience(policy)
    done = _recorded([d.pk for d in rows])
    audience.prepare(_pairs_for(rows, done, now, holidays, policy, audience))
    for chunk in _chunks([d.pk for d in rows], BATCH_SIZE):
        _sweep_batch(chunk, now, holidays, policy, audience, report)
    for stage, count in report.unheard.items():
        logger.warning("%s: %d clock(s) with nobody who can open the case to tell", stage, count)
    for extra in EXTRA_SWEEPS:
        report.other_clocks.update(extra(now))
    return report


def _due_stages(
    deadline: Deadline, now: datetime, holidays: set[date], policy: ReminderPolicy
) -> list[StageTime]:
    if deadline.kind == DeadlineKind.PERIOD:
        schedule = period_schedule(due_at=deadline.due_at)
    else:
        schedule = stage_schedule(
            due_at=deadline.due_at, started_at=deadline.started_at, holidays=holidays, policy=policy
        )
    return [s for s in schedule if s.at <= now]


def _to_act_on(
    deadline: Deadline,
    now: datetime,
    holidays: set[date],
    policy: ReminderPolicy,
    done: set[tuple[int, str]],
) -> list[tuple[StageTime, bool]]:
    """The due stages of a clock not yet recorded, each with whether it is sent.

    Stages that fall due together (caught up after an outage, or passed before a
    backdated clock was recorded) are collapsed per audience, so each person hears once
    and hears the latest news: of the worker's reminders and the leads' escalation only
    the latest is sent (the leads' escalation once the clock is overdue), and the service
    managers' escalation goes to its own audience besides. Sending the managers' stage
    alone would leave the case's own leads untold whenever the managers' group is empty.
    The others are recorded as skipped, so exactly-once still holds."""
    due = _due_stages(deadline, now, holidays, policy)
    pending = [s for s in due if (deadline.pk, s.stage) not in done]
    applicable = [s for s in pending if s.applies]
    chain = [s for s in applicable if s.stage != ReminderStage.ESCALATE_MANAGER]
    managers = [s for s in applicable if s.stage == ReminderStage.ESCALATE_MANAGER]
    sent = {id(s) for s in (chain[-1:] + managers[-1:])}
    return [(s, id(s) in sent) for s in pending]


def _recorded(deadline_ids: Sequence[int]) -> set[tuple[int, str]]:
    """The (deadline, stage) pairs already acted on (read again under the lock later)."""
    done: set[tuple[int, str]] = set()
    for chunk in _chunks(deadline_ids, 5000):
        done.update(
            Reminder.objects.filter(deadline_id__in=chunk).values_list("deadline_id", "stage")
        )
    return done


def _pairs_for(
    rows: Sequence[Deadline],
    done: set[tuple[int, str]],
    now: datetime,
    holidays: set[date],
    policy: ReminderPolicy,
    audience: Audience,
) -> Iterator[tuple[int, int]]:
    """Every (user, case) a due stage of these clocks may go to, to check in bulk."""
    for deadline in rows:
        for due, send in _to_act_on(deadline, now, holidays, policy, done):
            if send:
                for user_id in audience.wanted(due.stage, deadline.case):
                    yield user_id, deadline.case_id


def _sweep_batch(
    ids: Sequence[int],
    now: datetime,
    holidays: set[date],
    policy: ReminderPolicy,
    audience: Audience,
    report: SweepReport,
) -> None:
    """Lock these clocks (skipping any another sweep holds), re-read what was already
    done under the lock, and write the missing stages with their messages."""
    with transaction.atomic():
        deadlines = list(
            Deadline.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case")
            .filter(pk__in=ids, status__in=RUNNING, met_at__isnull=True, closed_at__isnull=True)
            .filter(case__closed_at__isnull=True)
            .order_by("pk")
        )
        report.missed += deadlines_mark_missed(deadlines, now=now)
        report.ended += deadlines_mark_ended(deadlines, now=now)
        done = set(
            Reminder.objects.filter(deadline__in=deadlines).values_list("deadline_id", "stage")
        )
        plans = [
            (deadline, due, send, audience.recipients(due.stage, deadline.case) if send else [])
            for deadline in deadlines
            for due, send in _to_act_on(deadline, now, holidays, policy, done)
        ]
        email_ok = email_reminder_recipient_ids({u for *_, users in plans for u in users})
        reminders: list[Reminder] = []
        drafts: list[OutboxDraft] = []
        for deadline, due, send, recipients in plans:
            reminder, messages = _act(deadline, due, send, recipients, now, email_ok)
            reminders.append(reminder)
            drafts.extend(messages)
            _count(report, reminder, len(messages))
        Reminder.objects.bulk_create(reminders, batch_size=1000)
        outbox_enqueue_many(drafts=drafts)
        audit_record_many(
            [_audit_entry(deadline, due, users) for deadline, due, send, users in plans if send]
        )


ESCALATIONS = {ReminderStage.ESCALATE_LEAD, ReminderStage.ESCALATE_MANAGER}


def _audit_entry(deadline: Deadline, due: StageTime, recipients: list[int]) -> AuditEntry:
    """Each reminder and escalation sent is in the case's audit trail (issue 7), written in
    the sweep's transaction with the Reminder row and its messages."""
    return AuditEntry(
        actor=None,
        verb=AuditVerb.DEADLINE_ESCALATED
        if due.stage in ESCALATIONS
        else AuditVerb.DEADLINE_REMINDED,
        case=deadline.case,
        target=deadline,
        data={
            "rule": deadline.rule,
            "stage": str(due.stage),
            "due_at": deadline.due_at,
            "scheduled_for": due.at,
            "recipients": recipients,
        },
    )


def _act(
    deadline: Deadline,
    due: StageTime,
    send: bool,
    recipients: list[int],
    now: datetime,
    email_ok: set[int],
) -> tuple[Reminder, list[OutboxDraft]]:
    """The Reminder row of one stage and its messages: in-app to each recipient, and an
    email copy to those with an address who did not opt out (a period's end: in-app
    only). A stage not sent is a skipped row with no messages."""
    case = deadline.case
    reminder = Reminder(
        deadline=deadline,
        stage=due.stage,
        due_at=deadline.due_at,
        scheduled_for=due.at,
        acted_at=now,
        recipients=len(recipients),
        skipped=not send,
    )
    if not send:
        return reminder, []
    subject, body = render_stage(
        due.stage, reference=case.reference, label=deadline.label, due_at=deadline.due_at, now=now
    )
    both = [Channel.IN_APP, Channel.EMAIL]
    if due.stage == ReminderStage.PERIOD_ENDED:
        email_ok = set()
    drafts = [
        OutboxDraft(
            recipient_id=user_id,
            channel=channel,
            template=f"deadline.{due.stage}",
            subject=subject,
            body=body,
            link=case_link(case.reference),
            dedupe_key=f"deadline:{deadline.pk}:{due.stage}:{user_id}:{channel}",
            case_id=case.pk,
        )
        for user_id in recipients
        for channel in (both if user_id in email_ok else both[:1])
    ]
    return reminder, drafts


def reminders_unheard() -> QuerySet[Reminder]:
    """Stages the sweep acted on that reached nobody: nobody it was meant for could open
    the case (no leads, an empty service-manager group, a manager not cleared for
    Prevent). Never dropped silently: administrators see them (reference and rule only,
    ``workflows.reminder_views``) and so do the leads of the case's team (dashboard)."""
    return Reminder.objects.filter(skipped=False, recipients=0)


def _count(report: SweepReport, reminder: Reminder, messages: int) -> None:
    if reminder.skipped:
        report.skipped[reminder.stage] += 1
        return
    report.acted[reminder.stage] += 1
    report.messages[reminder.stage] += messages
    if not reminder.recipients:
        report.unheard[reminder.stage] += 1


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- The daily digest ----------------------------------------------------------------


@dataclasses.dataclass
class DigestReport:
    at: datetime
    sent: int = 0
    already_sent: int = 0
    opted_out: int = 0


def digest_horizon(now: datetime, holidays: set[date]) -> datetime:
    """The end of the 5th working day after today (SAFECASE_DIGEST_WORKING_DAYS)."""
    days = settings.SAFECASE_DIGEST_WORKING_DAYS
    last = _step_working_days(timezone.localdate(now), days, holidays)
    return _local_moment(last, calendar.END_OF_DAY)


def digest_send(*, at: datetime | None = None) -> DigestReport:
    """Send each person one message a day listing the open tasks due in the next 5
    working days on the cases they may read in full (``case_full_list_for_user``):
    those allocated to them and, for leads, their teams'. Periods are not work due, so
    they are left out. Nothing for people who opted out or have nothing due."""
    now = at or timezone.now()
    report = DigestReport(at=now)
    horizon = digest_horizon(now, bank_holidays(now))
    deadlines = list(
        Deadline.objects.filter(
            kind=DeadlineKind.TASK,  # a period's end is nothing anyone has to do
            status=DeadlineStatus.OPEN,
            due_at__gt=now,
            due_at__lte=horizon,
            case__closed_at__isnull=True,
        )
        .select_related("case")
        .order_by("due_at", "pk")
    )
    interested = _digest_interest(deadlines)
    opted_out = digest_opted_out_ids(interested)
    report.opted_out = len(opted_out)
    emails = email_address_ids(interested)
    users = User.objects.in_bulk([u for u in interested if u not in opted_out])
    for user_id, user in sorted(users.items()):
        visible = set(
            case_full_list_for_user(user)
            .filter(pk__in={d.case_id for d in interested[user_id]})
            .values_list("pk", flat=True)
        )
        mine = [d for d in interested[user_id] if d.case_id in visible]
        if mine and _digest_enqueue(user, mine, now, horizon, email=user_id in emails):
            report.sent += 1
        elif mine:
            report.already_sent += 1
    return report


def _digest_interest(deadlines: list[Deadline]) -> dict[int, list[Deadline]]:
    """Who each clock belongs in the digest of: the allocated worker and the team's
    leads (the visibility check comes after)."""
    team_ids = {d.case.team_id for d in deadlines}
    leads_by_team: dict[int, set[int]] = defaultdict(set)
    memberships = TeamMembership.objects.filter(
        team_id__in=team_ids,
        user__is_active=True,
        user__groups__name__in=[Role.LEAD.group_name, Role.PREVENT_LEAD.group_name],
    ).values_list("team_id", "user_id")
    for team_id, user_id in memberships:
        leads_by_team[team_id].add(user_id)
    interest: dict[int, list[Deadline]] = defaultdict(list)
    for deadline in deadlines:
        users = set(leads_by_team[deadline.case.team_id])
        if deadline.case.owner_id:
            users.add(deadline.case.owner_id)
        for user_id in users:
            interest[user_id].append(deadline)
    return interest


def _digest_enqueue(
    user: Any, deadlines: list[Deadline], now: datetime, horizon: datetime, *, email: bool
) -> bool:
    day = timezone.localdate(now)
    base = settings.SAFECASE_BASE_URL.rstrip("/") if email else ""
    lines = [
        f"- {d.case.reference}: {d.label}, due by {due_in_words(d.due_at)} "
        f"({base}{case_link(d.case.reference)})"
        for d in deadlines
    ]
    count = len(deadlines)
    body = "\n".join(
        [
            f"{count} deadline{'s' if count != 1 else ''} on your cases "
            f"{'is' if count == 1 else 'are'} due by {due_in_words(horizon)}:",
            *lines,
        ]
    )
    with transaction.atomic():
        message = outbox_enqueue(
            recipient_id=user.pk,
            channel=Channel.EMAIL if email else Channel.IN_APP,
            template="deadline.digest",
            subject=f"Your deadlines for the next {settings.SAFECASE_DIGEST_WORKING_DAYS} "
            f"working days: {count} due",
            body=body,
            link="/cases/",
            dedupe_key=f"digest:{user.pk}:{day.isoformat()}",
        )
    return message is not None
