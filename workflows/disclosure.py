"""The lawful basis of a step that discloses personal data to another body (issue 15).

A referral records its lawful basis (``referrals.models.Referral``); a case step that
shares the person's details (Prevent ``submit_referral`` to the police, child
exploitation ``refer_to_mash``, cuckooing ``submit_concern`` to adult social care,
Community Trigger ``request_information`` to the relevant bodies) records the same:
the UK GDPR Article 6 basis, the special-category condition kept separate from it
(UK GDPR Art 9 / DPA 2018 Sch. 1), why sharing is necessary and proportionate, what
was shared, with whom, and who authorised it (the lead taking the step) and when.
RULES.md §1.6, §2.7, §3.5, §4.5, §5.7, §7.5.

Each disclosure is appended to the case's ``details["disclosures"]`` and is in the
step's audit event; none replaces an earlier one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from workflows.definitions import Field, FieldType

# UK GDPR Article 6(1): the basis for processing (sharing) at all.
ART6_BASES = (
    ("uk_gdpr_6_1_a", "Art 6(1)(a): consent"),
    (
        "uk_gdpr_6_1_c",
        "Art 6(1)(c): legal obligation (e.g. the Modern Slavery Act 2015, section 52, the "
        "Counter-Terrorism and Security Act 2015, sections 36 and 38, "
        "Anti-social Behaviour, Crime and Policing Act 2014, section 104(3)(b))",
    ),
    ("uk_gdpr_6_1_d", "Art 6(1)(d): vital interests"),
    ("uk_gdpr_6_1_e", "Art 6(1)(e): public task"),
)
# UK GDPR Article 9(2) with DPA 2018 Sch. 1: the extra condition for special-category
# data (health, religion, ethnicity, sex life...), a separate question from Art 6.
# "none" is kept last for clients of the first version of these steps, which gave it
# instead of answering ``special_category_shared``.
ART9_CONDITIONS = (
    (
        "dpa_2018_sch1_para18",
        "DPA 2018 Sch. 1 para 18: safeguarding of children and adults at risk",
    ),
    ("dpa_2018_sch1_para10", "DPA 2018 Sch. 1 para 10: preventing or detecting unlawful acts"),
    ("dpa_2018_sch1_para6", "DPA 2018 Sch. 1 para 6: statutory purposes"),
    ("uk_gdpr_9_2_a", "Art 9(2)(a): explicit consent"),
    ("uk_gdpr_9_2_c", "Art 9(2)(c): vital interests (the person cannot consent)"),
)
NO_SPECIAL_CATEGORY = "none"
SPECIAL_CATEGORY_CONDITIONS = (
    *ART9_CONDITIONS,
    (NO_SPECIAL_CATEGORY, "No special-category data is shared"),
)
# UK GDPR Article 10 with DPA 2018 s10(5): criminal offence data (allegations, offences,
# convictions) needs a Sch. 1 condition too, whether or not it is special-category.
ART10_CONDITIONS = (
    ("dpa_2018_sch1_para10", "DPA 2018 Sch. 1 para 10: preventing or detecting unlawful acts"),
    (
        "dpa_2018_sch1_para18",
        "DPA 2018 Sch. 1 para 18: safeguarding of children and adults at risk",
    ),
    ("dpa_2018_sch1_para6", "DPA 2018 Sch. 1 para 6: statutory purposes"),
    ("dpa_2018_sch1_para29", "DPA 2018 Sch. 1 para 29: consent"),
)
SPECIAL_CATEGORY_QUESTION = (
    "Does this share special-category data (health, ethnicity, religion, sex life or "
    "sexual orientation, and the like; UK GDPR Art 9)?"
)
CRIMINAL_OFFENCE_QUESTION = (
    "Does this share criminal offence data (allegations, offences or convictions; UK GDPR Art 10)?"
)
CONDITION_NEEDED = "Choose the condition relied on for the special-category data."
NO_CONDITION_IF_NOT_SHARED = "No special-category data is shared: choose no condition."
OFFENCE_CONDITION_NEEDED = "Choose the condition relied on for the criminal offence data."
YES, NO = "yes", "no"
YES_NO = ((YES, "Yes"), (NO, "No"))
# The statute that imposes the duty, where the basis is a legal obligation.
LEGAL_OBLIGATIONS = (
    ("msa_2015_s52", "Modern Slavery Act 2015, section 52 (Duty to Notify)"),
    ("ctsa_2015_s36_s38", "Counter-Terrorism and Security Act 2015, sections 36 and 38 (Channel)"),
    (
        "asbcpa_2014_s104",
        "Anti-social Behaviour, Crime and Policing Act 2014, section 104(3)(b) (Community Trigger)",
    ),
    ("care_act_2014_s42", "Care Act 2014, section 42 (safeguarding enquiry)"),
    ("children_act_1989_s47", "Children Act 1989, section 47 (child protection enquiry)"),
)

LEGAL_OBLIGATION = "uk_gdpr_6_1_c"
FIELD_NAMES = (
    "art6_basis",
    "legal_obligation",
    "special_category_shared",
    "special_category_condition",
    "criminal_offence_data_shared",
    "criminal_offence_condition",
    "sharing_reason",
    "shared_what",
    "shared_with",
)


# Criminal offence data (UK GDPR Art 10), asked alike by disclosing steps and referrals.
CRIMINAL_OFFENCE_FIELDS = (
    Field(
        "criminal_offence_data_shared",
        FieldType.CHOICE,
        CRIMINAL_OFFENCE_QUESTION,
        required=False,
        choices=YES_NO,
    ),
    Field(
        "criminal_offence_condition",
        FieldType.CHOICE,
        "Condition for criminal offence data (UK GDPR Art 10, DPA 2018 Sch. 1)",
        required=False,
        choices=ART10_CONDITIONS,
        help_text="Needed when criminal offence data is shared.",
    ),
)


def disclosure_fields(*, shared_with: str) -> list[Field]:
    """The lawful-basis inputs of a step that discloses to ``shared_with`` (a label)."""
    return [
        Field("art6_basis", FieldType.CHOICE, "Lawful basis (UK GDPR Art 6)", choices=ART6_BASES),
        Field(
            "legal_obligation",
            FieldType.CHOICE,
            "The legal obligation relied on",
            required=False,
            choices=LEGAL_OBLIGATIONS,
            help_text="Needed when the basis is a legal obligation.",
        ),
        # Yes or no as a choice: a required answer, never an unticked box read as "no".
        Field(
            "special_category_shared", FieldType.CHOICE, SPECIAL_CATEGORY_QUESTION, choices=YES_NO
        ),  # fmt: skip
        Field(
            "special_category_condition",
            FieldType.CHOICE,
            "Condition for special-category data (UK GDPR Art 9, DPA 2018 Sch. 1)",
            required=False,
            choices=SPECIAL_CATEGORY_CONDITIONS,
            help_text="Needed when special-category data is shared.",
        ),
        *CRIMINAL_OFFENCE_FIELDS,
        Field("sharing_reason", FieldType.TEXT, "Why sharing is necessary and proportionate"),
        Field("shared_what", FieldType.TEXT, "What was shared"),
        Field("shared_with", FieldType.STRING, f"Shared with ({shared_with})"),
    ]


def disclosure_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """Cross-field rules: a legal obligation names its statute; special-category data
    shared names its Art 9 condition (and none when none is shared); criminal offence
    data shared names its Art 10 condition."""
    problems: dict[str, list[str]] = {}
    if data.get("art6_basis") == LEGAL_OBLIGATION and not data.get("legal_obligation"):
        problems["legal_obligation"] = ["Choose the legal obligation relied on."]
    condition = data.get("special_category_condition") or ""
    if data.get("special_category_shared") == YES:
        if condition in ("", NO_SPECIAL_CATEGORY):
            problems["special_category_condition"] = [CONDITION_NEEDED]
    elif condition not in ("", NO_SPECIAL_CATEGORY):
        problems["special_category_condition"] = [NO_CONDITION_IF_NOT_SHARED]
    offence_data = data.get("criminal_offence_data_shared") == YES
    if offence_data and not data.get("criminal_offence_condition"):
        problems["criminal_offence_condition"] = [OFFENCE_CONDITION_NEEDED]
    return problems


def disclosure_record(step: str, data: dict[str, Any], actor: Any) -> dict[str, Any]:
    """One disclosure as kept in the case's details."""
    return {
        "step": step,
        **{name: data.get(name, "") for name in FIELD_NAMES},
        "authorised_by": actor.get_username(),
        "authorised_at": timezone.now().isoformat(),
    }


class DisclosingCaseMixin:
    """For a case proxy model whose steps disclose: ``record_disclosure`` keeps the
    step's inputs except the lawful basis, and appends the disclosure record."""

    def record_disclosure(self, step: str, data: dict[str, Any], actor: Any) -> None:
        problems = disclosure_problems(data)
        if problems:
            raise ValidationError(problems)
        own = {k: v for k, v in data.items() if k not in FIELD_NAMES}
        disclosures = [*self.details.get("disclosures", []), disclosure_record(step, data, actor)]
        self.details = {**self.details, **own, "disclosures": disclosures}
