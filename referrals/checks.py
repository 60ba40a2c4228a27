"""The rules a referral's content and lawful basis must meet before it leaves Safecase.

A draft is stored as the lead typed it, however incomplete, as long as what is there is
well-formed (a real date, a listed choice): ``content_clean``. Sending needs it complete
(``content_problems``) and a lawful basis: consent, or the gateway relied on and why
sharing without consent is necessary, with who authorised it (``lawful_basis_problems``;
RULES.md §3.5, §4.5, §7.5). An anonymous Duty to Notify may hold nothing that identifies
the person (MSA 2015 s52(3)): its schema has no such field, and ``identifying_problems``
refuses a value that repeats the person's name, date of birth, address, phone or email.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError

from casework.models import Case, Person
from referrals.models import Gateway
from referrals.types import Problems, ReferralTypeSpec
from workflows.definitions import Field, FieldType
from workflows.disclosure import (
    ART9_CONDITIONS,
    CONDITION_NEEDED,
    CRIMINAL_OFFENCE_FIELDS,
    OFFENCE_CONDITION_NEEDED,
    SPECIAL_CATEGORY_QUESTION,
    YES,
    YES_NO,
)
from workflows.forms import validate_fields
from workflows.intake import unanswered_questions

if TYPE_CHECKING:
    from referrals.models import Referral

LAWFUL_BASIS_FIELDS = (
    Field(
        "consent_given",
        FieldType.BOOLEAN,
        "Has consent to share this referral been given?",
        help_text=(
            "The person's consent or, for a child where it is appropriate, a parent's or carer's."
        ),
    ),
    Field(
        "gateway",
        FieldType.CHOICE,
        "Lawful gateway relied on",
        required=False,
        choices=Gateway.choices,
        help_text="Needed when sharing without consent.",
    ),
    Field(
        "lawful_basis_notes",
        FieldType.TEXT,
        "Why sharing is necessary and proportionate",
        required=False,
        help_text=(
            "Needed when sharing without consent: for example, seeking consent would "
            "increase the risk to a child or prejudice an investigation."
        ),
    ),
)
# The special-category condition, apart from the Art 6 basis above (issue 15).
SPECIAL_CATEGORY_FIELDS = (
    Field(
        "special_category_shared",
        FieldType.CHOICE,
        SPECIAL_CATEGORY_QUESTION,
        required=False,
        choices=YES_NO,
        help_text="Needed before the referral is sent.",
    ),
    Field(
        "special_category_condition",
        FieldType.CHOICE,
        "Condition for special-category data (UK GDPR Art 9, DPA 2018 Sch. 1)",
        required=False,
        choices=ART9_CONDITIONS,
        help_text="Needed when special-category data is shared.",
    ),
    *CRIMINAL_OFFENCE_FIELDS,
)
LAWFUL_BASIS_FIELDS = (*LAWFUL_BASIS_FIELDS, *SPECIAL_CATEGORY_FIELDS)
SPECIAL_CATEGORY_NAMES = tuple(f.name for f in SPECIAL_CATEGORY_FIELDS)
SAY_SPECIAL_CATEGORY = "Say whether this referral shares special-category data."
NO_LAWFUL_BASIS = (
    "Record the consent given or the lawful gateway relied on. A referral cannot be sent "
    "without it."
)
IDENTIFIES = (
    "This identifies the person ({what}). An anonymous Duty to Notify may hold nothing that "
    "identifies an adult who has not consented (the Modern Slavery Act 2015, section 52(3))."
)


def relaxed(fields: Sequence[Field]) -> list[Field]:
    """The same fields with none required: what a draft is checked against."""
    return [dataclasses.replace(f, required=False) for f in fields]


def _unanswered(fields: Sequence[Field], data: Mapping[str, Any]) -> Problems:
    """Yes/no questions with no answer (``validate_fields`` would read them as "no")."""
    booleans = [
        dataclasses.replace(f, required=True) for f in fields if f.type is FieldType.BOOLEAN
    ]
    return unanswered_questions(booleans, data)


def content_clean(spec: ReferralTypeSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """A draft's content, cleaned: well-formed values kept, blanks (and unanswered yes/no
    questions) dropped; ValidationError naming each malformed field."""
    values = {k: v for k, v in validate_fields(relaxed(spec.fields), data).items() if v != []}
    for name in _unanswered(spec.fields, data):
        values.pop(name, None)
    return values


def content_problems(spec: ReferralTypeSpec, case: Case, data: Mapping[str, Any]) -> Problems:
    """What stops the content being sent, by field: missing or invalid values, then the
    type's own cross-field rule."""
    required = [f for f in spec.fields if f.required]
    problems = unanswered_questions(required, data)
    try:
        values = validate_fields(spec.fields, data)
        if spec.check is not None:
            spec.check(case, values)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            problems.setdefault(name, []).extend(messages)
    return problems


