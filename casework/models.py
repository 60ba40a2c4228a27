"""Casework data: teams, cases, people, premises, the audit log and its verifications.

Cases, people and premises keep row history (django-pghistory): a database trigger
copies every inserted, updated or deleted row into an append-only event table, so even
a bulk ``.update()`` or raw SQL leaves a trace (DESIGN.md "Audit").
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Upper
from django_fsm import FSMField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Team(models.Model):
    """A team of staff that owns cases, e.g. the north locality safeguarding team."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    area = models.CharField(max_length=200, blank=True, help_text="The area the team covers.")
    duty_lead_contact = models.CharField(
        max_length=300, blank=True, help_text="How to reach the team's duty lead."
    )
    # Who a raiser calls when someone is at immediate risk (issue 19): shown on the
    # urgent confirmation page after 999.
    duty_lead_name = models.CharField(
        max_length=120, blank=True, help_text="The name of the team's duty lead."
    )
    duty_phone = models.CharField(
        max_length=30, blank=True, help_text="The duty lead's phone number."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="unique_team_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class CaseType(models.TextChoices):
    """The case types of DESIGN.md; ids are part of the API (shared/API.md)."""

    MODERN_SLAVERY = "modern_slavery", "Modern slavery"
    CUCKOOING = "cuckooing", "County lines cuckooing"
    # One child exploitation type, sexual and/or criminal; its id stays "cse" (API.md).
    CSE = "cse", "Child exploitation"
    PREVENT = "prevent", "Prevent"
    COMMUNITY_TRIGGER = "community_trigger", "Community Trigger (ASB case review)"
    DHR = "dhr", "Domestic Homicide Review"
    # A general concern until a lead chooses its type (workflows.unclassified, issue 19).
    UNCLASSIFIED = "unclassified", "General concern"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), append_only=True
)
class Person(models.Model):
    """Someone a case is about or involves. One person may be linked to several cases."""

    given_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    aliases = models.CharField(max_length=500, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "people"
        indexes = [
            models.Index(fields=["family_name", "given_names"]),
        ]

    def __str__(self) -> str:
        return self.full_name or f"Person {self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.family_name) if p)


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), append_only=True
)
class Premises(models.Model):
    """A home or other premises, e.g. the address taken over in a cuckooing case."""

    address = models.TextField()
    postcode = models.CharField(max_length=10, blank=True)
    tenure = models.CharField(max_length=50, blank=True)
    landlord = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "premises"

    def __str__(self) -> str:
        return self.address.splitlines()[0] if self.address else f"Premises {self.pk}"


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), append_only=True
)
class Case(models.Model):
    """A safeguarding case. Its process is the workflow of its ``case_type``.

    The state is changed only by the django-fsm transitions declared in
    ``workflows/<case_type>.py`` through ``workflows.services.case_transition``;
    the field is protected and a CHECK constraint (migration
    ``workflows.0002_case_state_check``) refuses states the workflow does not have.
    """

    reference = models.CharField(max_length=20, unique=True, editable=False)
    case_type = models.CharField(max_length=30, choices=CaseType.choices)
    state = FSMField(max_length=60, protected=True)
    summary = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_cases",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_cases"
    )
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_code = models.CharField(max_length=60, blank=True)
    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    # The raiser answered the type's immediate risk or danger question "Yes" (issue 19):
    # set by intake (workflows.services.case_raise), read by the triage queue's order.
    immediate_risk = models.BooleanField(default=False)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["case_type", "state"]),
            models.Index(fields=["team", "state"]),
            # owner and raised_by have their foreign keys' indexes: a second index on
            # the same column cost every write and served no read.
            # The case list, newest first (workflows.case_search).
            models.Index(fields=["raised_at", "id"], name="case_raised_at_id"),
            # "The clocks / referrals of my teams' cases" (the lead's dashboard) reads a
            # team's case ids from this index alone, not 13,000 heap pages at 500,000.
            models.Index(fields=["team", "case_type", "id"], name="case_team_type_id"),
            # A lead's dashboard counts its teams' open cases by type, state and owner
            # (reports/dashboards.py) from this index alone, and picks the first cases of
            # a panel (waiting for a lead: by risk, age and id) from it without reading
            # the team's waiting cases from the heap, 1,367 pages at 500,000 cases.
            models.Index(
                fields=["team", "case_type", "state", "owner"],
                include=["immediate_risk", "raised_at", "id"],
                condition=models.Q(closed_at__isnull=True),
                name="case_open_by_team",
            ),
            # Each person's open caseload, beside every name a lead may allocate to
            # (workflows.triage.with_open_cases): counted from the index alone, 53 to
            # 1 ms for a team of 48 at 500,000 cases (docs/performance.md).
            models.Index(
                fields=["owner", "id"],
                condition=models.Q(closed_at__isnull=True),
                name="case_open_owner",
            ),
            # An audit event names its premises by id as text: "is this premises' case
            # restricted" (casework.audit.restricted_case_events) looks it up here.
            models.Index(
                Cast("premises_id", output_field=models.CharField()),
                condition=models.Q(premises__isnull=False),
                name="case_premises_text",
            ),
        ]
        permissions = [
            ("raise_case", "Can raise a concern"),
            ("view_all_case", "Can read every case"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class CasePersonRole(models.TextChoices):
    SUBJECT = "subject", "Subject"
    APPLICANT = "applicant", "Applicant"
    PARENT_CARER = "parent_carer", "Parent or carer"
    ALLEGED_PERPETRATOR = "alleged_perpetrator", "Alleged perpetrator"
    OCCUPIER = "occupier", "Occupier"
    HOUSEHOLD_MEMBER = "household_member", "Household member"
    OTHER = "other", "Other"


class CaseLink(models.Model):
    """Two related cases (issue 15): a cuckooing case and the occupier's NRM case, a child
    exploitation case and its trafficking case, a Community Trigger about a cuckooed flat.
    A link is shown on each case's page only to someone who may see the other case in
    full (``casework.selectors.case_links_for_user``): it never tells anyone that a case
    they may not see exists (across teams, or into Prevent)."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    reason = models.TextField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="unique_case_link"),
            models.CheckConstraint(
                condition=~models.Q(from_case=models.F("to_case")), name="case_link_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_case} linked to {self.to_case}"


class CasePerson(models.Model):
    """A person's part in a case (subject, applicant, parent or carer, ...)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_people")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_links")
    role = models.CharField(max_length=30, choices=CasePersonRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "role"], name="unique_case_person_role"
            ),
        ]
        indexes = [
            # An audit event names its person by id as text: "is this person on a
            # restricted case" (casework.audit.restricted_case_events) looks it up here
            # rather than reading all 676,000 links at county scale.
            models.Index(
                Cast("person_id", output_field=models.CharField()), name="caseperson_person_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) in {self.case}"


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log (DESIGN.md "Audit").

    Written only by ``casework.audit.audit_record`` inside the transaction of the change
    it records. ``hash`` covers this event's canonical content and ``prev_hash``, so an
    edited or removed event breaks the chain.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(max_length=60)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The names of the actor and of the people, teams and partners ``data`` refers to by
    # id, as they were when the event was recorded ({"users": {"4": "Sam Lead"}, ...});
    # covered by the hash when present (casework.audit.canonical_content).
    # The database default lets bulk loaders (seed_scale's COPY) leave it out.
    names = models.JSONField(
        default=dict, blank=True, db_default=models.Value({}, output_field=models.JSONField())
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The id of the audit key (SAFECASE_AUDIT_KEY_ID) whose HMAC ``hash`` is; empty for
    # events recorded before keys, hashed with plain SHA-256 (issue 17).
    key_id = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["case", "id"]),
            models.Index(fields=["verb", "at"]),
            models.Index(fields=["actor", "at"]),
            # What one person did, newest first (the auditor's search by user).
            models.Index(fields=["actor", "id"], name="audit_actor_id"),
            # Failed sign-ins naming a username (casework.audit.audit_event_list_for_user).
            models.Index(
                Upper(KT("data__username")),
                condition=models.Q(verb="user.sign_in_failed"),
                name="audit_failed_sign_in_name",
            ),
            # A case's history includes events on its people and premises (audit search
            # by reference, the case timeline): docs/performance.md.
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]
        # The database itself refuses to change or remove an event (DESIGN.md "Audit").
        # TRUNCATE is not a row operation and is left to whoever owns the database.
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.verb} at {self.at:%Y-%m-%d %H:%M}"


