"""Prevent (RULES.md §4): states and vocabularies (choices)."""

from __future__ import annotations

from django.db import models

from workflows.definitions import (
    Field,
    FieldType,
)


class State(models.TextChoices):
    CONCERN_RAISED = "concern_raised", "Concern raised"
    REFERRAL_SUBMITTED = "referral_submitted", "Prevent referral submitted to the police"
    GATEWAY_ASSESSMENT = "gateway_assessment", "Police gateway assessment"
    CHANNEL_INFO_GATHERING = "channel_info_gathering", "Channel information gathering"
    CHANNEL_PANEL = "channel_panel", "Awaiting Channel panel discussion"
    ADOPTED = "adopted", "Adopted by the Channel panel"
    CONSENT_REQUESTED = "consent_requested", "Consent to support requested"
    CONSENT_REFUSED = "consent_refused", "Consent refused"
    SUPPORT_ACTIVE = "support_active", "Channel support in progress"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
    EXITED = "exited", "Exited Channel"
    POST_EXIT_REVIEW_6M = "post_exit_review_6m", "Six-month post-exit review held"
    POST_EXIT_REVIEW_12M = "post_exit_review_12m", "Twelve-month post-exit review held"
    CLOSED = "closed", "Closed"


AWARENESS = (
    ("yes", "Yes"),
    ("no", "No"),
    ("not_known", "Not known"),
)


CONSENT_PARTIES = (
    ("the_person", "The person"),
    ("parent_guardian", "Their parent or guardian"),
)


PARENTAL_RELATIONSHIPS = (
    ("parent", "Parent"),
    ("guardian", "Guardian"),
    ("other_parental_responsibility", "Other person with parental responsibility"),
)


ONWARD_REFERRALS = (
    ("health", "Health services"),
    ("adult_social_care", "Adult social care"),
    ("childrens_social_care", "Children's social care"),
    ("other", "Other provider"),
    ("none", "Considered; no onward referral"),
)


CHANNEL_REFERRERS = (
    ("police", "The police"),
    ("local_authority", "The local authority"),
)


EXIT_REASONS = (
    ("risk_reduced", "Support no longer needed: risk reduced"),
    ("support_withdrawn", "The panel withdrew support"),
)


ADULT_AGE = 18


GATEWAY_DATE = Field("gateway_outcome_on", FieldType.DATE, "Date of the gateway outcome")


GATEWAY_SOURCES = [State.REFERRAL_SUBMITTED, State.GATEWAY_ASSESSMENT]


REASSESS_ON = Field(
    "reassess_on",
    FieldType.DATE,
    "Date the panel intends to reassess",
    required=False,
)


CLOSING_NOTE = Field("closing_note", FieldType.TEXT, "Closing note", required=False)
