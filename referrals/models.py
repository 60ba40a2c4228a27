"""Partner agencies, their expected response times, and referrals to them (RULES.md §1.6,
§2.7, §3.5, §4.5, §5.7; DESIGN.md "referrals/").

A referral is a disclosure of a case's information to another agency. It has its own
lifecycle (``ReferralState``) beside the case's workflow: drafted by a lead, sent with a
recorded lawful basis, acknowledged, decided by the partner (accepted or declined, or no
response once its clock has run out), its outcome recorded, closed; or withdrawn while
open. The transitions below only set fields; ``referrals.services`` locks, checks,
audits, opens and closes the partner's response clock and, for a decision, moves the case
through ``workflows.services.case_transition``.
"""

from __future__ import annotations

from typing import Any

import pghistory
from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition

from casework.models import Case
from casework.permissions import lead_may
from workflows.case_facts import CaseFacts
from workflows.disclosure import ART9_CONDITIONS, ART10_CONDITIONS, YES_NO
from workflows.models import Deadline


class PartnerKind(models.TextChoices):
    HOME_OFFICE_SCA = "home_office_sca", "Home Office: Single Competent Authority"
    HOME_OFFICE_IECA = (
        "home_office_ieca",
        "Home Office: Immigration Enforcement Competent Authority",
    )
    POLICE = "police", "Police"
    CHILDRENS_SOCIAL_CARE_MASH = "childrens_social_care_mash", "Children's social care (MASH)"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    CHANNEL_PANEL = "channel_panel", "Channel panel"
    HOUSING_PROVIDER = "housing_provider", "Housing provider"
    VICTIM_CARE_PROVIDER = "victim_care_provider", "Victim care provider"
    MAGISTRATES_COURT = "magistrates_court", "Magistrates' court"
    OTHER = "other", "Other"


class PartnerAgency(models.Model):
    """An agency Safecase refers to; administrators keep the directory in the admin.

    A partner that is no longer used is made inactive rather than deleted: its past
    referrals keep pointing at it.
    """

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40, choices=PartnerKind.choices)
    contact_email = models.EmailField(blank=True)
    secure_email = models.EmailField(
        blank=True, help_text="Where referrals are sent (a secure or government mailbox)."
    )
    phone = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True, help_text="How this partner takes referrals.")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "partner agency"
        verbose_name_plural = "partner agencies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PartnerKind.values), name="partner_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ResponseUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "Working days"
    HOURS = "hours", "Hours"


class ReferralType(models.TextChoices):
    """The referrals of RULES.md, each allowed only for its case type
    (``referrals.types.REFERRAL_TYPES``)."""

    NRM_REFERRAL = "nrm_referral", "National Referral Mechanism (NRM) referral"
    DTN_ANONYMOUS = (
        "dtn_anonymous",
        "Anonymous Duty to Notify (the Modern Slavery Act 2015, section 52)",
    )
    ADULT_SAFEGUARDING_CONCERN = "adult_safeguarding_concern", "Adult safeguarding concern"
    CLOSURE_ORDER_APPLICATION = "closure_order_application", "Closure order application"
    MASH_REFERRAL = "mash_referral", "Referral to children's social care (MASH)"
    PREVENT_REFERRAL = "prevent_referral", "National Prevent referral"
    REVIEW_MEETING_REQUEST = "review_meeting_request", "ASB case review request"


