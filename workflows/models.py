"""Workflow data: clocks (Deadline), the bank-holiday calendar, local timescales.

The per-case-type proxy models with their transitions live in one module per type and
are imported at the end of this module so that Django registers them with this app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casework.models import Case
from workflows.case_facts import CaseFacts


class BankHoliday(models.Model):
    """An England and Wales bank holiday; seeded from ``holidays`` (subdivision ENG) and
    editable, so one-off proclamations can be added (RULES.md §0.2)."""

    date = models.DateField(unique=True)
    title = models.CharField(max_length=120)
    source = models.CharField(
        max_length=20, default="holidays", help_text="'holidays' package or 'manual'"
    )

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y}: {self.title}"


class TimescaleOverride(models.Model):
    """A deployment's own duration for a local (non-statutory) deadline rule.

    RULES.md marks most timescales local practice; administrators set them here without
    code. Statutory rules cannot be overridden (``workflows.services.timescale_set``).
    """

    case_type = models.CharField(max_length=30)
    rule = models.CharField(max_length=60)
    duration = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_type", "rule"], name="unique_timescale_rule"),
            models.CheckConstraint(
                condition=models.Q(duration__gt=0), name="timescale_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_type}.{self.rule} = {self.duration}"


class DeadlineStatus(models.TextChoices):
    OPEN = "open", "Open"
    MET = "met", "Met"
    # A task whose due time passed before it was met: what reports count as missed
    # (met late, or never met). It stays overdue (``Deadline.objects.overdue``) until it
    # is met or cancelled: "missed" is never a way out of sight.
    MISSED = "missed", "Missed"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    # A period that reached its end, or that its stop event ended; never "missed".
    ENDED = "ended", "Ended"


class DeadlineKind(models.TextChoices):
    """What a clock is (RULES.md §0.3, docs/clocks.md).

    A **task** is something the council must do by the due time: it is reminded,
    escalated, overdue when late and met on time or late. A **period** is a protection
    or a window that someone else holds (the minimum recovery period, an appeal window,
    a closure order's length): it is shown with its start and end, may guard a step,
    reaches its end quietly and never counts as missed.
    """

    TASK = "task", "Task"
    PERIOD = "period", "Period"


# The statuses of a task that is still to be done.
TASK_RUNNING = ("open", "missed")


class DeadlineQuerySet(models.QuerySet):
    def overdue(self, now):
        """Tasks past due and neither met nor cancelled, whether or not the sweep has
        marked them missed: the one definition every overdue view uses (issue 14)."""
        return self.filter(overdue_q(now))

    def tasks(self):
        return self.filter(kind=DeadlineKind.TASK)

    def periods(self):
        return self.filter(kind=DeadlineKind.PERIOD)


def overdue_q(now, prefix: str = "") -> models.Q:
    """The overdue condition as a Q, for filters across a relation (``prefix`` e.g.
    ``"deadlines__"``). Matches the partial index ``deadline_task_due_case``."""
    return models.Q(
        **{
            f"{prefix}kind": DeadlineKind.TASK,
            f"{prefix}status__in": TASK_RUNNING,
            f"{prefix}closed_at__isnull": True,
            f"{prefix}due_at__lt": now,
        }
    )


class Deadline(CaseFacts):
    """One running (or finished) clock on a case, from a workflow's DeadlineRule.

    ``started_at`` is when the starting event happened (the step's own date, e.g. the
    strategy discussion), ``recorded_at`` when it was entered; ``met_at`` is when the
    stop event happened, so a task met on time but recorded late is met, not missed.

    ``team`` and ``case_type`` (``CaseFacts``) are the case's, copied by the database.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.TASK)
    unit = models.CharField(max_length=20)
    duration = models.PositiveIntegerField()
    statutory = models.BooleanField(default=False)
    disregard_christmas_day = models.BooleanField(default=False)
    source = models.TextField(blank=True)
    started_at = models.DateTimeField()
    # When the step that started the clock was recorded (later than started_at when the
    # event was entered after it happened).
    recorded_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=DeadlineStatus.choices, default=DeadlineStatus.OPEN
    )
    met_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # What was left when paused: working days for working-day clocks, seconds otherwise.
    remaining = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["case", "status"]),
            # Unfinished tasks by due time with their case, read from the index alone:
            # "is this case overdue" on the case list and the dashboards hashes every
            # overdue clock (51,000 at county scale: docs/performance.md). The
            # condition is ``overdue_q`` less its due time.
            models.Index(
                fields=["due_at"],
                include=["case"],
                condition=models.Q(kind="task", status__in=TASK_RUNNING, closed_at__isnull=True),
                name="deadline_task_due_case",
            ),
            # Tasks still running by due time with their case: a lead's "due soon" (the
            # next five working days, 9,000 clocks county-wide) from the index alone.
            models.Index(
                fields=["due_at"],
                include=["case"],
                condition=models.Q(kind="task", status="open"),
                name="deadline_open_task_due_case",
            ),
            # The same two, by the case's team (``team_case_condition``): a lead's
            # overdue and due-soon panels.
            models.Index(
                fields=["team", "due_at"],
                include=["case_type", "case"],
                condition=models.Q(kind="task", status__in=TASK_RUNNING, closed_at__isnull=True),
                name="deadline_task_team_due",
            ),
            models.Index(
                fields=["team", "due_at"],
                include=["case_type", "case"],
                condition=models.Q(kind="task", status="open"),
                name="deadline_open_task_team_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeadlineStatus.values),
                name="deadline_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="paused") | models.Q(paused_at__isnull=False),
                name="deadline_paused_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DeadlineKind.values), name="deadline_kind_valid"
            ),
            # A period is never missed and a task never "ended".
            models.CheckConstraint(
                condition=~models.Q(kind="period", status="missed")
                & ~models.Q(kind="task", status="ended"),
                name="deadline_status_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()}, due {self.due_at:%Y-%m-%d %H:%M})"

    @property
    def is_period(self) -> bool:
        return self.kind == DeadlineKind.PERIOD

    def is_overdue(self, now) -> bool:
        """Python twin of ``overdue_q`` for a row already loaded."""
        return (
            self.kind == DeadlineKind.TASK
            and self.status in TASK_RUNNING
            and self.closed_at is None
            and self.due_at < now
        )

    @property
    def met_late_by(self):
        """How late a task was met (a timedelta), or None if met on time or not met."""
        if self.met_at is None or self.met_at <= self.due_at:
            return None
        return self.met_at - self.due_at


class ReminderStage(models.TextChoices):
    """The reminders and escalations of a clock, in time order (workflows/reminders.py)."""

    REMIND_BEFORE = "remind_before", "Reminder before the due day"
    REMIND_DUE_DAY = "remind_due_day", "Reminder on the due day"
    ESCALATE_LEAD = "escalate_lead", "Escalation to the team's leads"
    ESCALATE_MANAGER = "escalate_manager", "Escalation to service managers"
    # A period's quiet end: an in-app note, never an escalation.
    PERIOD_ENDED = "period_ended", "Period ended"


class Reminder(models.Model):
    """What the deadline sweep did for one stage of one clock: at most one row each.

    The row is written in the same transaction as the stage's outbox messages, so the
    unique constraint makes every reminder and escalation happen exactly once, however
    many sweeps run or re-run. A stage that did not apply (a reminder whose time fell
    before the clock started, say) is recorded as skipped so the sweep stops looking.
    """

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=30, choices=ReminderStage.choices)
    # The clock's due time and the stage's time when the sweep acted (a resumed clock
    # has a new due time; the row says which one this stage was for).
    due_at = models.DateTimeField()
    scheduled_for = models.DateTimeField()
    # The "as of" time of the sweep that acted: later than scheduled_for after an outage.
    acted_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)
    skipped = models.BooleanField(default=False)

    class Meta:
        ordering = ["deadline_id", "scheduled_for"]
        indexes = [
            # Stages that reached nobody (``workflows.reminders.reminders_unheard``): a
            # few rows among millions, read on every lead's dashboard and listed for
            # administrators newest first.
            models.Index(
                fields=["acted_at"],
                condition=models.Q(skipped=False, recipients=0),
                name="reminder_unheard_acted",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "stage"], name="unique_reminder_stage"),
            models.CheckConstraint(
                condition=models.Q(stage__in=ReminderStage.values), name="reminder_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} for deadline {self.deadline_id}"


class IntakeDraft(models.Model):
    """A concern its author has started but not raised: the intake form's answers so far.

    An author may have several drafts of a type (two cuckooing concerns after one round
    of visits): starting a concern starts a new draft, and each is named by its person
    or address (``workflows.drafts.draft_name``) where it is listed.

    Drafts may hold sensitive data (a Prevent concern names a person at risk of
    radicalisation, RULES.md §4.5), so they are private to their author (no other user,
    auditors and administrators included, can read them), are deleted (not kept) when the
    concern is raised or the author deletes them, and expire after
    ``SAFECASE_DRAFT_RETENTION_DAYS`` (``workflows.drafts.drafts_expire``). Deleting one
    leaves no gap in the audit trail: nothing was raised, so there is no case, no
    decision and nobody else who acted on it; the raised concern's own audit event
    records every answer it was raised with. For the same reason the table has no row
    history (no ``pghistory.track``): nothing of a deleted draft outlives its row.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intake_drafts"
    )
    case_type = models.CharField(max_length=30)
    # The form's answers as workflows.intake.draft_from_post makes them (unvalidated).
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["updated_at"], name="intake_draft_updated_idx"),
            models.Index(fields=["author", "case_type"], name="intake_draft_author_type_idx"),
        ]

    def __str__(self) -> str:
        return f"Draft {self.case_type} concern by user {self.author_id}"


class CaseStateChange(models.Model):
    """One change of a case's state, at the time the event happened (issue 21).

    Written by the one write path only: ``workflows.services.case_raise`` (the first row,
    ``from_state`` empty) and ``case_transition`` (each step that changes the state), in
    their transaction. Each row holds the state from ``at`` until ``until`` (the next
    change's time; empty while it is the current state), so "the state of every case as
    at a date" is one indexed range filter, and a figure for a past date never changes
    when cases move on later (reports/figures.py, docs/reports.md). ``closed`` says the
    state is terminal in the case's workflow. ``at`` is the step's event date
    (docs/clocks.md), never before the previous change (a back-dated step is placed at
    the previous change's time, so intervals never overlap).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="state_changes")
    case_type = models.CharField(max_length=30)
    from_state = models.CharField(max_length=60, blank=True)
    to_state = models.CharField(max_length=60)
    transition = models.CharField(max_length=80, blank=True)
    closed = models.BooleanField(default=False)
    at = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["case_id", "at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="state_change_case_at"),
            # "What happened in a period" (a transition or a state entered in a year).
            models.Index(fields=["case_type", "to_state", "at"], name="state_change_type_to_at"),
            models.Index(fields=["case_type", "transition", "at"], name="state_change_step_at"),
            # "As at": the rows whose interval covers a date.
            models.Index(fields=["at", "until"], name="state_change_interval"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_state or '-'} -> {self.to_state} at {self.at}"


class CaseFigure(models.Model):
    """One fact a case contributes to the partnership figures (issue 21), derived from its
    state history, type, team and details by ``workflows.case_figures`` and replaced
    whenever the one write path changes the case (raise, every step).

    ``measure`` is what happened (``raised``, ``open`` with +1 when the case opens or
    reopens and -1 when it closes, ``closed``, ``step``, the modern slavery routes and
    decisions, the Community Trigger figures), ``key`` what kind (a transition, an
    outcome, an exploitation type), ``day`` the local date it happened, ``n`` +1 or -1.
    The rows name their case, so a figure can be drilled down to the cases behind it;
    ``FigureSum`` holds their sums by day and by month, which the figures read.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    case_type = models.CharField(max_length=30)
    team = models.ForeignKey("casework.Team", on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=40)
    key = models.CharField(max_length=300, blank=True)
    day = models.DateField()
    n = models.SmallIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["measure", "day"], name="case_figure_measure_day"),
            # The Community Trigger return counts applications (each once) from these
            # rows and drills down to them: answered from the index alone, its count of
            # a year's reviews reads 9,978 entries, not their 7,555 pages of the table
            # (13 -> 4 ms at 500,000 cases; docs/performance.md, an eighth session).
            models.Index(
                fields=["measure", "day"],
                include=["team", "case"],
                condition=models.Q(case_type="community_trigger"),
                name="case_figure_ct_measure_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.measure} {self.key} {self.day} {self.n:+}"


class FigureSum(models.Model):
    """The sums of ``CaseFigure`` per day and per month (``grain``), case type, team (the
    case's team now), measure and key: what the reports count. A period is read as its
    whole months' rows and the days of the months it starts or ends within, so a year's
    figure sums a few thousand rows at county scale rather than millions of state
    changes (issue 21, docs/performance.md). Kept in step with ``CaseFigure`` in the same
    transaction by ``workflows.case_figures``; rebuilt by ``manage.py
    case_figures_rebuild``."""

    class Grain(models.TextChoices):
        DAY = "d", "Day"
        MONTH = "m", "Month"  # ``day`` is the month's first day

    grain = models.CharField(max_length=1, choices=Grain.choices)
    measure = models.CharField(max_length=40)
    day = models.DateField()
    case_type = models.CharField(max_length=30)
    team = models.ForeignKey("casework.Team", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300, blank=True)
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "measure", "day", "case_type", "team", "key"],
                name="figure_sum_one_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.grain}) {self.case_type} {self.team_id}: {self.measure} {self.n}"


# The per-case-type workflows: proxy models of Case with their transitions. Importing a
# module registers its workflow (workflows.registry).
from workflows import (  # noqa: E402
    community_trigger,  # noqa: F401
    cse,  # noqa: F401
    cuckooing,  # noqa: F401
    dhr,  # noqa: F401
    modern_slavery,  # noqa: F401
    prevent,  # noqa: F401
    unclassified,  # noqa: F401 (last: it offers the types registered before it)
)
