"""Prevent clearance is a property of the person (RULES.md §4.5, issue 15): an auditor
without it sees nothing of a Prevent case (not in lists, pages, people or the audit log),
as an uncleared lead sees nothing; an auditor an administrator has cleared sees it all.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from casework.audit import AuditVerb, audit_event_list_for_user
from casework.models import AuditEvent
from casework.roles import has_prevent_clearance
from casework.selectors import (
    case_get_for_user,
    case_is_limited,
    case_list_for_user,
    person_list_for_user,
)
from casework.services import prevent_clearance_set

pytestmark = pytest.mark.django_db


def test_an_auditor_without_clearance_sees_nothing_of_a_prevent_case(people, case, prevent_case):
    auditor = people["auditor"]
    assert not has_prevent_clearance(auditor)
    assert set(case_list_for_user(auditor)) == {case}
    with pytest.raises(Http404):
        case_get_for_user(auditor, prevent_case.reference)
    subject = prevent_case.case_people.get().person
    assert subject not in person_list_for_user(auditor)
    events = audit_event_list_for_user(auditor, {})
    assert not events.filter(case=prevent_case).exists()
    assert events.filter(case=case).exists()
    searched = audit_event_list_for_user(auditor, {"reference": prevent_case.reference})
    assert list(searched) == []


def test_a_cleared_auditor_sees_it_all(people, case, prevent_case):
    auditor = people["auditor"]
    assert prevent_clearance_set(user=auditor, actor=people["admin"], cleared=True)
    assert has_prevent_clearance(auditor)
    assert set(case_list_for_user(auditor)) == {case, prevent_case}
    found = case_get_for_user(auditor, prevent_case.reference)
    assert not case_is_limited(auditor, found)
    assert prevent_case.case_people.get().person in person_list_for_user(auditor)
    assert audit_event_list_for_user(auditor, {}).filter(case=prevent_case).exists()


def test_clearance_does_not_let_an_auditor_act(people, prevent_case):
    auditor = people["auditor"]
    prevent_clearance_set(user=auditor, actor=people["admin"], cleared=True)
    assert not auditor.has_perm("casework.manage_case", prevent_case)


def test_only_an_administrator_changes_clearance_and_it_is_audited(people):
    auditor = people["auditor"]
    with pytest.raises(PermissionDenied):
        prevent_clearance_set(user=auditor, actor=people["prevent_lead"], cleared=True)
    prevent_clearance_set(user=auditor, actor=people["admin"], cleared=True)
    assert not prevent_clearance_set(user=auditor, actor=people["admin"], cleared=True)
    prevent_clearance_set(user=auditor, actor=people["admin"], cleared=False)
    assert not has_prevent_clearance(auditor)
    changes = AuditEvent.objects.filter(verb=AuditVerb.USER_CLEARANCE_CHANGED).order_by("pk")
    assert [e.data["prevent_clearance"] for e in changes] == [True, False]
    assert {e.actor for e in changes} == {people["admin"]}


def test_sign_in_failures_stay_in_an_uncleared_auditors_log(people, client):
    client.post("/sign-in/", {"username": "nobody", "password": "wrong"})
    events = audit_event_list_for_user(people["auditor"], {"action": "user.sign_in_failed"})
    assert events.exists()


def test_an_uncleared_auditor_sees_no_event_of_a_prevent_cases_people_or_premises(
    people, case, prevent_case
):
    """Events recorded on a person or premises of a Prevent case (views, edits) are hidden
    from an auditor without clearance; those of another case's people are not."""
    from casework.audit import audit_record
    from casework.models import Premises

    admin = people["admin"]
    hidden_person = prevent_case.case_people.get().person
    shown_person = case.case_people.first().person
    hidden_premises = Premises.objects.create(address="1 Hidden Row", postcode="NT1 1AA")
    prevent_case.__class__.objects.filter(pk=prevent_case.pk).update(premises=hidden_premises)
    made = [
        audit_record(actor=admin, verb=AuditVerb.PERSON_VIEWED, target=hidden_person),
        audit_record(actor=admin, verb=AuditVerb.PREMISES_UPDATED, target=hidden_premises),
        audit_record(actor=admin, verb=AuditVerb.PERSON_VIEWED, target=shown_person),
    ]
    seen = set(audit_event_list_for_user(people["auditor"], {}).values_list("pk", flat=True))
    assert [event.pk in seen for event in made] == [False, False, True]
    prevent_clearance_set(user=people["auditor"], actor=admin, cleared=True)
    cleared = type(people["auditor"]).objects.get(pk=people["auditor"].pk)
    seen = set(audit_event_list_for_user(cleared, {}).values_list("pk", flat=True))
    assert all(event.pk in seen for event in made)


def test_the_hidden_events_are_the_same_when_the_search_is_a_subquery(people, case, prevent_case):
    """The condition on a Prevent case's people and premises is written out once
    (``casework.audit.RestrictedPeopleAndPremises``) under the event table's alias: the
    search nested in another query (relabelled) hides the same events, and a premises of
    another case stays shown."""
    from casework.audit import audit_record
    from casework.models import Premises

    admin = people["admin"]
    hidden_premises = Premises.objects.create(address="1 Hidden Row", postcode="NT1 1AA")
    shown_premises = Premises.objects.create(address="2 Open Row", postcode="NT1 1AB")
    prevent_case.__class__.objects.filter(pk=prevent_case.pk).update(premises=hidden_premises)
    case.__class__.objects.filter(pk=case.pk).update(premises=shown_premises)
    hidden_person = prevent_case.case_people.get().person
    shown_person = case.case_people.first().person
    made = [
        audit_record(actor=admin, verb=AuditVerb.PERSON_VIEWED, target=hidden_person),
        audit_record(actor=admin, verb=AuditVerb.PREMISES_UPDATED, target=hidden_premises),
        audit_record(actor=admin, verb=AuditVerb.PREMISES_UPDATED, target=shown_premises),
        audit_record(actor=admin, verb=AuditVerb.PERSON_VIEWED, target=shown_person),
    ]
    searched = audit_event_list_for_user(people["auditor"], {})
    direct = set(searched.values_list("pk", flat=True))
    outer = AuditEvent.objects.filter(pk__in=searched.values("pk"))
    nested = set(outer.values_list("pk", flat=True))
    # The subquery's tests name the nested event's alias, not the outer query's table.
    assert '"casework_auditevent".object_id' not in str(outer.query)
    assert [event.pk in direct for event in made] == [False, False, True, True]
    assert nested == direct
