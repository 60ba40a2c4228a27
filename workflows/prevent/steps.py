"""Prevent (RULES.md §4): the proxy model whose transitions are the process."""

from __future__ import annotations

from typing import Any

from casework.models import Case
from workflows.definitions import (
    Field,
    FieldType,
    WorkflowCaseMixin,
)
from workflows.disclosure import DisclosingCaseMixin, disclosure_fields
from workflows.prevent.checks import subject_is_adult, subject_is_child
from workflows.prevent.states import (
    CHANNEL_REFERRERS,
    CLOSING_NOTE,
    CONSENT_PARTIES,
    EXIT_REASONS,
    GATEWAY_DATE,
    GATEWAY_SOURCES,
    ONWARD_REFERRALS,
    PARENTAL_RELATIONSHIPS,
    REASSESS_ON,
    State,
)
from workflows.steps import step

SUPPORT_PLAN_FIELDS = [
    Field("support_provider", FieldType.STRING, "Who provides the support"),
    Field("support_nature", FieldType.TEXT, "Nature of the support"),
    Field("support_start_on", FieldType.DATE, "Date the support starts"),
]


class PreventCase(DisclosingCaseMixin, WorkflowCaseMixin, Case):
    """A Prevent case; transitions follow RULES.md §4.2."""

    class Meta:
        proxy = True
        app_label = "workflows"

    @step(
        event_field="referral_submitted_on",
        source=State.CONCERN_RAISED,
        target=State.REFERRAL_SUBMITTED,
        label="Submit the Prevent referral to the police",
        fields=[
            Field("referral_submitted_on", FieldType.DATE, "Date the referral was submitted"),
            Field("submitted_to", FieldType.STRING, "Police counter-terrorism Prevent team"),
            Field(
                "mash_informed",
                FieldType.BOOLEAN,
                "For a person under 18: also sent to the MASH or children's social care?",
            ),
            *disclosure_fields(shared_with="the police Prevent team"),
        ],
    )
    def submit_referral(self, *, actor: Any, data: dict) -> None:
        self.record_disclosure("submit_referral", data, actor)

    @step(
        source=State.CONCERN_RAISED,
        target=State.CLOSED,
        label="Close: not referred to Prevent",
        outcome="NOT_REFERRED",
        outcome_words="Not referred to Prevent",
        fields=[Field("rationale", FieldType.TEXT, "Why the concern is not a Prevent matter")],
    )
    def close_not_referred(self, *, actor: Any, data: dict) -> None:
        """The lead's "check" found no radicalisation concern; local code [U]."""
        self.record(data)

    @step(
        event_field="gateway_started_on",
        source=State.REFERRAL_SUBMITTED,
        target=State.GATEWAY_ASSESSMENT,
        label="Record that the police gateway assessment has started",
        fields=[
            Field("gateway_started_on", FieldType.DATE, "Date the police started it"),
            Field(
                "police_reference",
                FieldType.STRING,
                "Police reference",
                required=False,
                help_text="Link to the police record rather than copying it.",
            ),
        ],
    )
    def start_gateway_assessment(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CLOSED,
        label="Close: no further action at the gateway",
        outcome="NFA_AT_GATEWAY",
        outcome_words="No further action at the police gateway",
        fields=[GATEWAY_DATE, Field("rationale", FieldType.TEXT, "Reason the police gave")],
    )
    def close_nfa_at_gateway(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "nfa"})

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CLOSED,
        label="Close: signposted to other services",
        outcome="SIGNPOSTED",
        outcome_words="Signposted to other services",
        fields=[
            GATEWAY_DATE,
            Field("signposted_to", FieldType.TEXT, "Services the person was signposted to"),
        ],
    )
    def close_signposted(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "signposted"})

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CLOSED,
        label="Close: police-led partnership management",
        outcome="POLICE_LED",
        outcome_words="Police-led partnership management",
        fields=[GATEWAY_DATE, CLOSING_NOTE],
    )
    def close_police_led(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "police_led"})

    @step(
        event_field="gateway_outcome_on",
        source=GATEWAY_SOURCES,
        target=State.CHANNEL_INFO_GATHERING,
        label="Record a referral to the Channel panel",
        fields=[
            GATEWAY_DATE,
            Field(
                "channel_referred_by", FieldType.CHOICE, "Referred by", choices=CHANNEL_REFERRERS
            ),
        ],
    )
    def refer_to_channel(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "gateway_outcome": "referred_to_channel"})

    @step(
        source=State.CHANNEL_INFO_GATHERING,
        target=State.CHANNEL_PANEL,
        label="Information gathered: list for the Channel panel",
        fields=[
            Field(
                "partners_asked",
                FieldType.TEXT,
                "Partners asked for information",
                required=False,
            ),
            Field("panel_listed_for", FieldType.DATE, "Date of the panel it is listed for"),
        ],
    )
    def list_for_panel(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="panel_date",
        source=State.CHANNEL_PANEL,
        target=State.ADOPTED,
        label="Record the panel's decision: adopted",
        fields=[
            Field("panel_date", FieldType.DATE, "Date of the panel"),
            *SUPPORT_PLAN_FIELDS[:2],
            Field(
                "consent_request_plan",
                FieldType.TEXT,
                "How, when and by whom consent is to be requested",
            ),
        ],
    )
    def adopt(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "panel_decision": "adopted", "consent_status": "not_asked"})

    @step(
        event_field="panel_date",
        source=State.CHANNEL_PANEL,
        target=State.CLOSED,
        label="Close: not adopted by the panel",
        outcome="NOT_ADOPTED",
        outcome_words="Not adopted by the Channel panel",
        fields=[
            Field("panel_date", FieldType.DATE, "Date of the panel"),
            Field("rationale", FieldType.TEXT, "Why the panel did not adopt the case"),
            Field(
                "onward_referral",
                FieldType.CHOICE,
                "Onward referral considered",
                choices=ONWARD_REFERRALS,
            ),
            Field(
                "onward_referral_detail",
                FieldType.STRING,
                "Who it was referred to",
                required=False,
            ),
        ],
    )
    def not_adopt(self, *, actor: Any, data: dict) -> None:
        """s36(6): a panel that will not provide support must consider referring the
        person to health or social care providers, so the decision records it."""
        self.record({**data, "panel_decision": "not_adopted"})

    @step(
        event_field="consent_requested_on",
        source=State.ADOPTED,
        target=State.CONSENT_REQUESTED,
        label="Record that consent has been requested",
        fields=[
            Field("consent_requested_on", FieldType.DATE, "Date consent was requested"),
            Field("consent_requested_by", FieldType.STRING, "Requested by (role or agency)"),
        ],
    )
    def request_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "requested"})

    @step(
        event_field="consent_given_on",
        source=State.CONSENT_REQUESTED,
        target=State.SUPPORT_ACTIVE,
        label="Record the person's consent and start support",
        conditions=[subject_is_adult],
        guard_message=("The person is under 18, so consent must be given by a parent or guardian."),
        fields=[
            Field("consent_given_on", FieldType.DATE, "Date consent was given"),
            *SUPPORT_PLAN_FIELDS,
        ],
    )
    def record_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "given", "consent_given_by": "the_person"})

    @step(
        event_field="consent_given_on",
        source=State.CONSENT_REQUESTED,
        target=State.SUPPORT_ACTIVE,
        label="Record a parent's or guardian's consent and start support",
        conditions=[subject_is_child],
        guard_message="The person is 18 or over and gives consent for themselves.",
        fields=[
            Field("consent_given_on", FieldType.DATE, "Date consent was given"),
            Field("consent_given_by_name", FieldType.STRING, "Name of the parent or guardian"),
            Field(
                "consent_given_by_relationship",
                FieldType.CHOICE,
                "Their relationship to the person",
                choices=PARENTAL_RELATIONSHIPS,
            ),
            *SUPPORT_PLAN_FIELDS,
        ],
    )
    def record_parental_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "given", "consent_given_by": "parent_guardian"})

    @step(
        event_field="consent_refused_on",
        source=State.CONSENT_REQUESTED,
        target=State.CONSENT_REFUSED,
        label="Record that consent was refused",
        fields=[
            Field("consent_refused_on", FieldType.DATE, "Date consent was refused"),
            Field("consent_refused_by", FieldType.CHOICE, "Refused by", choices=CONSENT_PARTIES),
            REASSESS_ON,
        ],
    )
    def refuse_consent(self, *, actor: Any, data: dict) -> None:
        self.record({**data, "consent_status": "refused"})

    @step(
        event_field="reviewed_on",
        source=State.SUPPORT_ACTIVE,
        target=None,
        label="Record a review of the support plan",
        fields=[
            Field("reviewed_on", FieldType.DATE, "Date of the panel review"),
            Field("progress", FieldType.TEXT, "Progress against the plan"),
            Field("plan_changes", FieldType.TEXT, "Changes to the plan", required=False),
        ],
    )
    def review_support_plan(self, *, actor: Any, data: dict) -> None:
        """s36(4)(c)-(d): the panel keeps the plan under review and may revise it."""
        self.record({"support_plan_reviews": [*self.details.get("support_plan_reviews", []), data]})

    @step(
        event_field="consent_withdrawn_on",
        source=State.SUPPORT_ACTIVE,
        target=State.CONSENT_WITHDRAWN,
        label="Record that consent was withdrawn",
        fields=[
            Field("consent_withdrawn_on", FieldType.DATE, "Date consent was withdrawn"),
            Field(
                "consent_withdrawn_by", FieldType.CHOICE, "Withdrawn by", choices=CONSENT_PARTIES
            ),
            REASSESS_ON,
        ],
    )
    def withdraw_consent(self, *, actor: Any, data: dict) -> None:
        """s36(4): support continues only while consent does."""
        self.record({**data, "consent_status": "withdrawn"})

    @step(
        event_field="reassessment_started_on",
        source=[State.CONSENT_REFUSED, State.CONSENT_WITHDRAWN],
        target=State.CHANNEL_INFO_GATHERING,
        label="Reassess: gather information for the panel again",
        fields=[
            Field("reassessment_started_on", FieldType.DATE, "Date the reassessment started"),
            Field("reassessment_reason", FieldType.TEXT, "Why the person is reassessed"),
        ],
    )
    def reassess(self, *, actor: Any, data: dict) -> None:
        """s36(4)(e): reassess after refused or withdrawn consent."""
        self.record(data)

    @step(
        source=State.CONSENT_REFUSED,
        target=State.CLOSED,
        label="Close: consent refused",
        outcome="CONSENT_REFUSED",
        outcome_words="Consent to Channel support refused",
        fields=[
            Field("other_routes", FieldType.TEXT, "Other safeguarding routes used", required=False),
            CLOSING_NOTE,
        ],
    )
    def close_consent_refused(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.CONSENT_WITHDRAWN,
        target=State.CLOSED,
        label="Close: consent withdrawn",
        outcome="CONSENT_WITHDRAWN",
        outcome_words="Consent to Channel support withdrawn",
        fields=[
            Field("other_routes", FieldType.TEXT, "Other safeguarding routes used", required=False),
            CLOSING_NOTE,
        ],
    )
    def close_consent_withdrawn(self, *, actor: Any, data: dict) -> None:
        """RULES.md §4.2 lists withdrawn consent as a state but proposes no outcome code;
        CONSENT_WITHDRAWN keeps it apart from a refusal [U]."""
        self.record(data)

    @step(
        source=[State.CONSENT_REFUSED, State.CONSENT_WITHDRAWN],
        target=State.CLOSED,
        label="Close: returned to police-led management",
        outcome="POLICE_LED",
        outcome_words="Police-led partnership management",
        fields=[Field("rationale", FieldType.TEXT, "Why the case returns to the police")],
    )
    def close_returned_to_police(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="exited_on",
        source=State.SUPPORT_ACTIVE,
        target=State.EXITED,
        label="Record the person's exit from Channel",
        fields=[
            Field("exited_on", FieldType.DATE, "Date support ended"),
            Field("exit_reason", FieldType.CHOICE, "Why support ended", choices=EXIT_REASONS),
            Field("exit_note", FieldType.TEXT, "Panel's assessment at exit", required=False),
        ],
    )
    def exit_support(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_6m_on",
        source=State.EXITED,
        target=State.POST_EXIT_REVIEW_6M,
        label="Record the six-month post-exit review",
        fields=[
            Field("review_6m_on", FieldType.DATE, "Date of the review"),
            Field("review_6m_findings", FieldType.TEXT, "Findings"),
        ],
    )
    def record_6m_review(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        event_field="review_12m_on",
        source=State.POST_EXIT_REVIEW_6M,
        target=State.POST_EXIT_REVIEW_12M,
        label="Record the twelve-month post-exit review",
        fields=[
            Field("review_12m_on", FieldType.DATE, "Date of the review"),
            Field("review_12m_findings", FieldType.TEXT, "Findings"),
        ],
    )
    def record_12m_review(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=State.POST_EXIT_REVIEW_12M,
        target=State.CLOSED,
        label="Close: exited with no further concerns",
        outcome="EXIT_NO_FURTHER_CONCERNS",
        outcome_words="Exited Channel with no further concerns",
        fields=[CLOSING_NOTE],
    )
    def close_no_further_concerns(self, *, actor: Any, data: dict) -> None:
        self.record(data)

    @step(
        source=[State.EXITED, State.POST_EXIT_REVIEW_6M, State.POST_EXIT_REVIEW_12M],
        target=State.CLOSED,
        label="Close: concerns remain, returned to the police",
        outcome="EXIT_CONCERNS_REMAIN_RETURNED_TO_POLICE",
        outcome_words="Exited Channel with concerns remaining, returned to the police",
        fields=[Field("rationale", FieldType.TEXT, "The concerns that remain")],
    )
    def close_exit_concerns_remain(self, *, actor: Any, data: dict) -> None:
        self.record(data)
