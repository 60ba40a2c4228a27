"""The "Raise a concern" pages: type chooser, intake form, check your answers, confirmation."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape

from casework.models import AuditEvent, Case, Person
from casework.permissions import named_case_types
from casework.roles import Role
from tests.workflows.walker import sample_values
from workflows.definitions import Field, FieldType
from workflows.forms import applicable, validate_fields
from workflows.intake import anchor_of, intake_fields, page_fields, pages_of
from workflows.models import Deadline, IntakeDraft
from workflows.registry import WORKFLOWS
from workflows.services import case_raise

CHOOSER = "/concerns/new/"
# Values a type's cross-field intake check needs beyond the walker's samples.
INTAKE_OVERRIDES: dict[str, dict[str, Any]] = {
    "cuckooing": {"premises_postcode": "NT1 4AB"},
    # A review is of the death of a person aged 16 or over (DVCVA 2004 s9).
    "dhr": {"subject_date_of_birth": "1980-01-01"},
}
ADULT = {
    "summary": "Seen sleeping at the car wash; says she is not paid.",
    "subject_given_names": "Maria",
    "subject_family_name": "Kowalska",
    "subject_date_of_birth": "1990-05-17",
    "subject_estimated_age": None,
    "nationality": "Polish",
    "exploitation_types": ["labour", "domestic_servitude"],
    "exploitation_location": "Car wash, Mill Lane",
    "exploitation_period": "Since spring 2026",
    "indicators": "No documents; a man collects her wages.",
    "consent_status": "not_asked",
    "immediate_risk": True,
}


def form_url(case_type: str) -> str:
    return f"/concerns/new/{case_type}/"


def check_url(case_type: str) -> str:
    return f"/concerns/new/{case_type}/check/"


def raise_pages(client, case_type: str, data: dict[str, Any]):
    """Post ``data`` to each of the intake's pages in turn, as a person answering them
    would (each page reads only its own questions); the response of the last POST: a
    redirect to "Check your answers", or the page that has errors."""
    url = form_url(case_type)
    for _ in range(10):
        response = client.post(url, data)
        if response.status_code != 302 or "/check/" in response.url:
            return response
        url = response.url
    raise AssertionError("the pages never reached Check your answers")


def draft_check_url(case_type: str, user: Any) -> str:
    """The "Check your answers" page of the user's last saved draft of the type."""
    draft = IntakeDraft.objects.filter(author=user, case_type=case_type).latest("updated_at")
    return f"{check_url(case_type)}?draft={draft.pk}"


def posted(spec: Field, value: Any) -> Any:
    """A value as a browser would post it from the GOV.UK form."""
    if spec.type is FieldType.BOOLEAN:
        return "true" if value else "false"
    if spec.type is FieldType.DATETIME:
        return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def form_data(fields: list[Field], values: dict[str, Any]) -> dict[str, Any]:
    """POST data for the intake form; records become ``<field>-<i>-<sub>`` inputs."""
    data: dict[str, Any] = {}
    for spec in fields:
        value = values.get(spec.name)
        if value is None:
            continue
        if spec.type is FieldType.RECORDS:
            for i, record in enumerate(value, start=1):
                for sub in spec.fields:
                    if record.get(sub.name) is not None:
                        data[f"{spec.name}-{i}-{sub.name}"] = posted(sub, record[sub.name])
        else:
            data[spec.name] = posted(spec, value)
    return data


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
        Deadline.objects.count(),
    )


def text(response) -> str:
    return response.content.decode()


def ms_data(**changes: Any) -> dict[str, Any]:
    values = {**ADULT, **changes}
    return form_data(intake_fields(WORKFLOWS["modern_slavery"]), values)