def lawful_basis_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The lawful-basis inputs, cleaned (consent yes/no, gateway, notes)."""
    values = validate_fields(LAWFUL_BASIS_FIELDS, data)
    basis = {
        "consent_given": bool(values.get("consent_given")),
        "gateway": values.get("gateway", ""),
        "lawful_basis_notes": values.get("lawful_basis_notes", "").strip(),
        **{name: values.get(name, "") for name in SPECIAL_CATEGORY_NAMES},
    }
    # A condition for data not shared is not recorded.
    if basis["special_category_shared"] != YES:
        basis["special_category_condition"] = ""
    if basis["criminal_offence_data_shared"] != YES:
        basis["criminal_offence_condition"] = ""
    return basis


def lawful_basis_problems(spec: ReferralTypeSpec, referral: Referral) -> Problems:
    """What is missing from the recorded lawful basis (RULES.md §3.5, §4.5, §7.5)."""
    problems: Problems = {}
    if not referral.consent_given and not referral.gateway:
        problems["gateway"] = [NO_LAWFUL_BASIS]
    if referral.gateway == Gateway.CONSENT and not referral.consent_given:
        problems.setdefault("consent_given", []).append(
            "The gateway is consent, but no consent is recorded."
        )
    if not referral.consent_given and not referral.lawful_basis_notes.strip():
        problems["lawful_basis_notes"] = [
            "Say why sharing without consent is necessary and proportionate."
        ]
    if not referral.special_category_shared:
        problems["special_category_shared"] = [SAY_SPECIAL_CATEGORY]
    elif referral.special_category_shared == YES and not referral.special_category_condition:
        problems["special_category_condition"] = [CONDITION_NEEDED]
    offence_data = referral.criminal_offence_data_shared == YES
    if offence_data and not referral.criminal_offence_condition:
        problems["criminal_offence_condition"] = [OFFENCE_CONDITION_NEEDED]
    if referral.authorised_by_id is None:
        problems["authorised_by"] = ["A safeguarding lead must authorise the disclosure."]
    if spec.lawful_basis_rule is not None:
        for name, messages in spec.lawful_basis_rule(referral.case, referral).items():
            problems.setdefault(name, []).extend(messages)
    return problems


# --- Anonymity -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Identifier:
    what: str
    pattern: re.Pattern[str]
    digits: bool = False


def _word(text: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)


def _person_identifiers(person: Person) -> Iterable[Identifier]:
    names = f"{person.given_names} {person.family_name} {person.aliases}"
    for token in re.split(r"[\s,;/]+", names):
        if len(token) >= 3:
            yield Identifier("their name", _word(token))
    if person.date_of_birth:
        born = person.date_of_birth
        for text in (born.isoformat(), f"{born:%d/%m/%Y}", f"{born.day} {born:%B %Y}"):
            yield Identifier("their date of birth", _word(text))
    area = {name.casefold() for name in settings.SAFECASE_AREA_PLACE_NAMES}
    for line in re.split(r"[\n,]+", person.address):
        # A place in the council's own area (its town, its district) is where every
        # person it notifies about lives, and is in its own name: it identifies no one.
        if len(line.strip()) >= 5 and line.strip().casefold() not in area:
            yield Identifier("their address", _word(line.strip()))
    digits = re.sub(r"\D", "", person.phone)
    if len(digits) >= 6:
        yield Identifier("their phone number", re.compile(re.escape(digits)), digits=True)
    if person.email:
        yield Identifier("their email address", _word(person.email))


def case_identifiers(case: Case) -> list[Identifier]:
    """What would identify the people linked to ``case``, to search for."""
    people = Person.objects.filter(case_links__case=case).distinct()
    return [found for person in people for found in _person_identifiers(person)]


def _texts(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def identifying_problems(identifiers: Sequence[Identifier], values: Mapping[str, Any]) -> Problems:
    """The fields whose values repeat something that identifies the person."""
    problems: Problems = {}
    for name, value in values.items():
        for text in _texts(value):
            for found in identifiers:
                haystack = re.sub(r"\D", "", text) if found.digits else text
                if found.pattern.search(haystack):
                    problems.setdefault(name, []).append(IDENTIFIES.format(what=found.what))
                    break
            if name in problems:
                break
    return problems
