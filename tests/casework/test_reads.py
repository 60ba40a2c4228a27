"""Every read of case content is audited, by one rule (issue 17, finding 3; RULES.md §4.5).

The routes come from the URL configuration (as the access matrix's do): a route not
classified in ``casework.reads.READS`` fails ``test_every_route_is_classified``. Each
route that shows case content is then requested by every role in every relation to a
case, with the access matrix's URLs: each successful answer writes exactly one read
event (naming the case for a case's content), and a refused one none.
"""

from __future__ import annotations

import pytest

from casework.audit import READ_VERBS, AuditVerb
from casework.models import AuditEvent, CaseViewRepeat
from casework.reads import READS, ReadKind, read_of
from tests.test_access_matrix import APPLIES, MATRIX, ROLES, World, enumerate_routes

# What a refused or failed request leaves: a refusal of a hidden case is its own record.
RECORDED_READS = (set(READ_VERBS) | {AuditVerb.REFERRAL_EXPORTED}) - {AuditVerb.ACCESS_DENIED}
EXPECTED_VERB = {
    ReadKind.CASE: AuditVerb.CASE_VIEWED,
    ReadKind.PERSON: AuditVerb.PERSON_VIEWED,
    ReadKind.LIST: AuditVerb.CASES_LISTED,
}
CONTENT = sorted(
    name
    for name, read in READS.items()
    if read.kind in (ReadKind.CASE, ReadKind.PERSON, ReadKind.LIST, ReadKind.OWN)
)


def test_every_route_is_classified():
    routes = enumerate_routes()
    unclassified = sorted(r for r in routes if read_of(r) is None)
    assert not unclassified, f"routes not classified in casework/reads.py: {unclassified}"
    assert not set(READS) - routes, f"stale entries: {sorted(set(READS) - routes)}"


def test_content_routes_are_read_with_get_in_the_matrix():
    """Each content route's matrix entry reads (GET), so the test below requests it."""
    assert [n for n in CONTENT if MATRIX[n].method != "get"] == []


def _reads_after(user, last_id):
    return list(
        AuditEvent.objects.filter(actor=user, pk__gt=last_id, verb__in=RECORDED_READS).order_by(
            "pk"
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", CONTENT)
def test_each_read_of_case_content_writes_exactly_one_event(name, client, teams):
    route, read = MATRIX[name], READS[name]
    verb = EXPECTED_VERB.get(read.kind) or read.verb
    world = World()
    wrong = []
    for role in ROLES[1:]:  # anonymous reads nothing
        user = world.users[role]
        client.force_login(user)
        for relation in APPLIES[role] if route.per_case else [None]:
            case = world.cases[role][relation] if relation else None
            url = route.url(world, case)
            last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            repeats = CaseViewRepeat.objects.count()
            response = client.get(url)
            events = _reads_after(user, last)
            where = f"{role:>15} {relation or '-':>14} {url} ({response.status_code})"
            if CaseViewRepeat.objects.count() != repeats:
                wrong.append(f"{where}: counted as a repeat, not a new view")
            if not 200 <= response.status_code < 300:
                if events:
                    wrong.append(f"{where}: refused, but recorded {[e.verb for e in events]}")
                continue
            if [e.verb for e in events] != [verb]:
                wrong.append(f"{where}: expected one {verb}, got {[e.verb for e in events]}")
            elif read.kind == ReadKind.CASE and events[0].case_id != case.pk:
                wrong.append(f"{where}: the view names case {events[0].case_id}")
    assert not wrong, "\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_a_prevent_case_read_through_its_referral_is_recorded_for_the_cleared_lead(client, teams):
    """The finding's own example: the referral page and the API's referral of a Prevent
    case wrote nothing."""
    world = World()
    lead = world.users["prevent_lead"]
    case = world.cases["prevent_lead"]["prevent"]
    client.force_login(lead)
    for url in (
        MATRIX["referrals:referral-detail"].url(world, case),
        MATRIX["api:referral-detail"].url(world, case),
        f"/api/v1/cases/{case.reference}/history/",
        f"/api/v1/cases/{case.reference}/deadlines/",
    ):
        before = AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_VIEWED).count()
        assert client.get(url).status_code == 200
        after = AuditEvent.objects.filter(case=case, verb=AuditVerb.CASE_VIEWED, actor=lead)
        assert after.count() == before + 1, url