# The journey -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("case_type", sorted(WORKFLOWS))
def test_frontline_raises_a_concern_of_every_type_through_the_pages(
    client, frontline, lead, case_type
):
    # A named compartment's case (a Domestic Homicide Review) is recorded by a lead.
    raiser = lead if case_type in named_case_types() else frontline
    workflow = WORKFLOWS[case_type]
    fields = intake_fields(workflow)
    values = sample_values(
        fields, {"summary": "Raised from the pages.", **INTAKE_OVERRIDES.get(case_type, {})}
    )
    try:  # the framework's own rules, not the pages': a type whose check needs more values
        cleaned = validate_fields(fields, values)
        if workflow.intake_check is not None:
            workflow.intake_check(cleaned)
    except ValidationError as exc:
        pytest.skip(f"add {case_type} values to INTAKE_OVERRIDES: {exc.messages}")
    client.force_login(raiser)

    chooser = client.get(CHOOSER)
    assert chooser.status_code == 200
    assert f'value="{case_type}"' in text(chooser)
    # (a general concern is offered as "Not sure which: raise a general concern")
    assert workflow.label.lower() in text(chooser).lower()
    assert client.post(CHOOSER, {"case_type": case_type}).url == form_url(case_type)

    # Each short page asks its own questions; together they ask every one.
    data = form_data(fields, values)
    url, asked = form_url(case_type), set()
    for number, page in enumerate(pages_of(workflow), start=1):
        form = client.get(url)
        assert form.status_code == 200
        for spec in page_fields(workflow, page.slug):
            assert f'id="{anchor_of(spec)}"' in text(form), spec.name
            asked.add(spec.name)
        response = client.post(url, data)
        assert response.status_code == 302, (page.slug, text(response)[:3000])
        draft = IntakeDraft.objects.get(author=raiser, case_type=case_type)
        if number < len(pages_of(workflow)):
            url = response.url
            assert (
                url
                == f"{form_url(case_type)}?draft={draft.pk}&page={pages_of(workflow)[number].slug}"
            )
    assert asked == {spec.name for spec in fields}
    assert response.url == f"{check_url(case_type)}?draft={draft.pk}"

    check = client.get(response.url)
    assert "Check your answers" in text(check)
    assert "Submit concern" in text(check)
    for spec in applicable(fields, data):
        assert escape(spec.label) in text(check), spec.name
    assert counts()[0] == 0

    response = client.post(check_url(case_type), {"draft": draft.pk})
    case = Case.objects.get()
    assert response.url == f"/concerns/raised/{case.reference}/"
    assert (case.case_type, case.raised_by, case.summary) == (
        case_type, raiser, "Raised from the pages."
    )  # fmt: skip
    assert case.state == workflow.initial_state
    # (A named compartment's raiser is also named to the case: access.granted.)
    events = AuditEvent.objects.filter(case=case).exclude(verb="access.granted")
    assert events.get().verb == "case.raised"
    assert not IntakeDraft.objects.filter(case_type=case_type).exists()  # deleted on raise

    done = client.get(response.url)
    assert done.status_code == 200
    assert "Concern raised" in text(done)
    assert case.reference in text(done)
    assert "govuk-panel--confirmation" in text(done)


