"""The triage queue (issue 19): a lead's unallocated cases to work from, new concerns
apart from cases already worked on, immediate risk first, sortable and paged; allocating
one or several at once (with each person's caseload), sharing with a colleague picked by
name, and the lead's own "My cases" panel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from casework.models import (
    AuditEvent,
    Case,
    CasePerson,
    CaseUserObjectPermission,
    Person,
    Premises,
    Team,
)
from casework.roles import Role
from workflows.models import Deadline

NOW = timezone.now()


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def references(response) -> list[str]:
    """The case references of the queue's rows, in order."""
    return re.findall(r'<tr class="govuk-table__row" data-reference="([^"]+)"', text(response))


@pytest.fixture
def people(make_user):
    worker = make_user("sam.worker", Role.FRONTLINE, ["north"])
    worker.first_name, worker.last_name = "Sam", "Worker"
    worker.save()
    return {
        "frontline": make_user("frontline.north", Role.FRONTLINE, ["north"]),
        "worker": worker,
        "lead": make_user("lead.north", Role.LEAD, ["north"]),
        "prevent_lead": make_user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
        "lead_south": make_user("lead.south", Role.LEAD, ["south"]),
        "worker_south": make_user("worker.south", Role.FRONTLINE, ["south"]),
        "auditor": make_user("auditor", Role.AUDITOR, []),
    }


_n = iter(range(1, 10_000))


def make_case(people, *, case_type="modern_slavery", state="concern_raised", team="north",
              urgent=False, hours_ago=1, owner=None, summary="Seen at the car wash.",
              person=("Maria", "Kowalska"), due_in_days=None):  # fmt: skip
    case = Case.objects.create(
        reference=f"SC-T-{next(_n):04d}", case_type=case_type, state=state,
        summary=summary, team=Team.objects.get(slug=team), raised_by=people["frontline"],
        raised_at=NOW - timedelta(hours=hours_ago), immediate_risk=urgent, owner=owner,
    )  # fmt: skip
    if person:
        someone = Person.objects.create(given_names=person[0], family_name=person[1])
        CasePerson.objects.create(case=case, person=someone, role="subject")
    if due_in_days is not None:
        Deadline.objects.create(
            case=case, rule="rg_decision", label="Reasonable grounds decision",
            unit="working_days", duration=5, started_at=NOW,
            due_at=NOW + timedelta(days=due_in_days),
        )  # fmt: skip
    return case


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["frontline", "auditor"])
def test_only_leads_have_a_queue(client, people, who):
    client.force_login(people[who])
    assert client.get("/triage/").status_code == 403
    assert client.post("/triage/", {}).status_code == 403


@pytest.mark.django_db
def test_new_concerns_apart_from_worked_but_unallocated_cases(client, people):
    new = make_case(people)
    worked = make_case(people, state="triage")  # a lead has started triage
    make_case(people, owner=people["worker"])  # allocated: not waiting
    closed = make_case(people)
    Case.objects.filter(pk=closed.pk).update(closed_at=NOW)  # closed: not waiting
    make_case(people, team="south")  # another team's
    client.force_login(people["lead"])
    page = client.get("/triage/")
    assert references(page) == [new.reference]
    assert "New concerns (1)" in text(page)
    assert "Worked on, not allocated (1)" in text(page)
    assert references(client.get("/triage/?tab=worked")) == [worked.reference]


@pytest.mark.django_db
def test_each_row_says_what_a_lead_triages_by(client, people):
    case = make_case(people, summary="Seen sleeping at the car wash; says she is not paid.",
                     urgent=True, due_in_days=3)  # fmt: skip
    premises = Premises.objects.create(address="12 Mill Lane\nNorthtown", postcode="NT1 4AB")
    home = make_case(people, case_type="cuckooing", person=None)
    Case.objects.filter(pk=home.pk).update(premises=premises)
    client.force_login(people["lead"])
    page = text(client.get("/triage/"))
    row = page[page.index(f'data-reference="{case.reference}"') :].split("</tr>")[0]
    assert "Maria Kowalska" in row
    assert "Seen sleeping at the car wash; says she is not paid." in row
    assert "Immediate risk" in row
    assert timezone.localtime(case.raised_at).strftime("%H:%M") in row  # the time of day
    assert timezone.localtime(NOW + timedelta(days=3)).strftime("%-d %b %Y") in row
    other = page[page.index(f'data-reference="{home.reference}"') :].split("</tr>")[0]
    assert "12 Mill Lane, NT1 4AB" in other
    assert "None running" in other
    assert "Immediate risk" not in other


