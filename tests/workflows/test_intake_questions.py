"""Issue 19 point 4 and 7: intake's questions follow the answers, every error message is
written by hand and all come at once, dates are GOV.UK date inputs, either-or answers
are one question, and a user keeps several named drafts listed on the home page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.models import Case
from workflows.definitions import Field, FieldType
from workflows.forms import applicable, validate_fields
from workflows.intake import intake_fields
from workflows.models import IntakeDraft
from workflows.registry import WORKFLOWS
from workflows.services import case_raise

CT = "/concerns/new/community_trigger/"
CSE = "/concerns/new/cse/"
CUCKOOING = "/concerns/new/cuckooing/"


def text(response) -> str:
    return response.content.decode()


def summary_links(page: str) -> list[str]:
    """The error summary's messages, in order."""
    box = page.split('class="govuk-error-summary"', 1)
    if len(box) < 2:
        return []
    body = box[1].split("</ul>", 1)[0]
    found = re.findall(r"<li>(.*?)</li>", body, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", m).strip()) for m in found]


# Every message of every intake and step field is written by hand -----------------------


def _with_subs(fields: Any) -> list[Field]:
    found = []
    for spec in fields:
        found.append(spec)
        found += _with_subs(spec.fields)
    return found


def every_intake_field() -> list[tuple[str, Field]]:
    return [
        (case_type, spec)
        for case_type, workflow in sorted(WORKFLOWS.items())
        for spec in _with_subs(intake_fields(workflow))
    ]


def every_step_field() -> list[tuple[str, Field]]:
    found = []
    for case_type, workflow in sorted(WORKFLOWS.items()):
        for name in workflow.transition_names():
            for spec in _with_subs(workflow.transition_meta(name)["fields"]):
                found.append((f"{case_type}.{name}", spec))
    return found


def generated_from_label(spec: Field, message: str) -> bool:
    label = spec.label.strip().rstrip("?").strip()
    lowered = label[0].lower() + label[1:] if label else label
    made = {f"{verb} {form}" for verb in ("Enter", "Select") for form in (label, lowered)}
    return message.rstrip(".") in made or f"“{label}" in message or f"{label}?" in message


def is_a_sentence(message: str) -> bool:
    return (
        message[:1].isupper()
        and len(message.split()) >= 3
        and not re.search(r"\b[a-z]+_[a-z_]+\b", message)  # no snake_case names
        and "{" not in message
        and "%(" not in message
        and "§" not in message
        and "RULES.md" not in message
    )


DJANGO_DEFAULTS = (
    "This field is required.",
    "Enter a whole number.",
    "Enter a valid date.",
    "Select a valid choice",
    "Ensure this value",
)


def test_every_message_of_every_intake_and_step_field_is_written_by_hand():
    fields = every_intake_field() + every_step_field()
    assert len(fields) > 300  # every type's intake and every step's inputs
    problems = []
    for where, spec in fields:
        for kind, message in spec.messages().items():
            if generated_from_label(spec, message):
                problems.append(f"{where}.{spec.name} {kind}: made from the label: {message}")
            if not is_a_sentence(message):
                problems.append(f"{where}.{spec.name} {kind}: not a sentence: {message}")
            if message.startswith(DJANGO_DEFAULTS):
                problems.append(f"{where}.{spec.name} {kind}: Django's default: {message}")
    assert problems == []


def test_every_intake_question_says_in_its_own_words_what_is_missing():
    """An intake question's own messages are declared with it, not a type's default."""
    missing = [
        f"{case_type}.{spec.name}"
        for case_type, spec in every_intake_field()
        if "required" not in dict(spec.errors)
        or (
            spec.type in (FieldType.STRING, FieldType.TEXT)
            and "max_length" not in dict(spec.errors)
        )
        or (spec.type is FieldType.DATE and "date" not in dict(spec.errors))
    ]
    assert missing == []


@pytest.mark.django_db
def test_the_anti_social_behaviour_question_asks_in_plain_english(client, frontline):
    client.force_login(frontline)
    response = client.post(CT, {"applicant_given_names": "Pat"})
    draft = IntakeDraft.objects.get(author=frontline)
    page = text(client.post(f"{CT}?draft={draft.pk}&page=what", {}))
    assert "Enter what the anti-social behaviour is" in page
    assert "Enter describe the anti-social behaviour" not in page
    assert response.status_code == 200  # the applicant's family name and basis are missing
    assert summary_links(text(response)) == [
        "Enter the applicant's family name",
        "Select who the application is for",
    ]


# All errors in one round ---------------------------------------------------------------


@pytest.mark.django_db
def test_field_errors_and_cross_field_errors_come_together(client, frontline):
    client.force_login(frontline)
    # No name (the type's own check) and an age that is not a number (the field's).
    page = text(client.post(CSE, {"subject_estimated_age": "about ten"}))
    assert summary_links(page) == [
        "Enter the child's name, or a name they are known by",
        "Age must be a whole number of years, like 35",
    ]


def test_the_api_gets_every_error_in_one_round(frontline, db):
    with pytest.raises(ValidationError) as refused:
        case_raise(
            actor=frontline,
            case_type="cse",
            data={"summary": "x", "subject_estimated_age": "ten", "parental_consent": "given"},
        )
    errors = refused.value.message_dict
    assert errors["subject_given_names"] == ["Enter the child's name, or a name they are known by"]
    assert errors["subject_estimated_age"] == ["Age must be a whole number of years, like 35"]
    assert "what_has_happened" in errors
    assert "immediate_danger" not in errors  # through the API a yes/no left out is a no


# GOV.UK date inputs --------------------------------------------------------------------


DOB = Field(
    "subject_date_of_birth",
    FieldType.DATE,
    "The person: date of birth",
    not_future=True,
    errors=(("date", "Date of birth"), ("past", "Date of birth must be in the past")),
)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"day": "17", "month": "", "year": "1990"}, "Date of birth must include a month"),
        ({"day": "", "month": "5", "year": "1990"}, "Date of birth must include a day"),
        ({"day": "17", "month": "5", "year": ""}, "Date of birth must include a year"),
        ({"day": "31", "month": "2", "year": "1990"}, "Date of birth must be a real date"),
        ({"day": "1", "month": "May", "year": "1990"}, "Date of birth must be a real date"),
        (
            {"day": "1", "month": "5", "year": "90"},
            "Date of birth must include a year with 4 numbers",
        ),
        ({"day": "1", "month": "5", "year": "1800"}, "Date of birth must be between 1900 and 2100"),
    ],
)
def test_a_date_input_gets_govuks_messages(parts, message):
    with pytest.raises(ValidationError) as refused:
        validate_fields([DOB], {DOB.name: parts})
    assert refused.value.message_dict == {DOB.name: [message]}