@pytest.mark.django_db
def test_modern_slavery_answers_are_checked_in_words_and_raised_with_the_subject(client, frontline):
    client.force_login(frontline)
    assert raise_pages(client, "modern_slavery", ms_data()).status_code == 302
    draft = IntakeDraft.objects.get(author=frontline)

    check = text(client.get(draft_check_url("modern_slavery", frontline)))
    for words in ("Maria", "17 May 1990", "Labour exploitation", "Domestic servitude",
                  "Not yet asked", "Yes", "Not given"):  # fmt: skip
        assert words in check, words
    assert "labour" not in re.sub(r"<[^>]+>", "", check)  # codes are shown as labels
    # "Change" goes to the page that asks the question, and back here after it.
    change_dob = (
        f"/concerns/new/modern_slavery/?draft={draft.pk}&amp;from_check=1#subject_date_of_birth-day"
    )
    assert f'href="{change_dob}"' in check
    change_types = (
        f"/concerns/new/modern_slavery/?draft={draft.pk}&amp;page=what&amp;from_check=1"
        "#exploitation_types"
    )
    assert f'href="{change_types}"' in check

    change = text(client.get(change_dob.replace("&amp;", "&")))  # "Change" re-fills the form
    assert 'value="Maria"' in change
    assert 'name="subject_date_of_birth-day" type="text" inputmode="numeric" value="17"' in change
    assert 'name="subject_date_of_birth-month" type="text" inputmode="numeric" value="5"' in change
    assert (
        'name="subject_date_of_birth-year" type="text" inputmode="numeric" value="1990"' in change
    )
    assert 'name="from_check" value="1"' in change
    back = client.post(
        change_dob.replace("&amp;", "&"), {**ms_data(), "subject_given_names": "Marta"}
    )
    assert back.url == draft_check_url("modern_slavery", frontline)
    changed = text(client.get(change_types.replace("&amp;", "&")))
    assert re.search(r'value="labour" checked', changed)

    done = client.post(check_url("modern_slavery"), {"draft": draft.pk})
    case = Case.objects.get(reference=done.url.split("/")[-2])
    subject = case.case_people.get(role="subject").person
    assert (subject.given_names, subject.family_name) == ("Marta", "Kowalska")
    assert case.details["exploitation_types"] == ["labour", "domestic_servitude"]
    assert case.details["immediate_risk"] is True
    assert case.team.slug == "north"


@pytest.mark.django_db
def test_form_marks_optional_questions_and_draws_each_type_of_input(client, frontline):
    client.force_login(frontline)
    page = text(client.get(form_url("modern_slavery")))
    assert "page 1 of 3" in page
    assert "The person: given names (optional)" in page
    # A date of birth or an age: asked as one question, neither marked optional.
    assert "The person&#x27;s date of birth or age" in page
    assert "Give a date of birth or, if you do not know it, an approximate age." in page
    assert "date of birth (optional)" not in page
    assert "age, or best estimate (optional)" not in page
    # GOV.UK date input: day, month and year boxes, never a browser date picker.
    assert 'type="date"' not in page
    for part in ("day", "month", "year"):
        name = f"subject_date_of_birth-{part}"
        assert f'id="{name}" name="{name}" type="text" inputmode="numeric"' in page
    assert 'class="govuk-date-input" id="subject_date_of_birth"' in page
    response = client.post(form_url("modern_slavery"), ms_data())
    draft = IntakeDraft.objects.get(author=frontline)
    page = text(client.get(response.url))
    assert "page 2 of 3" in page
    assert "Summary of the concern (optional)" not in page
    assert '<textarea class="govuk-textarea" id="summary" name="summary"' in page
    assert 'class="govuk-checkboxes__input" id="exploitation_types"' in page
    assert (
        f'<a href="/concerns/new/modern_slavery/?draft={draft.pk}" class="govuk-back-link">' in page
    )
    page = text(client.get(f"{form_url('modern_slavery')}?draft={draft.pk}&page=risk"))
    assert 'id="consent_status" name="consent_status" type="radio"' in page
    assert 'id="immediate_risk" name="immediate_risk" type="radio" value="true"' in page
    assert 'id="immediate_risk-2" name="immediate_risk" type="radio" value="false"' in page
    assert 'name="team"' not in page  # one team: nothing to choose


