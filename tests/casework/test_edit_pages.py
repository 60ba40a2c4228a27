"""The pages that correct a case's summary, a person and a case's premises: who may use
them, their GOV.UK errors, and that each save is one audited service call."""

from __future__ import annotations

import pytest
from django.utils import timezone

from casework.models import AuditEvent, Case, CasePerson, Person, Premises, Team
from casework.roles import Role


@pytest.fixture
def staff(make_user):
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }


@pytest.fixture
def case(staff):
    premises = Premises.objects.create(address="1 High Street", postcode="N1 1AA")
    case = Case.objects.create(
        reference="SC-E-1", case_type="cuckooing", state="concern_raised",
        summary="Visitors at all hours.", team=Team.objects.get(slug="north"),
        raised_by=staff["frontline"], raised_at=timezone.now(), premises=premises,
    )  # fmt: skip
    person = Person.objects.create(given_names="Sam", family_name="Reed", estimated_age=40)
    CasePerson.objects.create(case=case, person=person, role="occupier")
    return case


def person_of(case: Case) -> Person:
    return case.case_people.get().person


SUMMARY = "/cases/SC-E-1/summary/edit/"
PREMISES = "/cases/SC-E-1/premises/edit/"


def person_url(case: Case) -> str:
    return f"/people/{person_of(case).pk}/edit/"


def person_form(**changes):
    data = {
        "given_names": "Sam", "family_name": "Reed", "aliases": "", "date_of_birth": "",
        "estimated_age": "40", "gender": "", "phone": "", "email": "", "address": "",
    }  # fmt: skip
    data.update(changes)
    return data


def edits() -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            verb__in=["case.updated", "person.updated", "premises.updated"]
        ).order_by("pk")
    )


def html(response) -> str:
    return response.content.decode()


# The case's summary ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lead_changes_the_summary(client, staff, case):
    client.force_login(staff["lead"])
    shown = client.get(SUMMARY)
    assert shown.status_code == 200
    page = html(shown)
    assert '<textarea class="govuk-textarea" id="summary" name="summary"' in page
    assert 'name="version" value="1"' in page
    response = client.post(SUMMARY, {"summary": "Visitors day and night.", "version": "1"})
    assert response.status_code == 302
    assert response.url == "/cases/SC-E-1/"
    stored = Case.objects.get(pk=case.pk)
    assert (stored.summary, stored.version) == ("Visitors day and night.", 2)
    (event,) = edits()
    assert event.data["after"] == {"summary": "Visitors day and night."}
    assert "Summary of the concern updated" in html(client.get("/cases/SC-E-1/"))


@pytest.mark.django_db
def test_a_blank_summary_is_400_with_the_error_summary(client, staff, case):
    client.force_login(staff["lead"])
    response = client.post(SUMMARY, {"summary": "  ", "version": "1"})
    assert response.status_code == 400
    page = html(response)
    assert "govuk-error-summary" in page
    assert '<a href="#summary">Enter a summary of the concern</a>' in page
    assert 'id="summary-error"' in page
    assert edits() == []


@pytest.mark.django_db
def test_a_stale_summary_form_is_409_and_changes_nothing(client, staff, case):
    client.force_login(staff["lead"])
    client.post(SUMMARY, {"summary": "Someone else's change.", "version": "1"})
    response = client.post(SUMMARY, {"summary": "Mine.", "version": "1"})
    assert response.status_code == 409
    assert "This case has changed since you opened it" in html(response)
    assert Case.objects.get(pk=case.pk).summary == "Someone else's change."
    assert len(edits()) == 1
    response = client.post(SUMMARY, {"summary": "No version."})
    assert response.status_code == 400
    assert "This form is out of date" in html(response)


@pytest.mark.django_db
def test_an_unchanged_summary_saves_nothing(client, staff, case):
    client.force_login(staff["lead"])
    response = client.post(SUMMARY, {"summary": "Visitors at all hours.", "version": "1"})
    assert response.status_code == 302
    assert edits() == []
    assert "No changes to save" in html(client.get("/cases/SC-E-1/"))