def test_a_date_in_the_future_is_refused_and_dates_are_kept_as_iso(settings):
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    parts = {"day": str(tomorrow.day), "month": str(tomorrow.month), "year": str(tomorrow.year)}
    with pytest.raises(ValidationError) as refused:
        validate_fields([DOB], {DOB.name: parts})
    assert refused.value.message_dict == {DOB.name: ["Date of birth must be in the past"]}
    kept = validate_fields([DOB], {DOB.name: {"day": "7", "month": "03", "year": "1990"}})
    assert kept == {DOB.name: "1990-03-07"}
    assert validate_fields([DOB], {DOB.name: "1990-03-07"}) == kept  # the API's ISO dates


def test_a_date_and_time_is_a_date_input_and_a_time():
    seen = Field("seen_at", FieldType.DATETIME, "Last seen", errors=(("date", "Last seen"),))
    parts = {"day": "5", "month": "3", "year": "2026", "hour": "", "minute": ""}
    with pytest.raises(ValidationError) as refused:
        validate_fields([seen], {"seen_at": parts})
    assert refused.value.message_dict == {
        "seen_at": ["Last seen must include a time, like 14 and 30"]
    }
    kept = validate_fields([seen], {"seen_at": {**parts, "hour": "21", "minute": "30"}})
    assert kept["seen_at"].startswith("2026-03-05T21:30")