# Errors ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_missing_required_answer_shows_the_error_summary_and_keeps_the_values(client, frontline):
    client.force_login(frontline)
    before = counts()
    response = raise_pages(client, "modern_slavery", ms_data(summary=""))
    page = text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "There is a problem" in page
    assert '<a href="#summary">Enter a summary of the concern</a>' in page
    assert re.search(r'id="summary-error" class="govuk-error-message">.*Enter a summary', page)
    assert "<title>Error: " in page
    assert 'value="labour" checked' in page
    assert counts() == before

    draft = IntakeDraft.objects.get(author=frontline)
    reloaded = text(client.get(f"{form_url('modern_slavery')}?draft={draft.pk}"))
    assert 'value="Maria"' in reloaded  # the draft survives a reload
    shown = client.get(f"{check_url('modern_slavery')}?draft={draft.pk}")
    assert shown.status_code == 200  # the page with the errors
    assert '<a href="#summary">Enter a summary of the concern</a>' in text(shown)
    assert counts() == before


@pytest.mark.django_db
def test_unanswered_yes_no_question_is_an_error_not_a_no(client, frontline):
    client.force_login(frontline)
    data = ms_data()
    del data["immediate_risk"]
    page = text(raise_pages(client, "modern_slavery", data))
    assert '<a href="#immediate_risk">Select yes if anyone is at immediate risk</a>' in page
    assert counts()[0] == 0


@pytest.mark.django_db
def test_the_types_own_check_is_reported_against_its_field(client, frontline):
    client.force_login(frontline)
    page = text(client.post(form_url("modern_slavery"), ms_data(subject_date_of_birth="")))
    assert (
        '<a href="#subject_date_of_birth-day">Enter the person&#x27;s date of birth or, if you '
        "do not know it, their approximate age</a>"
    ) in page
    assert counts()[0] == 0


@pytest.mark.django_db
def test_forged_check_post_with_an_invalid_draft_writes_nothing(client, frontline):
    client.force_login(frontline)
    before = counts()
    response = client.post(check_url("modern_slavery"))  # no draft at all
    assert (response.status_code, response.url) == (302, form_url("modern_slavery"))

    draft = IntakeDraft.objects.create(
        author=frontline,
        case_type="modern_slavery",
        data={**ADULT, "summary": "", "consent_status": "bogus"},
    )
    # Fields posted to the check page are ignored: only the saved draft is raised. It is
    # refused, and the first page with an error is shown with its errors.
    response = client.post(check_url("modern_slavery"), {**ms_data(), "draft": draft.pk})
    assert response.status_code == 200
    assert '<a href="#summary">Enter a summary of the concern</a>' in text(response)
    assert counts() == before
    risk = client.get(f"{form_url('modern_slavery')}?draft={draft.pk}&page=risk")
    assert "bogus" not in text(risk)
    refused = client.post(
        f"{form_url('modern_slavery')}?draft={draft.pk}&page=risk",
        {"consent_status": "bogus", "immediate_risk": "true"},
    )
    assert '<a href="#consent_status">Select the consent status from the list</a>' in text(refused)
    assert counts() == before


@pytest.mark.django_db
def test_user_in_several_teams_chooses_the_team(client, prevent_lead):
    client.force_login(prevent_lead)
    page = text(raise_pages(client, "modern_slavery", ms_data()))  # the team: on the last page
    assert '<a href="#team">Choose which of your teams this concern is for.</a>' in page
    assert 'id="team" name="team" type="radio"' in page

    assert raise_pages(client, "modern_slavery", {**ms_data(), "team": "south"}).status_code == 302
    draft = IntakeDraft.objects.filter(author=prevent_lead).latest("updated_at")
    check = text(client.get(draft_check_url("modern_slavery", prevent_lead)))
    assert "South locality team" in check
    assert (
        f'href="/concerns/new/modern_slavery/?draft={draft.pk}&amp;page=risk&amp;from_check=1#team"'
        in check
    )
    client.post(check_url("modern_slavery"), {"draft": draft.pk})
    assert Case.objects.get().team.slug == "south"


@pytest.mark.django_db
def test_chooser_requires_a_known_type(client, frontline):
    client.force_login(frontline)
    response = client.post(CHOOSER, {"case_type": "burglary"})
    assert response.status_code == 200
    assert '<a href="#case_type">Select the type of concern</a>' in text(response)


