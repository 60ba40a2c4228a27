"""No list, count, person link or page reveals a case the user cannot open (issue 4), and
the lead's list costs the same queries however many cases and grants exist."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import Case, CasePerson, CaseUserObjectPermission, Person, Team
from casework.roles import Role
from casework.selectors import case_list_for_user
from casework.services import case_access_grant

REFERENCE = re.compile(r"SC-L-\d{4}")


@pytest.fixture
def world(make_user):
    staff = {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "cleared": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
        "admin": make_user("admin", Role.ADMINISTRATOR, []),
    }
    person = Person.objects.create(given_names="Shared", family_name="Person")
    specs = [
        ("cse", "north", "frontline"), ("cse", "north", "lead"), ("cuckooing", "south",
        "lead_south"), ("prevent", "north", "frontline"), ("prevent", "south", "lead_south"),
        ("community_trigger", "north", "lead"),
    ]  # fmt: skip
    for n, (case_type, team, raiser) in enumerate(specs, start=1):
        case = Case.objects.create(
            reference=f"SC-L-{n:04d}", case_type=case_type, state=_initial(case_type),
            summary=f"Summary {n}", team=Team.objects.get(slug=team),
            raised_by=staff[raiser], raised_at=timezone.now(),
        )  # fmt: skip
        CasePerson.objects.create(case=case, person=person, role="subject")
    return staff, person


def _initial(case_type: str) -> str:
    return "application_received" if case_type == "community_trigger" else "concern_raised"


def all_pages(client, url):
    refs, page = set(), 1
    while True:
        html = client.get(url, {"page": page}).content.decode()
        refs |= set(REFERENCE.findall(html))
        if f'href="?page={page + 1}"' not in html:
            return refs, html
        page += 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "lead", "lead_south", "cleared", "auditor", "admin"])
def test_the_case_list_shows_and_counts_only_visible_cases(client, world, who):
    staff, _ = world
    client.force_login(staff[who])
    visible = set(case_list_for_user(staff[who]).values_list("reference", flat=True))
    shown, html = all_pages(client, "/cases/")
    assert shown == visible
    for case_type in ("prevent", "cse", "cuckooing"):
        filtered, _ = all_pages(client, f"/cases/?case_type={case_type}")
        assert filtered <= visible


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "lead", "lead_south", "cleared", "auditor"])
def test_a_person_page_links_only_cases_the_user_may_open(client, world, who):
    staff, person = world
    client.force_login(staff[who])
    response = client.get(f"/people/{person.pk}/")
    visible = set(case_list_for_user(staff[who]).values_list("reference", flat=True))
    if response.status_code == 404:
        return
    shown = set(REFERENCE.findall(response.content.decode()))
    assert shown <= visible
    for reference in shown:
        assert client.get(f"/cases/{reference}/").status_code == 200


def _list_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/cases/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_leads_list_costs_the_same_queries_with_more_cases_and_grants(client, make_user):
    lead = make_user("lead.north", Role.LEAD, ["north"])
    granting = make_user("lead.south", Role.LEAD, ["south"])
    raiser = make_user("frontline.south", Role.FRONTLINE, ["south"])
    north, south = Team.objects.get(slug="north"), Team.objects.get(slug="south")

    def add_cases(n, team, start):
        return Case.objects.bulk_create(
            Case(reference=f"SC-Q-{start + i:05d}", case_type="cse", state="concern_raised",
                 summary="q", team=team, raised_by=raiser, raised_at=timezone.now())
            for i in range(n)
        )  # fmt: skip

    add_cases(3, north, 0)
    few = _list_queries(client, lead)
    add_cases(120, north, 100)
    for case in add_cases(30, south, 1000):
        case_access_grant(case=case, actor=granting, user=lead)
    assert CaseUserObjectPermission.objects.filter(user=lead).count() == 30
    many = _list_queries(client, lead)
    assert many == few + 1  # the count: a first page that is not full is not counted
    assert case_list_for_user(lead).count() == 153
