"""A person linked to several cases shows each case only to those allowed to see it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.models import AuditEvent, Case, CasePerson, Person, Team
from casework.roles import Role
from casework.selectors import person_cases_for_user, person_list_for_user
from casework.services import case_access_grant, case_person_link


@pytest.fixture
def world(make_user):
    staff = {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }

    def case(ref, team, raised_by, case_type="cse"):
        return Case.objects.create(
            reference=ref, case_type=case_type, state="concern_raised", summary="s",
            team=Team.objects.get(slug=team), raised_by=raised_by, raised_at=timezone.now(),
        )  # fmt: skip

    north = case("SC-N", "north", staff["frontline"])
    south = case("SC-S", "south", staff["lead_south"])
    person = Person.objects.create(given_names="Jo", family_name="Bloggs")
    CasePerson.objects.create(case=north, person=person, role="subject")
    return staff, north, south, person


def refs(user, person):
    return {link.case.reference for link in person_cases_for_user(user, person)}


@pytest.mark.django_db
def test_linking_a_known_person_to_another_teams_case(world):
    staff, north, south, person = world
    with pytest.raises(ValidationError):  # lead.south cannot see Jo yet
        case_person_link(case=south, actor=staff["lead_south"], person=person, role="subject")
    case_access_grant(case=north, actor=staff["lead"], user=staff["lead_south"])
    case_person_link(case=south, actor=staff["lead_south"], person=person, role="subject")
    assert AuditEvent.objects.filter(verb="person.linked", case=south).count() == 1

    assert refs(staff["lead"], person) == {"SC-N"}
    assert refs(staff["frontline"], person) == {"SC-N"}
    assert refs(staff["lead_south"], person) == {"SC-N", "SC-S"}
    assert refs(staff["auditor"], person) == {"SC-N", "SC-S"}


@pytest.mark.django_db
def test_people_from_hidden_cases_do_not_exist_for_a_user(world):
    staff, north, south, person = world
    assert person in person_list_for_user(staff["lead"])
    assert person not in person_list_for_user(staff["lead_south"])


@pytest.mark.django_db
def test_linking_needs_a_lead_a_role_and_no_duplicate(world):
    staff, north, south, person = world
    with pytest.raises(PermissionDenied):
        case_person_link(case=north, actor=staff["frontline"], person=person, role="other")
    with pytest.raises(ValidationError):
        case_person_link(case=north, actor=staff["lead"], person=person, role="king")
    with pytest.raises(ValidationError):
        case_person_link(case=north, actor=staff["lead"], person=person, role="subject")
    assert CasePerson.objects.count() == 1