# Records, selects and the other inputs, on a type that has them -----------------------------

AREAS = [(f"area_{n}", f"Area {n}") for n in range(1, 10)]  # 9 choices: a select
RECORDS_FIELDS = [
    Field(
        "incidents",
        FieldType.RECORDS,
        "Incidents",
        fields=[
            Field("happened_on", FieldType.DATE, "Date"),
            Field("what", FieldType.STRING, "What happened"),
            Field("reported", FieldType.BOOLEAN, "Reported to the police?", required=False),
        ],
    ),
    Field("area", FieldType.CHOICE, "Area", choices=AREAS),
    Field("seen_at", FieldType.DATETIME, "Last seen", required=False),
    Field("people", FieldType.INTEGER, "How many people", min_value=1),
]


@pytest.fixture
def records_type(monkeypatch):
    base = WORKFLOWS["modern_slavery"]
    workflow = dataclasses.replace(
        base, case_type="records_demo", label="Records demo", intake_fields=RECORDS_FIELDS,
        intake_check=None, pages=(), required_one_of=(),
    )  # fmt: skip
    monkeypatch.setitem(WORKFLOWS, "records_demo", workflow)
    return workflow


@pytest.mark.django_db
def test_records_are_offered_as_rows_and_blank_rows_are_ignored(client, frontline, records_type):
    client.force_login(frontline)
    page = text(client.get(form_url("records_demo")))
    # One blank record to fill and "Add another" for the next, not six fixed groups.
    assert 'name="incidents-1-what"' in page
    assert 'name="incidents-2-what"' not in page
    assert 'name="action" value="add:incidents">Add another record</button>' in page
    assert 'id="incidents-1-reported" name="incidents-1-reported" type="radio"' in page
    assert '<select class="govuk-select" id="area" name="area"' in page
    assert 'type="datetime-local"' not in page  # a date input and a time: day to minute
    for part in ("day", "month", "year", "hour", "minute"):
        assert f'name="seen_at-{part}"' in page

    data = {
        "summary": "Several incidents.",
        "incidents-1-happened_on-day": "1", "incidents-1-happened_on-month": "3",
        "incidents-1-happened_on-year": "2026", "incidents-1-what": "Door kicked in",
        "incidents-1-reported": "true",
        "incidents-2-happened_on-day": "", "incidents-2-what": "",
        "incidents-3-happened_on": "2026-03-04", "incidents-3-what": "Visitors all night",
        "area": "area_9", "seen_at-day": "5", "seen_at-month": "3", "seen_at-year": "2026",
        "seen_at-hour": "21", "seen_at-minute": "30", "people": "3",
    }  # fmt: skip
    response = client.post(form_url("records_demo"), data)
    assert response.status_code == 302
    saved = IntakeDraft.objects.get(author=frontline, case_type="records_demo")
    draft = saved.data
    assert draft["incidents"] == [
        {
            "happened_on": {"day": "1", "month": "3", "year": "2026"},
            "what": "Door kicked in",
            "reported": "true",
        },
        {"happened_on": "2026-03-04", "what": "Visitors all night", "reported": ""},
    ]
    check = text(client.get(f"{check_url('records_demo')}?draft={saved.pk}"))
    assert (
        "Date: 1 March 2026; What happened: Door kicked in; Reported to the police?: Yes" in check
    )
    assert "Area 9" in check
    assert "5 March 2026 at 9:30pm" in check

    refilled = text(client.get(f"{form_url('records_demo')}?draft={saved.pk}"))
    assert 'name="incidents-2-what" type="text" value="Visitors all night"' in refilled
    assert 'name="incidents-3-what"' in refilled  # and a blank one for the next
    assert '<option value="area_9" selected>' in refilled
    assert 'name="seen_at-hour" type="text" inputmode="numeric" value="21"' in refilled

    # "Remove" takes a record out; "Add another" keeps what was typed.
    removed = client.post(
        f"{form_url('records_demo')}?draft={saved.pk}", {**data, "action": "remove:incidents:row:1"}
    )
    assert removed.status_code == 302
    saved.refresh_from_db()
    assert [r["what"] for r in saved.data["incidents"]] == ["Visitors all night"]


