"""Modern slavery (RULES.md §1): the proxy model whose transitions are the process."""

from __future__ import annotations

from typing import Any

from casework.models import Case
from workflows.definitions import (
    Field,
    FieldType,
    WorkflowCaseMixin,
    msgs,
)
from workflows.modern_slavery.checks import (
    may_refer_into_nrm,
    subject_is_adult,
    subject_is_child,
)
from workflows.modern_slavery.states import (
    AGE_BANDS,
    CAPACITY_DECIDERS,
    COMPETENT_AUTHORITIES,
    EXPLOITATION_PERIODS,
    EXPLOITATION_TYPES,
    NATIONALITIES,
    NO_NOTIFICATION_REASONS,
    UK_REGIONS,
    State,
)
from workflows.steps import step


class ModernSlaveryCase(WorkflowCaseMixin, Case):
    """A modern slavery case; transitions follow RULES.md §1.3."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        source=State.CONCERN_RAISED,
        target=State.TRIAGE,
        label="Start triage",
        fields=[
            Field("immediate_risk", FieldType.BOOLEAN, "Is anyone at immediate risk?"),
            Field(
                "police_informed",
                FieldType.BOOLEAN,
                "Have the police been told?",
                errors=msgs(required="Select yes if the police have been told"),
            ),
        ],
    )
    def start_triage(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.TRIAGE,
        target=State.CLOSED,
        label="Close: no reasonable grounds",
        outcome="NO_NOTIFICATION_REQUIRED",
        outcome_words="No reasonable grounds, so no notification required",
        fields=[
            Field(
                "rationale",
                FieldType.TEXT,
                "Why there are no reasonable grounds",
                errors=msgs(
                    required="Enter why there are no reasonable grounds to believe the person "
                    "is a victim"
                ),
            )
        ],
    )
    def close_no_grounds(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="child_welfare_form_sent_on",
        source=State.TRIAGE,
        target=State.CHILD_WELFARE_NOTIFIED,
        label="Send the child welfare form",
        conditions=[subject_is_child],
        guard_message="The child route is only for a subject under 18.",
        fields=[
            Field("local_authority", FieldType.STRING, "Local authority sent to"),
            Field("child_welfare_form_sent_on", FieldType.DATE, "Date sent"),
            Field(
                "ictg_referred",
                FieldType.BOOLEAN,
                "Referred to an Independent Child Trafficking Guardian?",
            ),
        ],
    )
    def notify_child_welfare(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "not_required_child"})

    @step(
        event_field="consent_explained_on",
        source=State.TRIAGE,
        target=State.ADULT_CONSENT_SOUGHT,
        label="Seek the adult's consent",
        conditions=[subject_is_adult],
        guard_message="Consent is sought only from an adult; a child needs none.",
        fields=[
            Field(
                "consent_explained_on",
                FieldType.DATE,
                "Date the NRM and its support were explained",
            )
        ],
    )
    def seek_consent(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="consent_given_on",
        source=State.ADULT_CONSENT_SOUGHT,
        target=State.CONSENT_GIVEN,
        label="Record consent to an NRM referral",
        fields=[Field("consent_given_on", FieldType.DATE, "Date consent was given")],
    )
    def record_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "given"})

    @step(
        event_field="consent_withdrawn_on",
        source=State.CONSENT_GIVEN,
        target=State.ADULT_CONSENT_SOUGHT,
        label="The adult withdrew consent before the NRM referral",
        fields=[
            Field("consent_withdrawn_on", FieldType.DATE, "Date consent was withdrawn"),
            Field("reason", FieldType.TEXT, "What the adult said", required=False),
        ],
    )
    def withdraw_consent(self, *, actor: Any, data: dict) -> None:
        """The duty to notify remains (MSA 2015 s52): without consent the notification is
        made anonymously."""
        self.record({**data, "consent_status": "withdrawn"})

    @step(
        event_field="best_interests_decided_on",
        source=State.ADULT_CONSENT_SOUGHT,
        target=None,
        label="Record a best-interests decision (the adult lacks capacity to consent)",
        conditions=[subject_is_adult],
        guard_message="A best-interests decision is for an adult; a child needs no consent.",
        fields=[
            Field("capacity_assessed_on", FieldType.DATE, "Date capacity was assessed"),
            Field(
                "capacity_assessment",
                FieldType.TEXT,
                "Why the adult lacks capacity to decide about an NRM referral (the Mental "
                "Capacity Act 2005, sections 2 to 3)",
            ),
            Field("decision_maker_name", FieldType.STRING, "Decision maker: name"),
            Field(
                "decision_maker_role",
                FieldType.CHOICE,
                "Decision maker: role",
                choices=CAPACITY_DECIDERS,
            ),
            Field(
                "consulted",
                FieldType.TEXT,
                "Who was consulted (carers, advocate, attorney or deputy) and their views",
            ),
            Field("best_interests_decided_on", FieldType.DATE, "Date of the decision"),
            Field(
                "best_interests_rationale",
                FieldType.TEXT,
                "Why an NRM referral is in the adult's best interests",
            ),
        ],
    )
    def record_best_interests_decision(self, *, actor: Any, data: dict) -> None:
        """[U] The NRM guidance lets a first responder refer an adult who lacks capacity
        in their best interests (MCA 2005 s4); who may decide is a local default."""
        self.record({**data, "consent_status": "best_interests"})

    @step(
        source=[State.ADULT_CONSENT_SOUGHT, State.CONSENT_GIVEN],
        target=State.CLOSED,
        label="Close: decided that no notification is required",
        outcome="NOTIFICATION_NOT_REQUIRED",
        outcome_words="Decided that no notification is required",
        fields=[
            Field(
                "no_notification_reason",
                FieldType.CHOICE,
                "Why no notification is required",
                choices=NO_NOTIFICATION_REASONS,
            ),
            Field(
                "other_notification_reference",
                FieldType.STRING,
                "The other first responder's NRM or Duty to Notify reference, if known",
                required=False,
            ),
            Field("decided_by_name", FieldType.STRING, "Decided by: name and role"),
            Field("rationale", FieldType.TEXT, "The decision and its reasons"),
        ],
    )
    def close_notification_not_required(self, *, actor: Any, data: dict) -> None:
        """Once triage found indicators, only a recorded decision closes the case without
        the s52 notification (RULES.md §1.3 ``NO_NOTIFICATION_REQUIRED``) [U]."""
        self.record({**data, "notification_route": "none"})

    @step(
        event_field="nrm_submitted_on",
        source=[State.CHILD_WELFARE_NOTIFIED, State.CONSENT_GIVEN, State.ADULT_CONSENT_SOUGHT],
        target=State.AWAITING_RG,
        label="Submit the NRM referral",
        conditions=[may_refer_into_nrm],
        guard_message=(
            "An adult is referred into the NRM only with their consent or, if they lack "
            "capacity to consent, a recorded best-interests decision."
        ),
        fields=[
            Field(
                "competent_authority",
                FieldType.CHOICE,
                "Competent authority",
                choices=COMPETENT_AUTHORITIES,
            ),
            Field("nrm_submitted_on", FieldType.DATE, "Date submitted"),
            Field("nrm_reference", FieldType.STRING, "NRM reference", required=False),
        ],
    )
    def submit_nrm_referral(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "notification_route": "nrm"})

    @step(
        event_field="dtn_submitted_on",
        source=State.ADULT_CONSENT_SOUGHT,
        target=State.DTN_SUBMITTED,
        label="Submit the anonymous Duty to Notify",
        conditions=[subject_is_adult],
        guard_message=(
            "A child is referred into the NRM without consent: an anonymous Duty to Notify "
            "is only for an adult."
        ),
        fields=[
            Field(
                "gender",
                FieldType.CHOICE,
                "Gender",
                choices=(
                    ("female", "Female"),
                    ("male", "Male"),
                    ("other", "Other"),
                    ("unknown", "Not known"),
                ),
                column="workflows.DutyToNotifyNotification.gender",
            ),
            Field(
                "age_band",
                FieldType.CHOICE,
                "Age band",
                choices=AGE_BANDS,
                column="workflows.DutyToNotifyNotification.age_band",
            ),
            Field(
                "nationality",
                FieldType.CHOICE,
                "Nationality",
                choices=NATIONALITIES,
                column="workflows.DutyToNotifyNotification.nationality",
            ),
            Field(
                "exploitation_types",
                FieldType.MULTICHOICE,
                "Types of exploitation",
                choices=EXPLOITATION_TYPES,
            ),
            Field(
                "exploitation_region",
                FieldType.CHOICE,
                "Where the exploitation happened",
                choices=UK_REGIONS,
                column="workflows.DutyToNotifyNotification.exploitation_region",
            ),
            Field(
                "exploitation_period",
                FieldType.CHOICE,
                "When it happened",
                choices=EXPLOITATION_PERIODS,
                column="workflows.DutyToNotifyNotification.exploitation_period",
            ),
            Field("police_informed", FieldType.BOOLEAN, "Police informed?"),
            Field("dtn_submitted_on", FieldType.DATE, "Date submitted"),
        ],
    )
    def submit_duty_to_notify(self, *, actor: Any, data: dict) -> None:
        self.record(
            {
                "consent_status": "refused",
                "notification_route": "dtn_anonymous",
                "dtn_submitted_on": data["dtn_submitted_on"],
            }
        )

    @step(
        event_field="consent_explained_on",
        source=State.DTN_SUBMITTED,
        target=State.ADULT_CONSENT_SOUGHT,
        label="The adult now wishes to consider consent",
        fields=[Field("consent_explained_on", FieldType.DATE, "Date explained again")],
    )
    def seek_consent_again(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.DTN_SUBMITTED,
        target=State.CLOSED,
        label="Close: Duty to Notify only",
        outcome="DTN_ONLY",
        outcome_words="Duty to Notify only (no NRM referral)",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_dtn_only(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="rg_decision_on",
        source=State.AWAITING_RG,
        target=State.RECOVERY_PERIOD,
        label="Record a positive reasonable grounds decision",
        fields=[Field("rg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_rg_positive(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "rg_decision": "positive"})

    @step(
        event_field="rg_decision_on",
        source=State.AWAITING_RG,
        target=State.RG_NEGATIVE,
        label="Record a negative reasonable grounds decision",
        fields=[Field("rg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_rg_negative(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "rg_decision": "negative"})

    @step(
        event_field="reconsideration_requested_on",
        source=State.RG_NEGATIVE,
        target=State.AWAITING_RG,
        label="Request reconsideration of the RG decision",
        fields=[Field("reconsideration_requested_on", FieldType.DATE, "Date requested")],
    )
    def request_rg_reconsideration(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "rg_decision": "pending"})

    @step(
        source=State.RG_NEGATIVE,
        target=State.CLOSED,
        label="Close: negative reasonable grounds",
        outcome="NRM_RG_NEGATIVE",
        outcome_words="Negative reasonable grounds decision (NRM)",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_rg_negative(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="cg_decision_on",
        source=State.RECOVERY_PERIOD,
        target=State.CG_POSITIVE,
        label="Record a positive conclusive grounds decision",
        fields=[Field("cg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_cg_positive(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "cg_decision": "positive"})

    @step(
        event_field="cg_decision_on",
        source=State.RECOVERY_PERIOD,
        target=State.CG_NEGATIVE,
        label="Record a negative conclusive grounds decision",
        fields=[Field("cg_decision_on", FieldType.DATE, "Date of the decision")],
    )
    def record_cg_negative(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "cg_decision": "negative"})

    @step(
        event_field="reconsideration_requested_on",
        source=State.CG_NEGATIVE,
        target=State.RECOVERY_PERIOD,
        label="Request reconsideration of the CG decision",
        fields=[Field("reconsideration_requested_on", FieldType.DATE, "Date requested")],
    )
    def request_cg_reconsideration(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "cg_decision": "pending"})

    @step(
        source=State.CG_POSITIVE,
        target=State.CLOSED,
        label="Close: positive conclusive grounds",
        outcome="NRM_CG_POSITIVE",
        outcome_words="Positive conclusive grounds decision (NRM)",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_cg_positive(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CG_NEGATIVE,
        target=State.CLOSED,
        label="Close: negative conclusive grounds",
        outcome="NRM_CG_NEGATIVE",
        outcome_words="Negative conclusive grounds decision (NRM)",
        fields=[Field("closing_note", FieldType.TEXT, "Closing note", required=False)],
    )
    def close_cg_negative(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.AWAITING_RG, State.RECOVERY_PERIOD],
        target=State.CLOSED,
        label="Close: disqualified (the Nationality and Borders Act 2022, section 63)",
        outcome="NRM_DISQUALIFIED",
        outcome_words="Disqualified from NRM protection (Nationality and Borders Act 2022, s63)",
        fields=[Field("rationale", FieldType.TEXT, "Grounds given for disqualification")],
    )
    def record_disqualification(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[
            State.AWAITING_RG,
            State.RECOVERY_PERIOD,
            State.RG_NEGATIVE,
            State.CG_NEGATIVE,
        ],
        target=State.WITHDRAWN,
        label="Withdraw from the NRM (the adult withdrew or disengaged after referral)",
        outcome="NRM_WITHDRAWN",
        outcome_words="Withdrawn from the NRM",
        fields=[Field("reason", FieldType.TEXT, "Why the case is withdrawn")],
    )
    def withdraw(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "withdrawn"})