# A person ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lead_corrects_a_person(client, staff, case):
    client.force_login(staff["lead"])
    url = person_url(case)
    page = html(client.get(url))
    assert 'id="given_names" name="given_names" type="text" value="Sam"' in page
    # A GOV.UK date input: day, month and year boxes, not the browser's date picker.
    for part in ("day", "month", "year"):
        assert f'id="date_of_birth-{part}" name="date_of_birth-{part}" type="text"' in page
    assert 'type="date"' not in page
    response = client.post(
        url,
        {
            **person_form(email="sam@example.com"),
            "date_of_birth-day": "1",
            "date_of_birth-month": "4",
            "date_of_birth-year": "1985",
        },
    )
    assert response.status_code == 302
    assert response.url == f"/people/{person_of(case).pk}/"
    (event,) = edits()
    assert event.data["before"] == {"date_of_birth": None, "email": ""}
    assert event.data["after"] == {"date_of_birth": "1985-04-01", "email": "sam@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "anchor", "message"),
    [
        ({"email": "sam.example"}, "email", "Enter an email address in the correct format"),
        ({"date_of_birth": "31/02/1990"}, "date_of_birth", "Enter a real date of birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "must be today or in the past"),
        ({"date_of_birth": "0001-01-01"}, "date_of_birth", "must be in 1900 or later"),
        ({"estimated_age": "old"}, "estimated_age", "Estimated age must be a whole number"),
        ({"gender": "dragon"}, "gender", "Select a valid choice"),
    ],
)
def test_bad_person_input_is_400_with_the_error_summary(
    client, staff, case, changes, anchor, message
):
    client.force_login(staff["lead"])
    response = client.post(person_url(case), person_form(**changes))
    assert response.status_code == 400
    page = html(response)
    assert "govuk-error-summary" in page
    first_box = f"{anchor}-day" if anchor == "date_of_birth" else anchor  # a date input's
    assert f'<a href="#{first_box}">' in page
    assert message in page
    assert edits() == []


# The premises -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lead_corrects_the_premises(client, staff, case):
    client.force_login(staff["lead"])
    assert client.get(PREMISES).status_code == 200
    data = {"address": "1 High Street", "postcode": "n1 1aa", "tenure": "", "landlord": "Council"}
    response = client.post(PREMISES, data)
    assert response.status_code == 302
    (event,) = edits()
    assert event.data["before"] == {"landlord": ""}
    assert event.data["after"] == {"landlord": "Council"}
    blank = client.post(PREMISES, {**data, "address": ""})
    assert blank.status_code == 400
    assert '<a href="#address">Enter the address of the premises</a>' in html(blank)


@pytest.mark.django_db
def test_a_case_without_premises_has_none_to_change(client, staff, case):
    Case.objects.filter(pk=case.pk).update(premises=None)
    client.force_login(staff["lead"])
    assert client.get(PREMISES).status_code == 404


# Who may edit -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "expected"),
    [("frontline", 403), ("auditor", 403), ("lead_south", 404), ("prevent_lead", 200)],
)
def test_who_may_open_and_save_the_edit_pages(client, staff, case, who, expected):
    client.force_login(staff[who])
    for url, data in (
        (SUMMARY, {"summary": "Changed.", "version": "1"}),
        (person_url(case), person_form(family_name="Changed")),
        (PREMISES, {"address": "Changed"}),
    ):
        assert client.get(url).status_code == expected, url
        posted = client.post(url, data)
        assert posted.status_code == (302 if expected == 200 else expected), url
    if expected != 200:
        assert edits() == []
        assert Case.objects.get(pk=case.pk).summary == "Visitors at all hours."


@pytest.mark.django_db
def test_the_raiser_of_a_prevent_case_cannot_reach_its_premises(client, staff, case):
    Case.objects.filter(pk=case.pk).update(case_type="prevent")
    client.force_login(staff["frontline"])
    assert client.get("/cases/SC-E-1/").status_code == 200  # known as received
    assert client.get(PREMISES).status_code == 404
    assert client.get(person_url(case)).status_code == 404
    assert client.get(SUMMARY).status_code == 403


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(client, case):
    for url in (SUMMARY, PREMISES, person_url(case)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/sign-in/")


@pytest.mark.django_db
def test_change_links_show_only_to_those_who_may_edit(client, staff, case):
    person = person_of(case)
    client.force_login(staff["lead"])
    page = html(client.get("/cases/SC-E-1/"))
    assert f'href="{SUMMARY}"' in page
    assert f'href="{PREMISES}"' in page
    assert f'href="/people/{person.pk}/edit/"' in html(client.get(f"/people/{person.pk}/"))
    client.force_login(staff["frontline"])
    page = html(client.get("/cases/SC-E-1/"))
    assert "/edit/" not in page
    assert "/edit/" not in html(client.get(f"/people/{person.pk}/"))