@pytest.mark.django_db
def test_record_errors_name_the_row_and_link_to_it(client, frontline, records_type):
    client.force_login(frontline)
    data = {
        "summary": "x", "incidents-1-happened_on": "2026-03-01", "incidents-1-what": "Fine",
        "incidents-3-what": "No date given", "area": "area_1", "people": "0",
    }  # fmt: skip
    page = text(client.post(form_url("records_demo"), data))
    # The blank second row is dropped, so the third becomes record 2, shown in row 2.
    assert '<a href="#incidents-2-happened_on-day">Record 2: Enter the date</a>' in page
    assert 'id="incidents-2-happened_on-error" class="govuk-error-message"' in page
    assert '<a href="#people">Enter a number that is 1 or more</a>' in page
    assert 'name="incidents-2-what" type="text" value="No date given"' in page


@pytest.mark.django_db
def test_a_required_records_field_with_only_blank_rows_is_missing(client, frontline, records_type):
    client.force_login(frontline)
    data = {"summary": "x", "incidents-1-what": "  ", "area": "area_1", "people": "2"}
    page = text(client.post(form_url("records_demo"), data))
    assert '<a href="#incidents-1-happened_on-day">Add at least one</a>' in page
    assert "Record 1:" not in page


# Access ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", [CHOOSER, form_url("modern_slavery"), check_url("modern_slavery"),
            "/concerns/raised/SC-2026-000001/"],
)  # fmt: skip
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/sign-in/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CHOOSER, form_url("modern_slavery"), check_url("modern_slavery")])
def test_roles_that_cannot_raise_get_403(client, auditor, make_user, url):
    admin = make_user("admin", Role.ADMINISTRATOR, ["north"])
    nobody = get_user_model().objects.create_user("nobody", password="x-long-password-1")
    for user in (auditor, admin, nobody):
        client.force_login(user)
        for response in (client.get(url), client.post(url, ms_data())):
            assert response.status_code == 403, user
            assert "Your role does not allow you to raise concerns" in text(response)
    assert counts()[0] == 0


@pytest.mark.django_db
def test_someone_with_no_team_cannot_raise(client, make_user):
    client.force_login(make_user("frontline.new", Role.FRONTLINE, []))
    response = client.get(CHOOSER)
    assert response.status_code == 403
    assert "not a member of a team" in text(response)


@pytest.mark.django_db
def test_lead_may_raise(client, lead):
    client.force_login(lead)
    assert raise_pages(client, "modern_slavery", ms_data()).status_code == 302
    assert client.post(check_url("modern_slavery")).status_code == 302
    assert Case.objects.get().raised_by == lead


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["", "check/"])
def test_unknown_type_is_404(client, frontline, suffix):
    client.force_login(frontline)
    assert client.get(f"/concerns/new/burglary/{suffix}").status_code == 404
    assert client.post(f"/concerns/new/burglary/{suffix}", {"summary": "x"}).status_code == 404


@pytest.mark.django_db
def test_confirmation_shows_only_the_users_own_concerns(client, frontline, lead):
    data = sample_values(intake_fields(WORKFLOWS["modern_slavery"]))
    case = case_raise(actor=lead, case_type="modern_slavery", data=data)
    client.force_login(frontline)
    assert client.get(f"/concerns/raised/{case.reference}/").status_code == 404
    assert client.get("/concerns/raised/SC-1999-999999/").status_code == 404
    client.force_login(lead)
    response = client.get(f"/concerns/raised/{case.reference}/")
    assert response.status_code == 200
    assert case.reference in text(response)