# Questions that follow the answers -----------------------------------------------------


APPLICANT = {
    "applicant_given_names": "Pat",
    "applicant_family_name": "Jones",
}


@pytest.mark.django_db
def test_applying_for_yourself_is_not_asked_about_consent_nor_stores_it(frontline, db):
    data = {
        **APPLICANT,
        "summary": "Noise every night",
        "application_basis": "affected_person",
        "victim_consent": False,  # sent anyway: not a question for this applicant
        "hate_incident": False,
        "asb_description": "Loud music until 3am",
        "incidents": [
            {
                "incident_date": "2026-01-05",
                "description": "Music",
                "reported_to": "Council",
                "reported_on": "2026-01-06",
            }
        ],
    }
    case = case_raise(actor=frontline, case_type="community_trigger", data=data)
    assert "victim_consent" not in case.details
    with pytest.raises(ValidationError) as refused:
        case_raise(
            actor=frontline,
            case_type="community_trigger",
            data={**data, "application_basis": "for_affected_person", "victim_consent": None},
        )
    assert refused.value.message_dict["subject_family_name"] == [
        "Enter the name of the person you are applying for"
    ]


@pytest.mark.django_db
def test_on_behalf_questions_are_revealed_by_the_on_behalf_answers(client, frontline):
    client.force_login(frontline)
    page = text(client.get(CT))
    block = re.search(r'<div[^>]*data-reveal-on="application_basis"[^>]*>', page)
    assert block is not None
    assert 'data-reveal-values="for_affected_person for_five_or_more"' in block[0]
    after = page[block.start() :]
    assert 'name="victim_consent"' in after
    assert 'name="subject_given_names"' in after
    # Applying for yourself: the consent question is not asked.
    response = client.post(CT, {**APPLICANT, "application_basis": "affected_person"})
    assert response.status_code == 302
    # On behalf of someone: it is required.
    draft = IntakeDraft.objects.get(author=frontline)
    page = text(
        client.post(
            f"{CT}?draft={draft.pk}", {**APPLICANT, "application_basis": "for_affected_person"}
        )
    )
    assert "Select yes if the people affected have consented" in summary_links(page)


@pytest.mark.django_db
def test_the_cse_reason_for_not_seeking_consent_is_required_only_then(client, frontline):
    client.force_login(frontline)
    client.post(CSE, {"subject_given_names": "Sam", "subject_estimated_age": "14"})
    draft = IntakeDraft.objects.get(author=frontline)
    url = f"{CSE}?draft={draft.pk}&page=family"
    page = text(client.get(url))
    assert "Why consent was not sought, and who decided (optional)" not in page
    refused = text(client.post(url, {"parental_consent": "not_sought_undue_delay"}))
    assert summary_links(refused) == ["Enter why consent was not sought and who decided"]
    given = client.post(url, {"parental_consent": "given", "consent_rationale": "Left over"})
    assert given.status_code == 302
    draft.refresh_from_db()
    asked = applicable(intake_fields(WORKFLOWS["cse"]), draft.data)
    assert "consent_rationale" not in {spec.name for spec in asked}  # so not stored


@pytest.mark.django_db
def test_police_told_yes_reveals_the_police_reference(client, frontline):
    client.force_login(frontline)
    client.post(CUCKOOING, {"premises_address": "1 High Street"})
    draft = IntakeDraft.objects.get(author=frontline)
    page = text(client.get(f"{CUCKOOING}?draft={draft.pk}&page=police"))
    yes = re.search(r'<input[^>]*id="police_informed"[^>]*>', page)[0]
    assert 'value="true"' in yes
    assert 'data-aria-controls="conditional-police_informed"' in yes
    reveal = page.split('id="conditional-police_informed"', 1)[1].split("</fieldset>", 1)[0]
    assert 'name="police_reference"' in reveal
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden"' in page