class PartnerResponseTime(models.Model):
    """How long a partner is expected to take to answer one type of referral.

    Mostly local practice or a guidance target (RULES.md §1.4, §3.3, §4.3), so kept as
    data an administrator can change; ``source`` says where the number came from.
    """

    partner = models.ForeignKey(
        PartnerAgency, on_delete=models.CASCADE, related_name="response_times"
    )
    referral_type = models.CharField(max_length=40, choices=ReferralType.choices)
    duration = models.PositiveIntegerField()
    unit = models.CharField(max_length=20, choices=ResponseUnit.choices)
    source = models.TextField(blank=True, help_text="Where this timescale comes from.")

    class Meta:
        ordering = ["partner__name", "referral_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "referral_type"], name="unique_partner_response_time"
            ),
            models.CheckConstraint(
                condition=models.Q(duration__gt=0), name="partner_response_duration_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit__in=ResponseUnit.values), name="partner_response_unit_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(referral_type__in=ReferralType.values),
                name="partner_response_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_referral_type_display()} in {self.duration} {self.unit}"


class ReferralState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the partner"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    NO_RESPONSE = "no_response", "No response from the partner"
    OUTCOME_RECORDED = "outcome_recorded", "Outcome recorded"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


S = ReferralState
TERMINAL_STATES = (S.CLOSED, S.WITHDRAWN)
OPEN_STATES = [s for s in S if s not in TERMINAL_STATES]
AWAITING_DECISION = [S.SENT, S.ACKNOWLEDGED, S.NO_RESPONSE]


class Gateway(models.TextChoices):
    """The lawful gateway relied on for a disclosure (RULES.md §3.5, §4.5, §7.5)."""

    DPA_SCH1_PARA18 = (
        "dpa_2018_sch1_para18",
        "DPA 2018 Sch. 1 para 18: safeguarding of children and individuals at risk",
    )
    CDA_1998_S115 = "cda_1998_s115", "Crime and Disorder Act 1998, section 115"
    PUBLIC_TASK = "uk_gdpr_6_1_e", "UK GDPR Art 6(1)(e): public task"
    # The duty to share itself (MSA 2015 s52, CTSA 2015 s36/s38, ASBCPA 2014 s104(3)(b)).
    LEGAL_OBLIGATION = (
        "uk_gdpr_6_1_c",
        "UK GDPR Art 6(1)(c): legal obligation (the Modern Slavery Act 2015, section 52, the "
        "Counter-Terrorism and Security Act 2015, sections 36 and 38, "
        "Anti-social Behaviour, Crime and Policing Act 2014, section 104(3)(b))",
    )
    VITAL_INTERESTS = "vital_interests", "Vital interests (UK GDPR Art 6(1)(d))"
    CONSENT = "consent", "Consent"


def referral_lead_may(referral: Referral, user: Any) -> bool:
    """django-fsm permission: a lead of the referral's case (cleared where restricted)."""
    return lead_may(referral.case, user)


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), append_only=True
)
class Referral(CaseFacts):
    """A referral of a case to a partner agency.

    ``content`` holds the type's declared fields (``referrals.content``); a draft may be
    incomplete, a sent referral never is. The anonymous Duty to Notify type declares no
    field that could identify the person (MSA 2015 s52(3)).

    ``team`` and ``case_type`` (``CaseFacts``) are the case's, copied by the database.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(PartnerAgency, on_delete=models.PROTECT, related_name="referrals")
    referral_type = models.CharField(max_length=40, choices=ReferralType.choices)
    state = FSMField(max_length=30, default=ReferralState.DRAFT, protected=True)
    content = models.JSONField(default=dict, blank=True)

    # The lawful basis of the disclosure: consent, or the gateway relied on, with why.
    consent_given = models.BooleanField(default=False)
    gateway = models.CharField(max_length=40, choices=Gateway.choices, blank=True)
    lawful_basis_notes = models.TextField(blank=True)
    # Kept apart from the Art 6 basis (issue 15): does it share special-category data
    # (UK GDPR Art 9), and on which condition; criminal offence data (Art 10) likewise.
    special_category_shared = models.CharField(max_length=3, blank=True, choices=YES_NO)
    special_category_condition = models.CharField(
        max_length=40, blank=True, choices=ART9_CONDITIONS
    )
    criminal_offence_data_shared = models.CharField(max_length=3, blank=True, choices=YES_NO)
    criminal_offence_condition = models.CharField(
        max_length=40, blank=True, choices=ART10_CONDITIONS
    )
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    authorised_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    sent_at = models.DateTimeField(null=True, blank=True)
    # How it left (issue 19): emailed as a PDF to the partner's secure mailbox
    # (``sent_to``, with the email's Message-ID), or recorded as sent by hand where the
    # partner has no mailbox; and who sent it.
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_by_email = models.BooleanField(default=False)
    sent_to = models.CharField(max_length=254, blank=True)
    sent_message_id = models.CharField(max_length=255, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    partner_reference = models.CharField(max_length=100, blank=True)
    response_deadline = models.ForeignKey(
        Deadline, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=40, blank=True)
    decision_details = models.JSONField(default=dict, blank=True)
    no_response_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["case", "state"]),
            models.Index(fields=["partner", "state"]),
            # Referrals sent and not yet answered, by case, from the index alone: a lead's
            # dashboard lists its teams' (11,000 of 158,000 at county scale), which was a
            # scan of every referral (docs/performance.md).
            models.Index(
                fields=["case"],
                include=["response_deadline", "sent_at", "id"],
                condition=models.Q(state__in=[ReferralState.SENT, ReferralState.ACKNOWLEDGED]),
                name="referral_awaited_case",
            ),
            # The same by the case's team (``team_case_condition``): a lead's "awaiting a
            # response" panel.
            models.Index(
                fields=["team"],
                include=["case_type", "response_deadline", "sent_at", "id"],
                condition=models.Q(state__in=[ReferralState.SENT, ReferralState.ACKNOWLEDGED]),
                name="referral_awaited_team",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ReferralState.values), name="referral_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(referral_type__in=ReferralType.values),
                name="referral_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(gateway="") | models.Q(gateway__in=Gateway.values),
                name="referral_gateway_valid",
            ),
            # Nothing leaves Safecase without a recorded lawful basis and who authorised it.
            models.CheckConstraint(
                condition=models.Q(state=ReferralState.DRAFT)
                | models.Q(state=ReferralState.WITHDRAWN, sent_at__isnull=True)
                | (
                    models.Q(sent_at__isnull=False, authorised_by__isnull=False)
                    & (models.Q(consent_given=True) | ~models.Q(gateway=""))
                ),
                name="referral_sent_has_lawful_basis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_referral_type_display()} for {self.case.reference}"

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    # Transitions: they set fields only (DESIGN.md "Transitions").

    @transition(field=state, source=S.DRAFT, target=S.SENT, permission=referral_lead_may)
    def send(self, *, at: Any, by: Any = None, to: str = "", message_id: str = "") -> None:
        self.sent_at, self.sent_by = at, by
        self.sent_by_email, self.sent_to, self.sent_message_id = bool(to), to, message_id

    @transition(field=state, source=S.SENT, target=S.ACKNOWLEDGED, permission=referral_lead_may)
    def acknowledge(self, *, at: Any, partner_reference: str = "") -> None:
        self.acknowledged_at = at
        self.partner_reference = partner_reference or self.partner_reference

    @transition(
        field=state, source=AWAITING_DECISION, target=S.ACCEPTED, permission=referral_lead_may
    )
    def accept(self, *, at: Any, decision: str, details: dict[str, Any]) -> None:
        self._decide(at, decision, details)

    @transition(
        field=state, source=AWAITING_DECISION, target=S.DECLINED, permission=referral_lead_may
    )
    def decline(self, *, at: Any, decision: str, details: dict[str, Any]) -> None:
        self._decide(at, decision, details)

    def _decide(self, at: Any, decision: str, details: dict[str, Any]) -> None:
        self.decided_at, self.decision, self.decision_details = at, decision, details

    @transition(
        field=state,
        source=[S.SENT, S.ACKNOWLEDGED],
        target=S.NO_RESPONSE,
        permission=referral_lead_may,
    )
    def record_no_response(self, *, at: Any) -> None:
        self.no_response_at = at

    @transition(
        field=state,
        source=[S.ACCEPTED, S.DECLINED, S.NO_RESPONSE],
        target=S.OUTCOME_RECORDED,
        permission=referral_lead_may,
    )
    def record_outcome(self, *, at: Any, outcome: str) -> None:
        self.outcome_recorded_at, self.outcome = at, outcome

    @transition(
        field=state, source=S.OUTCOME_RECORDED, target=S.CLOSED, permission=referral_lead_may
    )
    def close(self, *, at: Any) -> None:
        self.closed_at = at

    @transition(field=state, source=OPEN_STATES, target=S.WITHDRAWN, permission=referral_lead_may)
    def withdraw(self, *, at: Any, reason: str) -> None:
        self.withdrawn_at, self.withdrawn_reason = at, reason