class StaffApproval(models.Model):
    """A change to someone's role that a second administrator must approve (DESIGN.md
    "Access"): making them an auditor, or giving them Prevent clearance. The requested
    role, clearance and teams wait here until another administrator decides."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_approvals"
    )
    role = models.CharField(max_length=30)
    cleared = models.BooleanField()
    team_ids = models.JSONField(default=list)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # One undecided request per person at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(decided_at__isnull=True),
                name="one_open_staff_approval",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requested_by")),
                name="staff_approval_by_a_second_administrator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} for user {self.user_id}"


class CaseViewRepeat(models.Model):
    """Further looks at a case by the same person soon after a recorded view (issue 20):
    the view is one audit event, and this row counts the repeats and when the last was,
    so the timeline reads "viewed 6 times" rather than six events. The audit event itself
    stays unchanged; only this count moves (``casework.services.case_view_record``)."""

    event = models.OneToOneField(
        AuditEvent, primary_key=True, on_delete=models.PROTECT, related_name="view_repeat"
    )
    repeats = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.repeats} more views of event {self.event_id}"


class AuditChainVerification(models.Model):
    """One run of ``verify_audit_chain``: whether the chain was intact, and if not the
    first broken link. The auditor's workspace shows the latest; runs are append-only."""

    ran_at = models.DateTimeField()
    ok = models.BooleanField()
    events_checked = models.PositiveIntegerField()
    first_broken_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["-ran_at", "-id"]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'BROKEN'} at {self.ran_at:%Y-%m-%d %H:%M}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A per-case permission granted to one user (django-guardian, direct foreign key:
    indexed joins instead of the generic table's text ids, and no orphans)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
        indexes = [models.Index(fields=["user", "permission"])]


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """A per-case permission granted to a group."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [models.Index(fields=["group", "permission"])]


class CaseNote(models.Model):
    """A note on a case by someone working on it (casework.notes.case_note_add).

    Append-only: the database refuses to change or remove a note, so what was recorded
    stays as it was written; a correction is a further note.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at", "-id"], name="casenote_case_newest")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="casenote_text_not_blank"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.case_id}"


class CaseAttachment(models.Model):
    """A file attached to a case (casework.notes.case_attachment_add).

    The file is kept under ``SAFECASE_MEDIA_ROOT`` with a random name (``stored_name``)
    and is only ever sent by the download view, which checks access. The name the user
    gave is kept, cleaned, for display and for the download. Append-only like notes.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["case", "-created_at", "-id"], name="caseattachment_case_newest")
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="caseattachment_not_empty"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.original_name


class ApiIdempotencyKey(models.Model):
    """A creating API request made with an ``Idempotency-Key`` header, and its answer.

    The row is written in the request's transaction, before the work: a second request
    with the same key by the same user waits on the unique key until the first commits,
    then gets the first's answer instead of creating again (casework/idempotency.py).
    A request that failed leaves no row, so the key can be used again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"


class TsVectorField(models.Field):
    """A PostgreSQL ``tsvector`` column, written by ``casework.search_index`` alone."""

    description = "Text search document"

    def db_type(self, connection: object) -> str:
        return "tsvector"


@TsVectorField.register_lookup
class TsMatch(models.Lookup):
    """``document @@ 'query'::tsquery``: the query text is a tsquery already (its lexemes
    quoted by ``casework.search_index``), cast, never re-parsed by a text search
    configuration, so it means the same on every PostgreSQL."""

    lookup_name = "matches"

    def as_sql(self, compiler: object, connection: object) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ ({rhs})::tsquery", [*lhs_params, *rhs_params]

    def get_db_prep_lookup(self, value: object, connection: object) -> tuple[str, list]:
        return "%s", [str(value)]


class CaseSearchEntry(models.Model):
    """The search index: one row a case, holding what staff search by (normalised names
    with phonetic keys, dates of birth, postcodes, first address lines, phone digits,
    references, summary words) and who may see it (team, owner, raiser and grants, per
    case type), all as lexemes of one ``tsvector`` under one GIN index, so that one
    indexed query answers "the matches this user may see" (``casework.search_index``).

    Kept by the write services (raise, transition, allocate, grants, person and premises
    edits) in their transactions; rebuilt by ``manage.py search_index_rebuild``."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    document = TsVectorField()
    # When the case was raised (``Case.raised_at``, which never changes), so that a
    # search reads its matches' ids in the list's order from the index's own rows and
    # then only the page's cases (``workflows.case_search``, docs/performance.md).
    raised_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "case search entries"
        # No pending list (fastupdate off): a new or changed entry goes into the index at
        # once. With it, every entry written since the last vacuum waited in a list that
        # each search read through in full: 2,300 raises made a name search 5-9 ms slower
        # at county scale (docs/performance.md), and the write that found the list full
        # merged all of it while its user waited.
        indexes = [GinIndex(fields=["document"], name="case_search_document", fastupdate=False)]

    def __str__(self) -> str:
        return f"Search entry of case {self.case_id}"


class PossibleMatch(models.Model):
    """A case raised whose person or premises may be one already known from another case
    (``casework.matching``), with why; recorded whoever may see the other case, and
    shown to each viewer only as far as they may see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="possible_matches")
    matched_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    found_at = models.DateTimeField()
    # The leads who act on the matched case are told when it is another team's or in a
    # restricted compartment (they may not see the new case): after the raise commits,
    # by a task, so the raiser does not wait for the messages (``tell_leads`` says they
    # are owed, ``leads_told_at`` when they were written; casework.matching).
    tell_leads = models.BooleanField(default=False)
    leads_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "matched_case"], name="unique_possible_match"),
        ]
        indexes = [
            # The few whose leads are still to be told, for the catch-up (beat).
            models.Index(
                fields=["found_at"],
                name="possible_match_untold",
                condition=models.Q(tell_leads=True, leads_told_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} may match {self.matched_case}"


class ApiToken(models.Model):
    """An API token for one device (issue 17, finding 6; ``casework.api_tokens``).

    Only a SHA-256 digest of the token is kept, with its first characters to tell tokens
    apart: the token itself is shown once, to the client that signed in, and never again.
    It stops working after ``SAFECASE_API_TOKEN_IDLE_HOURS`` without use, at
    ``expires_at`` (``SAFECASE_API_TOKEN_MAX_DAYS`` after it was made), when revoked, and
    when its user's password changes (``password_mark``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    # A digest of the user's session hash when the token was made: a new password changes
    # it, and the token stops working however the password was changed.
    password_mark = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