# Either-or answers ---------------------------------------------------------------------


@pytest.mark.django_db
def test_date_of_birth_or_age_is_published_in_the_api(client, frontline):
    client.force_login(frontline)
    body = client.get("/api/v1/workflows/modern_slavery/").json()
    assert body["required_one_of"] == [["subject_date_of_birth", "subject_estimated_age"]]
    assert client.get("/api/v1/workflows/cuckooing/").json()["required_one_of"] == []
    fields = {f["name"]: f for f in client.get("/api/v1/workflows/cse/").json()["intake_fields"]}
    assert fields["consent_rationale"]["required_when"] == {
        "field": "parental_consent",
        "values": ["not_sought_increase_risk", "not_sought_prejudice_investigation",
                   "not_sought_undue_delay"],
    }  # fmt: skip


def test_date_of_birth_or_age_is_enforced_with_one_message(frontline, db):
    with pytest.raises(ValidationError) as refused:
        case_raise(actor=frontline, case_type="prevent", data={"summary": "x"})
    assert refused.value.message_dict["subject_date_of_birth"] == [
        "Enter the person's date of birth or, if you do not know it, their approximate age"
    ]
    assert "subject_estimated_age" not in refused.value.message_dict


# Several drafts, named, on the home page -------------------------------------------------


@pytest.mark.django_db
def test_a_second_concern_of_a_type_starts_a_new_draft(client, frontline):
    client.force_login(frontline)
    client.post(CUCKOOING, {"premises_address": "1 High Street\nNorthtown"})
    assert 'value="1 High Street' not in text(client.get(CUCKOOING))  # a new, blank concern
    client.post(CUCKOOING, {"premises_address": "22 Mill Lane"})
    client.post(CSE, {"subject_given_names": "Sam", "subject_family_name": "Reed"})
    client.post(CSE, {"school": "Northtown Academy"})
    assert IntakeDraft.objects.filter(author=frontline).count() == 4

    home = text(client.get("/"))
    assert "Unfinished concerns" in home
    for name in ("1 High Street", "22 Mill Lane", "Sam Reed", "Child exploitation started"):
        assert name in home, name
    for draft in IntakeDraft.objects.filter(author=frontline):
        url = f"/concerns/new/{draft.case_type}/?draft={draft.pk}"
        assert f'href="{url}">Continue' in home
        assert f'href="/concerns/drafts/{draft.case_type}/delete/?draft={draft.pk}">Delete' in home
    first = IntakeDraft.objects.get(data__premises_address="1 High Street\nNorthtown")
    assert "1 High Street" in text(client.get(f"{CUCKOOING}?draft={first.pk}"))


@pytest.mark.django_db
def test_drafts_are_deleted_and_raised_one_at_a_time(client, frontline, lead):
    client.force_login(frontline)
    client.post(CUCKOOING, {"premises_address": "1 High Street"})
    client.post(CUCKOOING, {"premises_address": "22 Mill Lane"})
    first, second = IntakeDraft.objects.order_by("pk")
    delete = f"/concerns/drafts/cuckooing/delete/?draft={first.pk}"
    assert "1 High Street" in text(client.get(delete))
    client.post("/concerns/drafts/cuckooing/delete/", {"draft": first.pk})
    assert list(IntakeDraft.objects.all()) == [second]
    # Someone else's draft is not found.
    client.force_login(lead)
    assert client.get(f"{CUCKOOING}?draft={second.pk}").status_code == 404
    assert client.get(f"/concerns/drafts/cuckooing/delete/?draft={second.pk}").status_code == 404
    assert Case.objects.count() == 0
