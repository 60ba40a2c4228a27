"""Casework writes. Every write is a typed, keyword-only function in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone
from guardian.shortcuts import assign_perm

from casework.audit import READ_VERBS, AuditVerb, audit_record
from casework.errors import StaleCase
from casework.models import (
    AuditEvent,
    Case,
    CaseLink,
    CasePerson,
    CasePersonRole,
    CaseUserObjectPermission,
    CaseViewRepeat,
    Person,
    Premises,
    Team,
    TeamMembership,
)
from casework.permissions import (
    forget_granted_cases,
    is_named_to,
    lead_may,
    named_case_types,
    restricted_case_types,
    team_ids_of,
)
from casework.roles import PREVENT_CLEARANCE_GROUP, Role, has_prevent_clearance, roles_of
from casework.search_index import search_index_update
from casework.selectors import (
    case_content_list_for_user,
    case_is_limited,
    person_list_for_user,
)
from casework.statements import compiled_objects
from casework.validators import EARLIEST_DATE
from notifications.models import Channel
from notifications.services import outbox_enqueue

User = get_user_model()

# Model permissions each role's group holds (case permissions are added with the
# access rules; administrators manage people and reference data, not cases).
# No role holds a permission on users, groups or permissions (issue 17): staff are
# managed through the service's own pages (casework.staff), which keep the separation of
# duties; migration 0019 took them from the Administrator group.
ROLE_MODEL_PERMISSIONS: dict[Role, list[str]] = {
    Role.ADMINISTRATOR: [
        "casework.view_team",
        "casework.add_team",
        "casework.change_team",
        "casework.view_teammembership",
        "casework.add_teammembership",
        "casework.change_teammembership",
        "casework.delete_teammembership",
        "workflows.view_bankholiday",
        "workflows.add_bankholiday",
        "workflows.change_bankholiday",
        "workflows.delete_bankholiday",
        "workflows.view_timescaleoverride",
        "workflows.add_timescaleoverride",
        "workflows.change_timescaleoverride",
        "workflows.delete_timescaleoverride",
        "referrals.view_partneragency",
        "referrals.add_partneragency",
        "referrals.change_partneragency",
        "referrals.view_partnerresponsetime",
        "referrals.add_partnerresponsetime",
        "referrals.change_partnerresponsetime",
        "referrals.delete_partnerresponsetime",
    ],
}


@transaction.atomic
def roles_ensure() -> dict[Role, Group]:
    """Create the role groups and give each its model permissions (idempotent).

    Three queries when everything is there (every made user calls this: seeding, the
    staff pages, the tests' thousands of users); what is missing is added with
    ``permissions.add``, so the change is seen as one (casework/role_audit.py)."""
    wanted = {
        role: [tuple(dotted.split(".")) for dotted in ROLE_MODEL_PERMISSIONS.get(role, [])]
        for role in Role
    }
    needed = {pair for pairs in wanted.values() for pair in pairs}
    found = {
        (perm.content_type.app_label, perm.codename): perm.pk
        for perm in Permission.objects.filter(
            codename__in={codename for _, codename in needed}
        ).select_related("content_type")
    }
    if unknown := sorted(needed - found.keys()):
        names = ", ".join(".".join(pair) for pair in unknown)
        raise Permission.DoesNotExist(f"No such permission: {names}")
    by_name = {g.name: g for g in Group.objects.filter(name__in=[r.group_name for r in Role])}
    held = set(
        Group.permissions.through.objects.filter(group__in=list(by_name.values())).values_list(
            "group_id", "permission_id"
        )
    )
    groups = {}
    for role in Role:
        group = by_name.get(role.group_name)
        if group is None:
            group, _ = Group.objects.get_or_create(name=role.group_name)
        lacking = [found[pair] for pair in wanted[role] if (group.pk, found[pair]) not in held]
        if lacking:
            group.permissions.add(*lacking)
        groups[role] = group
    return groups


@transaction.atomic
def team_ensure(*, slug: str, name: str) -> Team:
    """Create a team or return the existing one with that slug."""
    team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
    return team


@transaction.atomic
def user_ensure(
    *,
    username: str,
    password: str,
    role: Role,
    teams: list[Team],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> AbstractUser:
    """Create or update a staff user with exactly this role and these teams. The password
    must pass AUTH_PASSWORD_VALIDATORS (``ValidationError`` otherwise, nothing written)."""
    groups = roles_ensure()
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    validate_password(password, user)
    user.is_staff = False  # the Django admin is for superusers only (casework.admin)
    user.set_password(password)
    user.save()
    user.groups.set([groups[role]])
    TeamMembership.objects.filter(user=user).exclude(team__in=teams).delete()
    for team in teams:
        TeamMembership.objects.get_or_create(user=user, team=team)
    return user


@transaction.atomic
def prevent_clearance_set(*, user: Any, actor: Any, cleared: bool) -> bool:
    """Grant or withdraw a person's Prevent clearance (RULES.md §4.5, issue 15): membership
    of the ``Prevent clearance`` group, held whatever their role. Only an administrator
    may change it; a Prevent-cleared lead is cleared by their role. Audited; returns
    whether anything changed."""
    if Role.ADMINISTRATOR not in roles_of(actor):
        raise PermissionDenied("Only an administrator can change Prevent clearance.")
    if actor.pk == user.pk:
        raise PermissionDenied("Nobody can change their own Prevent clearance.")
    group, _ = Group.objects.get_or_create(name=PREVENT_CLEARANCE_GROUP)
    if has_prevent_clearance(user) == cleared or Role.PREVENT_LEAD in roles_of(user):
        return False
    if cleared:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    for cached in ("_safecase_groups", "_safecase_roles"):
        user.__dict__.pop(cached, None)
    audit_record(
        actor=actor,
        verb=AuditVerb.USER_CLEARANCE_CHANGED,
        target=user,
        data={"user": user.get_username(), "prevent_clearance": cleared},
    )
    return True


LINK_NOT_FOUND = "Enter the reference of a case you can see in full."


@transaction.atomic
def case_link(*, case: Case, actor: Any, other_reference: str, reason: str) -> CaseLink:
    """Link ``case`` to a related case (issue 15), e.g. a cuckooing safety plan's NRM or
    Duty to Notify case, or a child exploitation case with trafficking indicators.

    Only a lead of the case's team may link it, and only to a case they may see in full;
    any other reference is refused with the same message whether or not it exists, so
    linking cannot be used to find cases. Audited on both cases."""
    _require_lead(case, actor)
    errors: dict[str, list[str]] = {}
    reference = (other_reference or "").strip().upper()
    other = case_content_list_for_user(actor).filter(reference=reference).first()
    if other is None:
        errors["other_reference"] = [LINK_NOT_FOUND]
    elif other.pk == case.pk:
        errors["other_reference"] = ["A case cannot be linked to itself."]
    elif CaseLink.objects.filter(
        Q(from_case=case, to_case=other) | Q(from_case=other, to_case=case)
    ).exists():
        errors["other_reference"] = [f"{case.reference} is already linked to {other.reference}."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why the cases are related."]
    if errors:
        raise ValidationError(errors)
    link = CaseLink.objects.create(
        from_case=case, to_case=other, reason=reason.strip(), linked_by=actor
    )
    # Each case's history names only the link, not the other case or the reason: someone
    # who may read one case's history may not be allowed to know of the other.
    for one in (case, other):
        audit_record(
            actor=actor, verb=AuditVerb.CASE_LINKED, case=one, target=one,
            data={"reason": link.reason},
        )  # fmt: skip
    return link


def _locked_case(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("team").get(pk=case.pk)


def _require_lead(case: Case, actor: Any) -> None:
    if not lead_may(case, actor):
        raise PermissionDenied("Only a safeguarding lead of the case's team can do this.")


def _require_compartment(case: Case, user: Any, field: str) -> None:
    if case.case_type in named_case_types():
        if not is_named_to(user, case):
            raise ValidationError(
                {field: [f"{user.get_username()} is not named to this review. Name them first."]}
            )
        return
    if case.case_type in restricted_case_types() and Role.PREVENT_LEAD not in roles_of(user):
        # Acting on a restricted case needs a Prevent-cleared lead, not clearance alone.
        raise ValidationError(
            {field: [f"{user.get_username()} is not cleared for {case.get_case_type_display()}."]}
        )


@transaction.atomic
def case_allocate(*, case: Case, actor: Any, assignee: Any, expected_version: int | None = None):
    """Allocate a case to a worker or lead of its team (or re-allocate it); leads only.

    Restricted types (Prevent) go only to Prevent-cleared staff (DESIGN.md "Access").
    """
    case = _locked_case(case)
    _require_lead(case, actor)
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            "This case has changed since you opened it. Reload it and try again.",
            state=case.state,
        )
    if case.is_closed:
        raise ValidationError({"assignee": ["A closed case cannot be allocated."]})
    held = roles_of(assignee)
    if not assignee.is_active or not held & {Role.FRONTLINE, Role.LEAD, Role.PREVENT_LEAD}:
        raise ValidationError({"assignee": ["Choose a frontline worker or a lead."]})
    if case.team_id not in team_ids_of(assignee):
        raise ValidationError({"assignee": [f"Choose someone in {case.team}."]})
    _require_compartment(case, assignee, "assignee")
    previous = case.owner_id
    if previous == assignee.pk:
        raise ValidationError({"assignee": ["The case is already allocated to them."]})
    Case.objects.filter(pk=case.pk).update(owner=assignee, version=F("version") + 1)
    case.refresh_from_db(fields=["owner", "version"])
    search_index_update([case.pk])
    audit_record(
        actor=actor,
        verb=AuditVerb.CASE_ALLOCATED,
        case=case,
        target=case,
        data={"from_owner": previous, "to_owner": assignee.pk},
    )
    outbox_enqueue(
        recipient_id=assignee.pk,
        channel=Channel.IN_APP,
        template="case.allocated",
        subject=f"{case.reference} has been allocated to you",
        body=f"{actor.get_full_name() or actor.get_username()} allocated {case.reference} to you.",
        case=case,
    )
    return case


@transaction.atomic
def cases_allocate(*, cases: list[Case], actor: Any, assignee: Any) -> list[Case]:
    """Allocate several cases to one person at once (the triage queue, issue 19): each
    through ``case_allocate`` (checked and audited one by one), all or none. Every case
    that cannot go to them is named in one error, and nothing is allocated."""
    if not cases:
        raise ValidationError({"cases": ["Select the cases to allocate."]})
    if assignee is None:
        raise ValidationError({"assignee": ["Choose who to allocate the cases to."]})
    done, problems = [], []
    for case in cases:
        try:
            done.append(case_allocate(case=case, actor=actor, assignee=assignee))
        except ValidationError as exc:
            problems += [f"{case.reference}: {message}" for message in exc.messages]
    if problems:
        raise ValidationError({"assignee": problems})
    return done


GRANTABLE = {"view_case": "read the case"}


def _grant_check(case: Case, actor: Any, user: Any, permission: str) -> None:
    _require_lead(case, actor)
    if permission not in GRANTABLE:
        raise ValidationError({"permission": ["Choose a permission that can be granted."]})
    if not user.is_active or not roles_of(user) - {Role.ADMINISTRATOR}:
        raise ValidationError({"user": ["Choose a member of staff with a case role."]})


@transaction.atomic
def case_access_grant(*, case: Case, actor: Any, user: Any, permission: str = "view_case"):
    """Let one more person read a case outside the usual rules (a lead's decision, audited).

    A grant cannot open a need-to-know compartment to someone who is not cleared. In a
    named compartment (a Domestic Homicide Review) the grant is what names the person to
    the case (casework.permissions), so it needs no other clearance.
    """
    case = _locked_case(case)
    _grant_check(case, actor, user, permission)
    if case.case_type not in named_case_types():
        _require_compartment(case, user, "user")
    if not assign_perm(f"casework.{permission}", user, case):
        raise ValidationError({"user": ["That permission could not be granted."]})
    audit_record(
        actor=actor,
        verb=AuditVerb.ACCESS_GRANTED,
        case=case,
        target=case,
        data={"user": user.pk, "permission": permission},
    )


def case_compartment_name_raiser(*, case: Case, actor: Any) -> None:
    """Name the lead who recorded a named compartment's case to it (the case's first
    member; casework.permissions). Runs inside ``case_raise``'s transaction; audited as
    a grant."""
    if case.case_type not in named_case_types():
        return
    assign_perm("casework.view_case", actor, case)
    audit_record(
        actor=actor,
        verb=AuditVerb.ACCESS_GRANTED,
        case=case,
        target=case,
        data={"user": actor.pk, "permission": "view_case", "reason": "recorded the case"},
    )


@transaction.atomic
def case_access_revoke(*, case: Case, actor: Any, user: Any, permission: str = "view_case"):
    """Withdraw a per-case grant; audited."""
    case = _locked_case(case)
    _grant_check(case, actor, user, permission)
    removed, _ = CaseUserObjectPermission.objects.filter(
        content_object=case, user=user, permission__codename=permission
    ).delete()
    if not removed:
        raise ValidationError({"user": ["They have no such grant on this case."]})
    # Deleted rows do not hold this user object, so the grant signal cannot forget
    # its cached grants (a grant made with it does: casework.signals).
    forget_granted_cases(user)
    audit_record(
        actor=actor,
        verb=AuditVerb.ACCESS_REVOKED,
        case=case,
        target=case,
        data={"user": user.pk, "permission": permission},
    )


@transaction.atomic
def case_person_link(*, case: Case, actor: Any, person: Person, role: str) -> CasePerson:
    """Link a person already known to the actor to another case (the same victim in two
    cases, say); leads only, and only people the lead may already see."""
    case = _locked_case(case)
    _require_lead(case, actor)
    if role not in CasePersonRole.values:
        raise ValidationError({"role": ["Choose the person's part in the case."]})
    if not person_list_for_user(actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": ["Choose a person from your cases."]})
    link, created = CasePerson.objects.get_or_create(case=case, person=person, role=role)
    if not created:
        raise ValidationError({"person": ["They are already linked to this case in that role."]})
    search_index_update([case.pk])
    audit_record(
        actor=actor,
        verb=AuditVerb.PERSON_LINKED,
        case=case,
        target=link,
        data={"person": person.pk, "role": role},
    )
    return link


# Recording reads (DESIGN.md "Audit": reads of a case are recorded) ----------------------

# The channels of casework.reads.READS: the case page, its history, a form that shows
# the case, a referral, the auditor's timeline, and the API's case, history, deadlines
# and referral.
CASE_VIEW_CHANNELS = frozenset(
    {
        "page", "history", "form", "referral", "audit",
        "api", "api-history", "api-deadlines", "api-referral",
    }
)  # fmt: skip
# The pages (not the API, not the audit timeline) where a look soon after one's own action
# is that action's result: the case page, its history, a form and a referral page.
PAGE_CHANNELS = frozenset({"page", "history", "form", "referral"})
# The case page shown after the user's own action on the case (the redirect after a
# POST) within this time is the result of that action, not a new look at the case.
OWN_ACTION_SECONDS = 120
# Further looks by the same person at the same case through the same channel within this
# time of a recorded view are counted on that view, not recorded as new views.
REPEAT_VIEW_SECONDS = 30 * 60


def _last_own_event(user: Any, case: Case, since: Any) -> AuditEvent | None:
    """The user's latest event on the case since ``since``: one statement compiled once
    (``casework.statements``), the ids and the time given at each use."""

    def latest(case_id: int, user_id: int, after: Any) -> Any:
        own = AuditEvent.objects.filter(case_id=case_id, actor_id=user_id, at__gte=after)
        return own.only("id", "verb", "data", "at").order_by("-id")[:1]

    found = compiled_objects(("last own event",), latest, (case.pk, user.pk, since))
    return found[0] if found else None


@transaction.atomic
def case_view_record(*, user: Any, case: Case, via: str = "page") -> AuditEvent | None:
    """Record that ``user`` was shown ``case``: who, when, which case, by which channel
    (the case page, its API record, the auditor's timeline) and whether they saw it in
    full or only as received. Called once for each response that shows a case, after
    the selector found it, so a hidden or missing case (404) records nothing here.

    Views that mean something (issue 20): a page of the case (``PAGE_CHANNELS``) shown
    within two minutes of the user's own action on the case is that action's result and
    is not recorded; a look within 30 minutes of their last recorded view of it through
    the same channel is counted on that view (``CaseViewRepeat``). Returns the event the
    look counts on, or None when none was recorded."""
    if via not in CASE_VIEW_CHANNELS:
        raise ValueError(f"unknown channel {via!r}")
    now = timezone.now()
    since = now - timedelta(seconds=max(OWN_ACTION_SECONDS, REPEAT_VIEW_SECONDS))
    last = _last_own_event(user, case, since)
    limited = case_is_limited(user, case)
    if last is not None and last.verb == AuditVerb.CASE_VIEWED:
        if last.data.get("via") == via and last.data.get("limited") == limited:
            _view_repeat(last, now)
            return last
    elif last is not None and via in PAGE_CHANNELS and last.verb not in READ_VERBS:
        if (now - last.at).total_seconds() <= OWN_ACTION_SECONDS:
            return None
    return audit_record(
        actor=user,
        verb=AuditVerb.CASE_VIEWED,
        case=case,
        target=case,
        data={"via": via, "limited": limited},
    )


def _view_repeat(event: AuditEvent, at: Any) -> None:
    """Count one more look on ``event``: the first makes its row (one repeat), each
    later one adds to it, in one statement that holds the row's lock for itself (it
    was a locking read, then an insert or an update)."""
    table = CaseViewRepeat._meta.db_table
    with connections[CaseViewRepeat.objects.db].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, repeats, last_at) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (event_id) DO UPDATE SET repeats = {table}.repeats + 1, "
            "last_at = EXCLUDED.last_at",
            [event.pk, at],
        )


@transaction.atomic
def access_denied_record(
    *, user: Any, reference: str, route: str, path: str, exists: bool, case_id: int | None
) -> AuditEvent:
    """Record that ``user`` asked for a case (or its referral or attachment) they may not
    see: who, the reference asked for and through what. The user was given the same 404
    as for one that does not exist; the event is on the case when there is one, so the
    case's timeline shows who tried to open it."""
    return audit_record(
        actor=user,
        verb=AuditVerb.ACCESS_DENIED,
        case=Case.objects.filter(pk=case_id).first() if case_id else None,
        data={"reference": reference, "route": route, "path": path, "exists": exists},
    )


@transaction.atomic
def chronology_record(
    *,
    user: Any,
    subject: str,
    export_format: str,
    cases: Iterable[Case],
    count: int,
    case: Case | None = None,
    person: Person | None = None,
) -> AuditEvent:
    """Record that ``user`` produced a chronology (on screen, PDF or CSV): of what, which
    cases it covers and how many entries, so a copy that leaves Safecase is traceable."""
    return audit_record(
        actor=user,
        verb=AuditVerb.CHRONOLOGY_PRODUCED,
        case=case,
        target=person if person is not None else case,
        data={
            "subject": subject,
            "format": export_format,
            "cases": [c.reference for c in cases],
            "count": count,
        },
    )


@transaction.atomic
def case_list_record(
    *, user: Any, filters: Mapping[str, Any], count: int | None, page: int = 1
) -> AuditEvent:
    """Record one look at a list of cases: the filters, which page and how many cases
    matched (None where the list does not count them, a dashboard's panels). One event
    for the request, never one per case shown."""
    return audit_record(
        actor=user,
        verb=AuditVerb.CASES_LISTED,
        data={"filters": dict(filters), "count": count, "page": page},
    )


@transaction.atomic
def person_view_record(*, user: Any, person: Person) -> AuditEvent:
    """Record that ``user`` opened a person's page (a person is case content)."""
    return audit_record(actor=user, verb=AuditVerb.PERSON_VIEWED, target=person)


@transaction.atomic
def audit_search_record(
    *, user: Any, filters: Mapping[str, Any], count: int, page: int = 1
) -> AuditEvent:
    """Record an auditor's search of the audit log: an auditor's reads are logged too."""
    return audit_record(
        actor=user,
        verb=AuditVerb.AUDIT_SEARCHED,
        data={"filters": dict(filters), "count": count, "page": page},
    )


@transaction.atomic
def audit_export_record(*, user: Any, filters: Mapping[str, Any], count: int) -> AuditEvent:
    """Record a CSV export of the audit log: the search it was and how many rows left."""
    return audit_record(
        actor=user,
        verb=AuditVerb.AUDIT_EXPORTED,
        data={"filters": dict(filters), "count": count},
    )


# Editing case, person and premises fields (audited with before and after) ----------------

PERSON_EDITABLE = (
    "given_names",
    "family_name",
    "aliases",
    "date_of_birth",
    "estimated_age",
    "gender",
    "phone",
    "email",
    "address",
)
PREMISES_EDITABLE = ("address", "postcode", "tenure", "landlord")
MAX_ESTIMATED_AGE = 120


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise StaleCase(
            "This case has changed since you opened it. Reload it and try again.",
            state=case.state,
        )


def _clean_fields(
    model: type[Model], fields: Mapping[str, Any], editable: Iterable[str]
) -> dict[str, Any]:
    """Each given field's value, cleaned and validated by the model field (length,
    choices, dates, email); blank strings become NULL where the column allows it."""
    unknown = sorted(set(fields) - set(editable))
    if unknown:
        raise ValidationError({name: ["This cannot be changed here."] for name in unknown})
    clean, errors = {}, {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        if isinstance(value, str):
            value = value.strip()
        if value in ("", None) and field.null:
            value = None
        try:
            clean[name] = field.clean(value, None)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


def _changes(instance: Model, clean: Mapping[str, Any]) -> tuple[dict, dict]:
    """(before, after) of the fields whose value differs; both empty when none does."""
    changed = [name for name, value in clean.items() if getattr(instance, name) != value]
    before = {name: getattr(instance, name) for name in changed}
    after = {name: clean[name] for name in changed}
    return before, after


def _may_edit_any(cases: Iterable[Case], user: Any) -> bool:
    return any(lead_may(case, user) for case in cases)


def person_may_edit(user: Any, person: Person) -> bool:
    """A lead of the team of a case the person is linked to (cleared for a restricted
    one) may correct the person's details; no one else (DESIGN.md "Access"). The cases
    are read by a statement compiled once (``casework.statements``): the person page
    asks at every visit."""
    cases = compiled_objects(("cases of a person",), _cases_of_person, (person.pk,))
    return _may_edit_any(cases, user)


def _cases_of_person(person_id: int) -> QuerySet[Case]:
    return Case.objects.filter(case_people__person_id=person_id).distinct().defer("details")


def premises_may_edit(user: Any, premises: Premises) -> bool:
    """A lead of the team of a case about these premises may correct them."""
    return _may_edit_any(Case.objects.filter(premises=premises), user)


@transaction.atomic
def case_summary_update(
    *, case: Case, actor: Any, summary: str, expected_version: int | None = None
) -> Case:
    """Correct a case's summary of the concern: leads of the case's team only, refused
    (409) when the case changed since ``expected_version``. Audited with the summary
    before and after; nothing is written when it is unchanged."""
    case = _locked_case(case)
    _require_lead(case, actor)
    _check_version(case, expected_version)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": ["Enter a summary of the concern."]})
    if summary == case.summary:
        return case
    before = case.summary
    with pghistory.context(user=actor.pk, service="case_summary_update"):
        Case.objects.filter(pk=case.pk).update(
            summary=summary, version=F("version") + 1, updated_at=timezone.now()
        )
    case.refresh_from_db(fields=["summary", "version", "updated_at"])
    search_index_update([case.pk])
    audit_record(
        actor=actor,
        verb=AuditVerb.CASE_UPDATED,
        case=case,
        target=case,
        data={"before": {"summary": before}, "after": {"summary": summary}},
    )
    return case


def _person_rules(clean: dict[str, Any]) -> None:
    errors = {}
    born = clean.get("date_of_birth")
    if born is not None and born > timezone.localdate():
        errors["date_of_birth"] = ["Date of birth must be today or in the past."]
    elif born is not None and born < EARLIEST_DATE:
        errors["date_of_birth"] = ["Date of birth must be in 1900 or later."]
    age = clean.get("estimated_age")
    if age is not None and age > MAX_ESTIMATED_AGE:
        errors["estimated_age"] = [f"Estimated age must be {MAX_ESTIMATED_AGE} or less."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def person_update(*, person: Person, actor: Any, **fields: Any) -> Person:
    """Correct a person's details (names, date of birth or estimated age, gender,
    contact details, address): leads of a case the person is linked to. Audited with the
    changed fields before and after and the cases they are linked to; nothing is written
    when nothing changed."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    cases = list(Case.objects.filter(case_people__person=person).distinct().order_by("pk"))
    if not _may_edit_any(cases, actor):
        raise PermissionDenied("Only a lead of one of the person's cases can change them.")
    clean = _clean_fields(Person, fields, PERSON_EDITABLE)
    _person_rules(clean)
    before, after = _changes(person, clean)
    if not after:
        return person
    for name, value in after.items():
        setattr(person, name, value)
    with pghistory.context(user=actor.pk, service="person_update"):
        person.save(update_fields=list(after))
    search_index_update(c.pk for c in cases)
    audit_record(
        actor=actor,
        verb=AuditVerb.PERSON_UPDATED,
        target=person,
        data={"before": before, "after": after, "cases": [c.reference for c in cases]},
    )
    return person


@transaction.atomic
def premises_update(*, premises: Premises, actor: Any, **fields: Any) -> Premises:
    """Correct the premises of a case (address, postcode, tenure, landlord): leads of a
    case about them. The address cannot be blank. Audited with the changed fields before
    and after; nothing is written when nothing changed."""
    premises = Premises.objects.select_for_update().get(pk=premises.pk)
    cases = list(Case.objects.filter(premises=premises).order_by("pk"))
    if not _may_edit_any(cases, actor):
        raise PermissionDenied("Only a lead of a case about these premises can change them.")
    if "address" in fields and not str(fields["address"] or "").strip():
        raise ValidationError({"address": ["Enter the address of the premises."]})
    if isinstance(fields.get("postcode"), str):
        fields["postcode"] = " ".join(fields["postcode"].upper().split())
    clean = _clean_fields(Premises, fields, PREMISES_EDITABLE)
    before, after = _changes(premises, clean)
    if not after:
        return premises
    for name, value in after.items():
        setattr(premises, name, value)
    with pghistory.context(user=actor.pk, service="premises_update"):
        premises.save(update_fields=list(after))
    search_index_update(c.pk for c in cases)
    audit_record(
        actor=actor,
        verb=AuditVerb.PREMISES_UPDATED,
        target=premises,
        data={"before": before, "after": after, "cases": [c.reference for c in cases]},
    )
    return premises