@pytest.mark.django_db
def test_immediate_risk_first_then_sorted_as_asked(client, people):
    old = make_case(people, hours_ago=30, due_in_days=9)
    newer = make_case(people, hours_ago=2, due_in_days=1)
    urgent = make_case(people, hours_ago=1, urgent=True)
    client.force_login(people["lead"])
    assert references(client.get("/triage/")) == [urgent.reference, old.reference,
                                                  newer.reference]  # fmt: skip
    assert references(client.get("/triage/?sort=raised&order=desc")) == [
        urgent.reference, newer.reference, old.reference,
    ]  # fmt: skip
    assert references(client.get("/triage/?sort=due&order=asc")) == [
        urgent.reference, newer.reference, old.reference,
    ]  # fmt: skip
    # Nonsense in the address is the default order, not an error.
    assert references(client.get("/triage/?sort=bogus&order=up&tab=x")) == [
        urgent.reference, old.reference, newer.reference,
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_queue_is_paged_not_capped(client, people):
    made = [make_case(people, hours_ago=100 - i) for i in range(30)]
    client.force_login(people["lead"])
    first = client.get("/triage/")
    assert references(first) == [c.reference for c in made[:25]]
    assert "govuk-pagination" in text(first)
    assert references(client.get("/triage/?page=2")) == [c.reference for c in made[25:]]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_rows(client, people, django_assert_max_num_queries):
    client.force_login(people["lead"])
    for i in range(3):
        make_case(people, due_in_days=i, urgent=i == 0)
    client.get("/triage/")  # warm the session and caches
    with django_assert_max_num_queries(20) as few:
        assert len(references(client.get("/triage/"))) == 3
    for i in range(22):
        make_case(people, due_in_days=i, urgent=i % 5 == 0)
    # One more, the count: a first page that is not full is not counted (casework.counting).
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        assert len(references(client.get("/triage/"))) == 25


@pytest.mark.django_db
def test_prevent_cases_are_only_in_a_cleared_leads_queue(client, people):
    prevent = make_case(people, case_type="prevent", urgent=True)
    client.force_login(people["lead"])
    assert prevent.reference not in text(client.get("/triage/"))
    client.force_login(people["prevent_lead"])
    assert references(client.get("/triage/")) == [prevent.reference]


@pytest.mark.django_db
def test_bulk_allocation_with_each_persons_caseload(client, people):
    make_case(people, owner=people["worker"])  # Sam already has one open case
    one, two, three = (make_case(people, hours_ago=h) for h in (3, 2, 1))
    client.force_login(people["lead"])
    page = text(client.get("/triage/"))
    assert "Sam Worker (1 open case)" in page
    assert "lead.north (0 open cases)" in page
    assert "worker.south" not in page  # another team's worker is not offered

    response = client.post(
        "/triage/?tab=new", {"cases": [one.reference, two.reference],
                             "assignee": people["worker"].pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.url == "/triage/?tab=new"
    assert {c.owner for c in Case.objects.filter(pk__in=[one.pk, two.pk])} == {people["worker"]}
    assert Case.objects.get(pk=three.pk).owner is None
    events = AuditEvent.objects.filter(verb="case.allocated")
    assert sorted(e.case_id for e in events) == sorted([one.pk, two.pk])
    assert all(e.actor == people["lead"] for e in events)
    after = client.get(response.url)
    assert references(after) == [three.reference]
    assert "2 cases allocated to Sam Worker" in text(after)
    assert "Sam Worker (3 open cases)" in text(after)


@pytest.mark.django_db
def test_single_allocation_from_the_queue(client, people):
    case = make_case(people)
    client.force_login(people["lead"])
    assert f'href="/cases/{case.reference}/allocate/"' in text(client.get("/triage/"))
    response = client.post("/triage/", {"cases": case.reference, "assignee": people["worker"].pk})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).owner == people["worker"]


@pytest.mark.django_db
def test_bad_allocations_change_nothing(client, people):
    mine, theirs = make_case(people), make_case(people, team="south")
    prevent = make_case(people, case_type="prevent")
    client.force_login(people["lead"])

    nothing = client.post("/triage/", {"assignee": people["worker"].pk})
    assert nothing.status_code == 400
    assert "Select the cases to allocate." in text(nothing)
    nobody = client.post("/triage/", {"cases": [mine.reference]})
    assert nobody.status_code == 400
    assert "Choose who to allocate the cases to." in text(nobody)
    # Another team's case (or one the lead may not see) cannot be slipped in.
    for other in (theirs, prevent):
        mixed = client.post(
            "/triage/", {"cases": [mine.reference, other.reference],
                         "assignee": people["worker"].pk},
        )  # fmt: skip
        assert mixed.status_code == 400
        assert "can no longer be allocated from here" in text(mixed)
    # Nor a person outside the lead's teams.
    outsider = client.post(
        "/triage/", {"cases": [mine.reference], "assignee": people["worker_south"].pk}
    )
    assert outsider.status_code == 400
    assert not Case.objects.filter(owner__isnull=False).exists()
    assert not AuditEvent.objects.filter(verb="case.allocated").exists()


@pytest.mark.django_db
def test_a_bulk_allocation_is_all_or_nothing(client, people):
    """A Prevent case can go only to a cleared lead: with it in the batch, none moves."""
    calm = make_case(people)
    prevent = make_case(people, case_type="prevent")
    client.force_login(people["prevent_lead"])
    response = client.post(
        "/triage/", {"cases": [calm.reference, prevent.reference],
                     "assignee": people["worker"].pk},
    )  # fmt: skip
    assert response.status_code == 400
    assert f"{prevent.reference}: sam.worker is not cleared for Prevent." in text(response)
    assert not Case.objects.filter(owner__isnull=False).exists()
    assert not AuditEvent.objects.filter(verb="case.allocated").exists()


@pytest.mark.django_db
def test_the_allocate_page_shows_caseloads(client, people):
    make_case(people, owner=people["worker"])
    case = make_case(people)
    client.force_login(people["lead"])
    assert "Sam Worker (sam.worker) (1 open case)" in text(
        client.get(f"/cases/{case.reference}/allocate/")
    )


@pytest.mark.django_db
def test_share_access_by_picking_a_named_colleague(client, people):
    case = make_case(people)
    client.force_login(people["lead"])
    url = f"/cases/{case.reference}/access/"
    page = text(client.get(url))
    assert 'name="username"' not in page
    assert "Sam Worker (sam.worker), North locality team" in page
    assert "lead.south, South locality team" in page
    assert page.index("Sam Worker") < page.index("lead.south")  # own team first
    assert "auditor" not in page  # not someone a case is shared with

    response = client.post(url, {"user": people["lead_south"].pk})
    assert response.status_code == 302
    assert CaseUserObjectPermission.objects.filter(user=people["lead_south"]).exists()
    assert "lead.south, South locality team" not in text(client.get(url))  # already shared


@pytest.mark.django_db
def test_sharing_with_someone_not_offered_is_refused(client, people, make_user):
    case = make_case(people, case_type="prevent")
    admin = make_user("admin", Role.ADMINISTRATOR, [])
    client.force_login(people["prevent_lead"])
    url = f"/cases/{case.reference}/access/"
    assert "lead.south" not in text(client.get(url))  # not cleared for Prevent
    for pk in (people["lead_south"].pk, admin.pk, 999_999):
        response = client.post(url, {"user": pk})
        assert response.status_code == 400
        assert "Choose who to share the case with." in text(response)
    assert not CaseUserObjectPermission.objects.exists()


@pytest.mark.django_db
def test_a_leads_home_has_my_cases_and_urgent_first(client, people):
    mine = make_case(people, owner=people["lead"], summary="Mine.")
    calm = make_case(people, hours_ago=5)
    urgent = make_case(people, hours_ago=1, urgent=True)
    client.force_login(people["lead"])
    page = text(client.get("/"))
    panel = page[page.index('data-panel="mine"') :].split("</section>")[0]
    assert mine.reference in panel
    assert calm.reference not in panel
    triage = page[page.index('data-panel="triage"') :].split("</section>")[0]
    assert triage.index(urgent.reference) < triage.index(calm.reference)
    assert "Immediate risk" in triage
    assert 'href="/triage/"' in triage
