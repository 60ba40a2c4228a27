"""The access matrix: every route, every role, every relation of user to case.

Routes are enumerated from the URL configuration, so a route added without an entry in
``MATRIX`` fails ``test_every_route_has_an_entry``. Expected outcomes are written out by
hand from DESIGN.md "Access" (never computed with the code under test):

- 200 / 204 / 302 / 405: what a permitted request gets (302 = the page redirects on);
- ``LOGIN``: an anonymous request is sent to the sign-in page;
- 401: an anonymous request to the API, which answers rather than redirects;
- 403: the user can see the case (or is signed in) but may not do this;
- 404: the case is hidden from them, which looks exactly like a missing one.

The raiser of a case who holds no other relation to it sees its status and their own
contributions (issue 17): its history, referrals and clocks are hidden from them (404 on
the pages, 403 from the API, which has told them the case exists), and they may add
notes and files to it.

Relations of a user to a case: ``raised`` (they raised it), ``allocated`` (it is allocated
to them), ``same_team`` (their team's case), ``other_team``, ``prevent`` (a Prevent case of
their team raised by someone else) and ``prevent_raised`` (a Prevent case they raised,
which they may know only as received).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from casework.api_tokens import api_token_issue
from casework.models import (
    ApiToken,
    Case,
    CaseAttachment,
    CasePerson,
    Person,
    Premises,
    StaffApproval,
    Team,
)
from casework.notes import attachment_path
from casework.roles import Role
from casework.services import prevent_clearance_set, user_ensure
from footage.models import Camera, FootageRequest
from notifications.models import Notification, OutboxMessage
from notifications.services import worker_heartbeat_record
from referrals.models import PartnerAgency, Referral
from reports.models import Indicator
from tests.conftest import DEMO_PASSWORD
from workflows.models import BankHoliday, Deadline, IntakeDraft

LOGIN = "login"
# "auditor" has no Prevent clearance; "cleared_auditor" has it (RULES.md §4.5, issue 15).
# "analyst" is a partnership analyst: figures and reports, no case (issue 21).
ROLES = [
    "anonymous", "frontline", "lead", "prevent_lead", "auditor", "cleared_auditor",
    "administrator", "analyst",
]  # fmt: skip
RELATIONS = ["raised", "allocated", "same_team", "other_team", "prevent", "prevent_raised"]
# Relations a role can have at all (auditors and administrators raise nothing and are
# allocated nothing).
APPLIES = {
    "anonymous": ["same_team", "other_team", "prevent"],
    "frontline": RELATIONS,
    "lead": ["raised", "allocated", "same_team", "other_team", "prevent"],
    "prevent_lead": ["raised", "allocated", "same_team", "other_team", "prevent"],
    "auditor": ["same_team", "other_team", "prevent"],
    "cleared_auditor": ["same_team", "other_team", "prevent"],
    "administrator": ["same_team", "other_team", "prevent"],
    "analyst": ["same_team", "other_team", "prevent"],
}


def per_relation(**by_role: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Outcomes by role and relation. ``auditor`` is what a cleared auditor gets unless
    ``uncleared_auditor`` is given: an auditor without Prevent clearance finds nothing
    of a Prevent case (404), as an uncleared lead does, except where the route refuses
    every auditor before looking the case up."""
    table = {"anonymous": dict.fromkeys(APPLIES["anonymous"], LOGIN)}
    uncleared = by_role.pop("uncleared_auditor", None)
    table.update(by_role)
    if "auditor" in table and "cleared_auditor" not in by_role:  # not derived twice
        cleared = table["auditor"]
        table["cleared_auditor"] = cleared
        table["auditor"] = uncleared or {**cleared, "prevent": 404}
    return table


# Reading a case (or something of it): visible -> 200, hidden -> 404.
READ = per_relation(
    frontline={"raised": 200, "allocated": 200, "same_team": 404, "other_team": 404,
               "prevent": 404, "prevent_raised": 200},
    lead={"raised": 200, "allocated": 200, "same_team": 200, "other_team": 404, "prevent": 404},
    prevent_lead={"raised": 200, "allocated": 200, "same_team": 200, "other_team": 404,
                  "prevent": 200},
    auditor={"same_team": 200, "other_team": 200, "prevent": 200},
    administrator={"same_team": 404, "other_team": 404, "prevent": 404},
    analyst={"same_team": 404, "other_team": 404, "prevent": 404},
)  # fmt: skip
# A person linked to the case: as READ, but the raiser of a Prevent case, who knows it
# only as received, does not learn who is linked to it.
PERSON = per_relation(**{**READ, "frontline": {**READ["frontline"], "prevent_raised": 404}})
# A lead's action on a case (a transition, pausing a clock): leads of the case's team
# (cleared for Prevent) may; others who can see the case get 403.
ACT = per_relation(
    frontline={"raised": 403, "allocated": 403, "same_team": 404, "other_team": 404,
               "prevent": 404, "prevent_raised": 403},
    lead={"raised": 200, "allocated": 200, "same_team": 200, "other_team": 404, "prevent": 404},
    prevent_lead={"raised": 200, "allocated": 200, "same_team": 200, "other_team": 404,
                  "prevent": 200},
    auditor={"same_team": 403, "other_team": 403, "prevent": 403},
    administrator={"same_team": 404, "other_team": 404, "prevent": 404},
    analyst={"same_team": 404, "other_team": 404, "prevent": 404},
)  # fmt: skip
# The confirmation page after raising a concern: only for the person who raised it; a
# role that raises nothing is refused before any case is looked up (403 whatever the case).
RAISED_CONFIRMATION = per_relation(
    frontline={"raised": 200, "allocated": 404, "same_team": 404, "other_team": 404,
               "prevent": 404, "prevent_raised": 200},
    lead={"raised": 200, "allocated": 404, "same_team": 404, "other_team": 404, "prevent": 404},
    prevent_lead={"raised": 200, "allocated": 404, "same_team": 404, "other_team": 404,
                  "prevent": 404},
    auditor={"same_team": 403, "other_team": 403, "prevent": 403},
    uncleared_auditor={"same_team": 403, "other_team": 403, "prevent": 403},
    administrator={"same_team": 403, "other_team": 403, "prevent": 403},
    analyst={"same_team": 403, "other_team": 403, "prevent": 403},
)  # fmt: skip


def by_role(
    anonymous: Any = LOGIN, *, raising: Any, auditor: Any, administrator: Any, analyst: Any
) -> dict[str, Any]:
    """Outcomes for a route with no case: frontline and leads share ``raising``."""
    return {
        "anonymous": anonymous,
        "frontline": raising,
        "lead": raising,
        "prevent_lead": raising,
        "auditor": auditor,
        "cleared_auditor": auditor,
        "administrator": administrator,
        "analyst": analyst,
    }


EVERYONE_200 = by_role(200, raising=200, auditor=200, administrator=200, analyst=200)
SIGNED_IN_200 = by_role(raising=200, auditor=200, administrator=200, analyst=200)
RAISERS_ONLY = by_role(raising=200, auditor=403, administrator=403, analyst=403)
# The auditor's workspace: auditors only, whatever the case (refused before any lookup).
AUDITORS_ONLY = by_role(raising=403, auditor=200, administrator=403, analyst=403)
# Staff administration (issue 20): administrators only, refused before any lookup.
ADMINISTRATORS_ONLY = by_role(raising=403, auditor=403, administrator=200, analyst=403)
AUDIT_CASE = per_relation(
    **{
        role: dict.fromkeys(APPLIES[role], 403)
        for role in ROLES
        if role not in ("anonymous", "cleared_auditor")
    }
    | {"auditor": {"same_team": 200, "other_team": 200, "prevent": 200}}
)
# A person's page: as PERSON, but a raiser who sees the case only as its raiser (issue 17)
# does not open the pages of the people linked to it: what they gave is on the case page.
PERSON_PAGE = per_relation(**{**PERSON, "frontline": {**PERSON["frontline"], "raised": 404}})
# Correcting a person: as PERSON for who sees them, and of those only leads of one of
# their cases' teams (cleared for Prevent) may; others who see them get 403.
PERSON_EDIT = per_relation(
    frontline={"raised": 403, "allocated": 403, "same_team": 404, "other_team": 404,
               "prevent": 404, "prevent_raised": 404},
    lead={"raised": 200, "allocated": 200, "same_team": 200, "other_team": 404, "prevent": 404},
    prevent_lead={"raised": 200, "allocated": 200, "same_team": 200, "other_team": 404,
                  "prevent": 200},
    auditor={"same_team": 403, "other_team": 403, "prevent": 403},
    administrator={"same_team": 404, "other_team": 404, "prevent": 404},
    analyst={"same_team": 404, "other_team": 404, "prevent": 404},
)  # fmt: skip
# Correcting a case's premises: as ACT, but the raiser of a Prevent case, who knows it
# only as received, does not learn that it has premises (404).
PREMISES_EDIT = per_relation(**{**ACT, "frontline": {**ACT["frontline"], "prevent_raised": 404}})


def premises_edit_url(world: World, case: Case) -> str:
    """The case's premises page; the matrix's cases get premises the first time."""
    if case.premises_id is None:
        case.premises = Premises.objects.create(address=f"1 {case.reference} Road")
        Case.objects.filter(pk=case.pk).update(premises=case.premises)
    return f"/cases/{case.reference}/premises/edit/"


# The workflows reference (issue 19): safeguarding leads and administrators only.
LEADS_AND_ADMINISTRATORS = {
    **by_role(raising=200, auditor=403, administrator=200, analyst=403),
    "frontline": 403,
}


# Defining indicators and entering their values (issue 21): administrators and analysts.
INDICATOR_MANAGERS = by_role(raising=403, auditor=403, administrator=200, analyst=200)


def indicator_code() -> str:
    """An indicator's code; the matrix's indicator is defined the first time."""
    Indicator.objects.get_or_create(
        code="ASB1",
        defaults={"name": "ASB incidents", "target": 100, "direction": "lower",
                  "breakdown": "district"},
    )  # fmt: skip
    return "ASB1"


def premises_detail_url(world: World, case: Case) -> str:
    """The premises page of the case's premises (given them as ``premises_edit_url``)."""
    premises_edit_url(world, case)
    return f"/premises/{case.premises_id}/"


# Referrals are part of a case's content: visible to exactly those who see the case in
# full (the raiser of a Prevent case, who knows it only as received, sees none: 404), and
# only the case's leads act on them (others who see them get 403).
# A frontline raiser sees the case only as its raiser: none of its referrals either.
REFERRAL_READ = per_relation(
    **{**READ, "frontline": {**READ["frontline"], "raised": 404, "prevent_raised": 404}}
)
REFERRAL_ACT = per_relation(
    **{**ACT, "frontline": {**ACT["frontline"], "raised": 404, "prevent_raised": 404}}
)
REFERRAL_FOR = {"cse": "mash_referral", "prevent": "prevent_referral"}
# The case state where a partner's decision applies, and a decision to record.
DECISION_FOR = {
    "cse": ("referred_to_mash", "early_help"),
    "prevent": ("referral_submitted", "referred_to_channel"),
}


def referral_of(case: Case, *, sent: bool = False) -> Referral:
    """The case's referral, made the first time: a draft, or sent with a lawful basis."""
    referral = Referral.objects.filter(case=case).first()
    if referral is None:
        partner, _ = PartnerAgency.objects.get_or_create(
            name="Matrix partner", defaults={"kind": "other"}
        )
        now = timezone.now() if sent else None
        referral = Referral.objects.create(
            case=case, partner=partner, referral_type=REFERRAL_FOR[case.case_type],
            created_by=case.raised_by, state="sent" if sent else "draft", sent_at=now,
            consent_given=sent, authorised_by=case.raised_by if sent else None,
            authorised_at=now,
        )  # fmt: skip
    return referral


# Notes and attachments: whoever may work on the case adds them (its team's leads, cleared
# for Prevent, and the worker it is allocated to) and its raiser (their own contributions,
# issue 17); others who can see it get 403. The raiser of a Prevent case, who knows it
# only as received, may add too, to pass on what they learn (issue 19). They are read by
# exactly those who see the case in full, and by its raiser those they added (the
# matrix's attachment is the raiser's own).
WORK = per_relation(
    **{**ACT, "frontline": {**ACT["frontline"], "raised": 200, "allocated": 200,
                            "prevent_raised": 200}}
)  # fmt: skip
CASE_CONTENT = PERSON
# The case's full history: only for those who see the case in full.
FULL_HISTORY = REFERRAL_READ


def attachment_url(world: World, case: Case) -> str:
    """The case's attachment, made (with its stored file) the first time."""
    attachment = CaseAttachment.objects.filter(case=case).first()
    if attachment is None:
        stored_name = secrets.token_hex(20)
        path = attachment_path(stored_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"Matrix attachment\n")
        attachment = CaseAttachment.objects.create(
            case=case, uploaded_by=case.raised_by, original_name="matrix.txt",
            content_type="text/plain", size=18, sha256="0" * 64, stored_name=stored_name,
            created_at=timezone.now(),
        )  # fmt: skip
    return f"/cases/{case.reference}/attachments/{attachment.pk}/"


def referral_url(suffix: str) -> Callable[[World, Case], str]:
    return lambda w, c: f"/referrals/{referral_of(c).pk}/{suffix}"


def referral_decision_url(world: World, case: Case) -> str:
    """A sent referral's decision, on a case moved to where the decision applies."""
    ready, decision = DECISION_FOR[case.case_type]
    Case.objects.filter(pk=case.pk).update(state=ready)
    referral = referral_of(case, sent=True)
    return f"/referrals/{referral.pk}/actions/record_decision/{decision}/"


@dataclasses.dataclass(frozen=True)
class Route:
    """How to request a route and what each role (and relation) should get."""

    url: Callable[[World, Case | None], str]
    expect: dict[str, Any]
    method: str = "get"
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    # JSON for the API (which takes nothing else); None sends a form, as a browser does.
    content_type: str | None = None

    @property
    def per_case(self) -> bool:
        return isinstance(self.expect.get("frontline"), dict)


ACTION_FOR = {"cse": "refer_to_mash", "prevent": "submit_referral"}


# The JSON API (shared/API.md): as the pages, except that an anonymous request is 401
# (no redirect), and the raiser of a Prevent case, who knows it only as received, sees
# that record (200) but is refused its history, deadlines and steps (403).
def api_outcomes(table: dict[str, Any]) -> dict[str, Any]:
    anonymous = table["anonymous"]
    return {**table, "anonymous": dict.fromkeys(anonymous, 401) if isinstance(anonymous, dict)
            else 401}  # fmt: skip


API_SIGNED_IN = api_outcomes(SIGNED_IN_200)
API_READ = api_outcomes(READ)
API_CONTENT = api_outcomes(
    per_relation(
        **{**READ, "frontline": {**READ["frontline"], "raised": 403, "prevent_raised": 403}}
    )
)
API_ACT = api_outcomes(ACT)


def allowed_as(table: dict[str, Any], status: int) -> dict[str, Any]:
    """``table`` with its 200s answered ``status``: a permitted request whose input fails."""
    return {
        role: {rel: status if out == 200 else out for rel, out in by_rel.items()}
        for role, by_rel in table.items()
    }


# Drafting a referral with an empty body: refused as ACT, else 400 (no type given).
API_REFER = api_outcomes(allowed_as(ACT, 400))
# A referral is its case's content; sending an empty draft is 400 for the case's leads.
API_REFERRAL_READ = api_outcomes(REFERRAL_READ)
API_REFERRAL_ACT = api_outcomes(allowed_as(REFERRAL_ACT, 400))
# Both actions' fields (cse refer_to_mash, prevent submit_referral): each takes its own.
API_STEP = {
    "version": 1, "referral_method": "marf", "police_informed": False,
    "referral_submitted_on": "2026-01-05", "submitted_to": "Police", "mash_informed": False,
    # The lawful basis both steps record for their disclosure (issue 15).
    "art6_basis": "uk_gdpr_6_1_e", "special_category_shared": "yes",
    "special_category_condition": "dpa_2018_sch1_para18",
    "sharing_reason": "Risk of harm.", "shared_what": "The referral.", "shared_with": "MASH",
}  # fmt: skip


def api_step_url(world: World, case: Case) -> str:
    """The case as the World made it (a role before may have moved it on), and its step."""
    Case.objects.filter(pk=case.pk).update(state="concern_raised", version=1)
    return f"/api/v1/cases/{case.reference}/transitions/{ACTION_FOR[case.case_type]}/"


def readyz_url() -> str:
    """Readiness, with a worker running (its heartbeat recorded just now)."""
    worker_heartbeat_record(name="celery@matrix")
    return "/readyz"


def draft_delete_url(world: World, case: Case | None) -> str:
    """Deleting a draft: each user who may raise concerns has a draft of their own."""
    for role in ("frontline", "lead", "prevent_lead"):
        IntakeDraft.objects.get_or_create(
            author=world.users[role], case_type="cse", defaults={"data": {"summary": "Draft"}}
        )
    return "/concerns/drafts/cse/delete/"


def footage_request_of(world: World) -> FootageRequest:
    """A footage request that frontline.north made for the north team (made once)."""
    request = FootageRequest.objects.first()
    if request is None:
        camera, _ = Camera.objects.get_or_create(
            camera_id="CAM-M1", defaults={"location": "Matrix"}
        )
        now = timezone.now()
        request = FootageRequest.objects.create(
            team=world.teams["north"], requester_type="police", requester_name="PC Matrix",
            incident_reference="M/1", window_start=now - timezone.timedelta(days=1),
            window_end=now - timezone.timedelta(hours=23), reason="Matrix",
            requested_by=world.users["frontline"], requested_at=now,
            overwrite_at=now + timezone.timedelta(days=30),
            preserve_by=now + timezone.timedelta(days=28),
        )  # fmt: skip
        request.cameras.set([camera])
    return request


# Footage requests (footage/, not cases): the asker, the leads of the request's team and
# auditors read one; administrators see no content (404, or 403 for the lists); only a
# lead of its team acts on it.
FOOTAGE_LIST = by_role(raising=200, auditor=200, administrator=403, analyst=403)
FOOTAGE_READ = {"anonymous": LOGIN, "frontline": 200, "lead": 200, "prevent_lead": 200,
                "auditor": 200, "cleared_auditor": 200, "administrator": 404,
                "analyst": 404}  # fmt: skip
FOOTAGE_ACT = {**FOOTAGE_READ, "frontline": 403, "auditor": 403, "cleared_auditor": 403}
# The API: 401 for no credentials; acting with an empty body is 400 for the leads.
API_FOOTAGE_LIST = {**FOOTAGE_LIST, "anonymous": 401}
API_FOOTAGE_READ = {**FOOTAGE_READ, "anonymous": 401}
API_FOOTAGE_ACT = {**FOOTAGE_ACT, "anonymous": 401, "lead": 400, "prevent_lead": 400}


# Reports (issue 21): partnership analysts, leads (their teams' figures) and auditors;
# frontline staff and administrators are refused.
REPORTS = {"anonymous": LOGIN, "frontline": 403, "lead": 200, "prevent_lead": 200,
           "auditor": 200, "cleared_auditor": 200, "administrator": 403,
           "analyst": 200}  # fmt: skip


MATRIX: dict[str, Route] = {
    "reports:index": Route(lambda w, c: "/reports/", REPORTS),
    "reports:community-trigger": Route(lambda w, c: "/reports/community-trigger/", REPORTS),
    "reports:community-trigger-csv": Route(lambda w, c: "/reports/community-trigger.csv", REPORTS),
    # The cases behind a figure: a partnership analyst sees figures, never cases.
    "reports:community-trigger-cases": Route(
        lambda w, c: "/reports/community-trigger/cases/?figure=applications_received",
        {**REPORTS, "analyst": 403},
    ),
    "reports:case-statistics": Route(lambda w, c: "/reports/case-statistics/", REPORTS),
    "reports:case-statistics-csv": Route(lambda w, c: "/reports/case-statistics.csv", REPORTS),
    "reports:emerging-risks": Route(lambda w, c: "/reports/emerging-risks/", REPORTS),
    "reports:emerging-risks-csv": Route(lambda w, c: "/reports/emerging-risks.csv", REPORTS),
    "healthz": Route(lambda w, c: "/healthz", EVERYONE_200),
    "readyz": Route(lambda w, c: readyz_url(), EVERYONE_200),
    "login": Route(
        lambda w, c: "/sign-in/",
        by_role(200, raising=302, auditor=302, administrator=302, analyst=302),
    ),  # fmt: skip
    # Signing out ends on the sign-in page, whoever asks.
    "logout": Route(
        lambda w, c: "/sign-out/",
        by_role(LOGIN, raising=LOGIN, auditor=LOGIN, administrator=LOGIN, analyst=LOGIN),
        method="post",
    ),
    # The second step of signing in needs a password given in the same session first;
    # without one, back to the sign-in page (issue 17, casework.sign_in_views).
    "two-factor-code": Route(
        lambda w, c: "/sign-in/code/",
        by_role(raising=LOGIN, auditor=LOGIN, administrator=LOGIN, analyst=LOGIN),
    ),
    "two-factor-recovery": Route(
        lambda w, c: "/sign-in/recovery-code/",
        by_role(raising=LOGIN, auditor=LOGIN, administrator=LOGIN, analyst=LOGIN),
    ),
    # Setting up an app: one's own (none of the matrix's users has one yet).
    "two-factor-set-up": Route(lambda w, c: "/sign-in/set-up/", SIGNED_IN_200),
    # Recovery codes are shown once, straight after setting up: otherwise on to the
    # account page.
    "two-factor-recovery-codes": Route(
        lambda w, c: "/sign-in/recovery-codes/",
        by_role(raising=302, auditor=302, administrator=302, analyst=302),
    ),
    "account-two-factor": Route(lambda w, c: "/account/two-factor/", SIGNED_IN_200),
    "account-api-tokens": Route(lambda w, c: "/account/api-tokens/", SIGNED_IN_200),
    # Someone else's token: never theirs to revoke (administrators use the staff pages).
    "account-api-token-revoke": Route(
        lambda w, c: f"/account/api-tokens/{others_token(w).pk}/revoke/",
        by_role(raising=404, auditor=404, administrator=404, analyst=404),
        method="post",
    ),
    "session-keep-alive": Route(
        lambda w, c: "/session/keep-alive/",
        by_role(raising=204, auditor=204, administrator=204, analyst=204),
        method="post",
    ),
    # The Django admin is for superusers only (issue 20): every role is sent to its sign-in.
    "django-admin": Route(
        lambda w, c: "/django-admin/",
        by_role(302, raising=302, auditor=302, administrator=302, analyst=302),
    ),
    "home": Route(lambda w, c: "/", SIGNED_IN_200),
    # A partnership analyst sees figures, never a list of cases.
    "case-list": Route(lambda w, c: "/cases/", {**SIGNED_IN_200, "analyst": 403}),
    # The triage queue is a lead's (issue 19).
    "triage-queue": Route(
        lambda w, c: "/triage/",
        {**REPORTS, "auditor": 403, "cleared_auditor": 403, "analyst": 403},
    ),
    "case-detail": Route(lambda w, c: f"/cases/{c.reference}/", READ),
    "case-action": Route(
        lambda w, c: f"/cases/{c.reference}/actions/{ACTION_FOR[c.case_type]}/", ACT
    ),
    "deadline-pause": Route(
        lambda w, c: f"/cases/{c.reference}/deadlines/{w.deadline(c).pk}/pause/", ACT
    ),
    "deadline-resume": Route(
        lambda w, c: f"/cases/{c.reference}/deadlines/{w.deadline(c).pk}/resume/", ACT
    ),
    "case-allocate": Route(lambda w, c: f"/cases/{c.reference}/allocate/", ACT),
    "case-access": Route(lambda w, c: f"/cases/{c.reference}/access/", ACT),
    "case-link": Route(lambda w, c: f"/cases/{c.reference}/links/", ACT),
    "case-related": Route(lambda w, c: f"/cases/{c.reference}/related/new/", ACT),
    "person-detail": Route(lambda w, c: f"/people/{w.subject(c).pk}/", PERSON_PAGE),
    # Premises, as a person: only where a case at them is seen in full.
    "premises-detail": Route(premises_detail_url, PERSON),
    "workflows:concern-type": Route(lambda w, c: "/concerns/new/", RAISERS_ONLY),
    "workflows:concern-form": Route(lambda w, c: "/concerns/new/cse/", RAISERS_ONLY),
    "workflows:concern-check": Route(
        lambda w, c: "/concerns/new/cse/check/",
        by_role(
            raising=302, auditor=403, administrator=403, analyst=403
        ),  # no draft: back to the form
    ),
    # Autosaving a draft (the user's own, never a concern raised).
    "workflows:draft-save": Route(
        lambda w, c: "/concerns/drafts/cse/",
        RAISERS_ONLY,
        method="post",
        data={"summary": "Matrix draft"},
    ),
    "workflows:draft-delete": Route(draft_delete_url, RAISERS_ONLY),
    # The accessibility statement is public.
    "accessibility": Route(lambda w, c: "/accessibility/", EVERYONE_200),
    "workflows:concern-raised": Route(
        lambda w, c: f"/concerns/raised/{c.reference}/", RAISED_CONFIRMATION
    ),
    "workflows:workflow-list": Route(lambda w, c: "/workflows/", LEADS_AND_ADMINISTRATORS),
    "workflows:workflow-detail": Route(lambda w, c: "/workflows/cse/", LEADS_AND_ADMINISTRATORS),
    # Reminders that reached nobody: references and clock labels, for administrators.
    "workflows:reminders-unheard": Route(
        lambda w, c: "/reminders/nobody-told/",
        by_role(raising=403, auditor=403, administrator=200, analyst=403),
    ),
    "notifications:notification-list": Route(lambda w, c: "/notifications/", SIGNED_IN_200),
    "notifications:notification-read": Route(
        # Someone else's notification: never theirs to read.
        lambda w, c: f"/notifications/{w.others_notification().pk}/read/",
        by_role(raising=404, auditor=404, administrator=404, analyst=404),
        method="post",
    ),
    "notifications:notification-read-all": Route(
        lambda w, c: "/notifications/read-all/",
        by_role(raising=302, auditor=302, administrator=302, analyst=302),
        method="post",
    ),
    "notifications:notification-preferences": Route(
        lambda w, c: "/notifications/preferences/", SIGNED_IN_200
    ),
    "case-summary-edit": Route(lambda w, c: f"/cases/{c.reference}/summary/edit/", ACT),
    "case-history": Route(lambda w, c: f"/cases/{c.reference}/history/", FULL_HISTORY),
    "case-note-add": Route(lambda w, c: f"/cases/{c.reference}/notes/new/", WORK),
    "case-attachment-add": Route(lambda w, c: f"/cases/{c.reference}/attachments/new/", WORK),
    "case-attachment-download": Route(attachment_url, CASE_CONTENT),
    "premises-edit": Route(premises_edit_url, PREMISES_EDIT),
    "person-edit": Route(lambda w, c: f"/people/{w.subject(c).pk}/edit/", PERSON_EDIT),
    "audit:search": Route(lambda w, c: "/audit/", AUDITORS_ONLY),
    "staff:people": Route(lambda w, c: "/staff/people/", ADMINISTRATORS_ONLY),
    "staff:person-add": Route(lambda w, c: "/staff/people/new/", ADMINISTRATORS_ONLY),
    "staff:person-detail": Route(
        lambda w, c: f"/staff/people/{w.users['lead'].pk}/", ADMINISTRATORS_ONLY
    ),
    "staff:person-change": Route(
        lambda w, c: f"/staff/people/{w.users['lead'].pk}/change/", ADMINISTRATORS_ONLY
    ),
    "staff:person-action": Route(
        lambda w, c: f"/staff/people/{w.users['lead'].pk}/deactivate/", ADMINISTRATORS_ONLY
    ),
    "staff:approval": Route(
        lambda w, c: f"/staff/approvals/{w.approval().pk}/", ADMINISTRATORS_ONLY
    ),
    "staff:teams": Route(lambda w, c: "/staff/teams/", ADMINISTRATORS_ONLY),
    "staff:team-add": Route(lambda w, c: "/staff/teams/new/", ADMINISTRATORS_ONLY),
    "staff:team-change": Route(
        lambda w, c: f"/staff/teams/{w.teams['north'].pk}/", ADMINISTRATORS_ONLY
    ),
    "staff:partners": Route(lambda w, c: "/staff/partners/", ADMINISTRATORS_ONLY),
    "staff:partner-add": Route(lambda w, c: "/staff/partners/new/", ADMINISTRATORS_ONLY),
    "staff:partner-change": Route(
        lambda w, c: f"/staff/partners/{w.partner().pk}/", ADMINISTRATORS_ONLY
    ),
    "staff:partner-response-time": Route(
        lambda w, c: f"/staff/partners/{w.partner().pk}/response-time/", ADMINISTRATORS_ONLY
    ),
    "staff:bank-holidays": Route(lambda w, c: "/staff/bank-holidays/", ADMINISTRATORS_ONLY),
    "staff:bank-holiday-add": Route(lambda w, c: "/staff/bank-holidays/new/", ADMINISTRATORS_ONLY),
    "staff:bank-holiday-remove": Route(
        lambda w, c: f"/staff/bank-holidays/{w.bank_holiday().pk}/remove/", ADMINISTRATORS_ONLY
    ),
    "staff:timescales": Route(lambda w, c: "/staff/timescales/", ADMINISTRATORS_ONLY),
    "staff:timescale-change": Route(
        lambda w, c: "/staff/timescales/modern_slavery/rg_decision/", ADMINISTRATORS_ONLY
    ),
    # The one-time password link is the member of staff's own: no sign-in, and a link
    # that is not valid is 400 for everyone.
    "staff:set-password": Route(
        lambda w, c: "/staff/set-password/MQ/not-a-token/",
        by_role(400, raising=400, auditor=400, administrator=400, analyst=400),
    ),
    # Performance figures (issue 21): leads (their teams'), auditors and partnership
    # analysts; the indicators are defined and their values entered by administrators and
    # partnership analysts, who see no case.
    "reports:indicator-list": Route(lambda w, c: "/reports/indicators/", REPORTS),
    "reports:indicator-detail": Route(
        lambda w, c: f"/reports/indicators/{indicator_code()}/", REPORTS
    ),
    "reports:indicators-manage": Route(
        lambda w, c: "/reports/indicators/manage/", INDICATOR_MANAGERS
    ),
    "reports:indicator-new": Route(
        lambda w, c: "/reports/indicators/manage/new/", INDICATOR_MANAGERS
    ),
    "reports:indicator-edit": Route(
        lambda w, c: f"/reports/indicators/manage/{indicator_code()}/edit/", INDICATOR_MANAGERS
    ),
    "reports:indicator-value-enter": Route(
        lambda w, c: "/reports/indicators/manage/values/", INDICATOR_MANAGERS
    ),
    "reports:indicator-values-upload": Route(
        lambda w, c: "/reports/indicators/manage/upload/", INDICATOR_MANAGERS
    ),
    "reports:committee-pack": Route(lambda w, c: "/reports/committee-pack/", REPORTS),
    "reports:committee-pack-download": Route(lambda w, c: "/reports/committee-pack/csv/", REPORTS),
    "audit:export": Route(lambda w, c: "/audit/export.csv", AUDITORS_ONLY),
    "audit:case-timeline": Route(lambda w, c: f"/audit/cases/{c.reference}/", AUDIT_CASE),
    "audit:case-chronology": Route(
        lambda w, c: f"/audit/cases/{c.reference}/chronology/", AUDIT_CASE
    ),
    "audit:person-chronology": Route(
        lambda w, c: f"/audit/people/{w.subject(c).pk}/chronology/", AUDIT_CASE
    ),
    "referrals:referral-type": Route(lambda w, c: f"/cases/{c.reference}/referrals/new/", ACT),
    "referrals:referral-create": Route(
        lambda w, c: f"/cases/{c.reference}/referrals/new/{REFERRAL_FOR[c.case_type]}/", ACT
    ),
    "referrals:referral-detail": Route(referral_url(""), REFERRAL_READ),
    "referrals:referral-print": Route(referral_url("print/"), REFERRAL_READ),
    "referrals:referral-pdf": Route(
        lambda w, c: f"/referrals/{referral_of(c).pk}.pdf", REFERRAL_READ
    ),
    "referrals:referral-edit": Route(referral_url("edit/"), REFERRAL_ACT),
    "referrals:referral-action": Route(referral_url("actions/send/"), REFERRAL_ACT),
    "referrals:referral-decision": Route(referral_decision_url, REFERRAL_ACT),
    # Signing in to the API: the same for everyone; an empty request is 400.
    "api:auth-token": Route(
        lambda w, c: "/api/v1/auth/token/",
        by_role(400, raising=400, auditor=400, administrator=400, analyst=400),
        method="post",
        content_type="application/json",
    ),
    "api:schema": Route(lambda w, c: "/api/schema/", API_SIGNED_IN),
    "api:docs": Route(lambda w, c: "/api/docs/", API_SIGNED_IN),
    "api:redoc": Route(lambda w, c: "/api/docs/redoc/", API_SIGNED_IN),
    "api:workflow-list": Route(lambda w, c: "/api/v1/workflows/", API_SIGNED_IN),
    "api:workflow-detail": Route(lambda w, c: "/api/v1/workflows/cse/", API_SIGNED_IN),
    "api:case-list": Route(lambda w, c: "/api/v1/cases/", {**API_SIGNED_IN, "analyst": 403}),
    "api:case-detail": Route(lambda w, c: f"/api/v1/cases/{c.reference}/", API_READ),
    "api:case-history": Route(lambda w, c: f"/api/v1/cases/{c.reference}/history/", API_CONTENT),
    "api:case-deadlines": Route(
        lambda w, c: f"/api/v1/cases/{c.reference}/deadlines/", API_CONTENT
    ),
    "api:case-transition": Route(
        api_step_url, API_ACT, method="post", data=API_STEP, content_type="application/json"
    ),
    "api:deadline-list": Route(lambda w, c: "/api/v1/deadlines/", API_SIGNED_IN),
    "api:partner-list": Route(lambda w, c: "/api/v1/partners/", API_SIGNED_IN),
    "api:case-referral-create": Route(
        lambda w, c: f"/api/v1/cases/{c.reference}/referrals/",
        API_REFER,
        method="post",
        content_type="application/json",
    ),
    "api:referral-detail": Route(
        lambda w, c: f"/api/v1/referrals/{referral_of(c).pk}/", API_REFERRAL_READ
    ),
    "api:referral-transition": Route(
        lambda w, c: f"/api/v1/referrals/{referral_of(c).pk}/transitions/send/",
        API_REFERRAL_ACT,
        method="post",
        data={"version": 1},
        content_type="application/json",
    ),
    "footage:request-list": Route(lambda w, c: "/footage/", FOOTAGE_LIST),
    "footage:request-new": Route(lambda w, c: "/footage/new/", RAISERS_ONLY),
    "footage:camera-list": Route(lambda w, c: "/footage/cameras/", SIGNED_IN_200),
    "footage:request-detail": Route(
        lambda w, c: f"/footage/{footage_request_of(w).pk}/", FOOTAGE_READ
    ),
    "footage:request-action": Route(
        lambda w, c: f"/footage/{footage_request_of(w).pk}/decide/", FOOTAGE_ACT
    ),
    "api:footage-request-list": Route(lambda w, c: "/api/v1/footage/requests/", API_FOOTAGE_LIST),
    "api:footage-request-detail": Route(
        lambda w, c: f"/api/v1/footage/requests/{footage_request_of(w).pk}/", API_FOOTAGE_READ
    ),
    "api:footage-request-action": Route(
        lambda w, c: f"/api/v1/footage/requests/{footage_request_of(w).pk}/decide/",
        API_FOOTAGE_ACT,
        method="post",
        data={"version": 1},
        content_type="application/json",
    ),
}


def enumerate_routes() -> set[str]:
    """Every named route of the project; the admin site counts as one route."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    names.add("django-admin")
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed route {pattern.pattern}: name it for the matrix"
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def test_every_route_has_an_entry():
    routes = enumerate_routes()
    missing = routes - set(MATRIX)
    stale = set(MATRIX) - routes
    assert not missing, f"routes without an access-matrix entry: {sorted(missing)}"
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


class World:
    """Users of every role and, for each, a case in every relation to them."""

    def __init__(self) -> None:
        self.teams = {t.slug: t for t in Team.objects.all()}
        self.users = {
            "frontline": self._user("frontline.north", Role.FRONTLINE, ["north"]),
            "lead": self._user("lead.north", Role.LEAD, ["north"]),
            "prevent_lead": self._user("prevent.lead", Role.PREVENT_LEAD, ["north"]),
            "auditor": self._user("auditor", Role.AUDITOR, []),
            "cleared_auditor": self._cleared(self._user("cleared.auditor", Role.AUDITOR, [])),
            "administrator": self._user("admin", Role.ADMINISTRATOR, []),
            "analyst": self._user("analyst", Role.ANALYST, []),
        }
        other = self._user("frontline.other", Role.FRONTLINE, ["north"])
        south = self._user("lead.south", Role.LEAD, ["south"])
        self._other = other
        shared = {
            "same_team": self._case("cse", "north", other),
            "other_team": self._case("cse", "south", south),
            "prevent": self._case("prevent", "north", other),
        }
        self.cases: dict[str, dict[str, Case]] = {}
        for role in ROLES:
            cases = dict(shared)
            user = self.users.get(role)
            if "raised" in APPLIES[role]:
                cases["raised"] = self._case("cse", "north", user)
            if "allocated" in APPLIES[role]:
                cases["allocated"] = self._case("cse", "north", other, owner=user)
            if "prevent_raised" in APPLIES[role]:
                cases["prevent_raised"] = self._case("prevent", "north", user)
            self.cases[role] = cases

    def _user(self, username: str, role: Role, teams: list[str]) -> Any:
        return user_ensure(
            username=username, password=DEMO_PASSWORD, role=role,
            teams=[self.teams[t] for t in teams],
        )  # fmt: skip

    def _cleared(self, user: Any) -> Any:
        admin = self._user("clearance.admin", Role.ADMINISTRATOR, [])
        prevent_clearance_set(user=user, actor=admin, cleared=True)
        return user

    def _case(self, case_type: str, team: str, raised_by: Any, owner: Any = None) -> Case:
        case = Case.objects.create(
            reference=f"SC-M-{Case.objects.count() + 1:04d}", case_type=case_type,
            state="concern_raised", summary="Matrix case", team=self.teams[team],
            raised_by=raised_by, owner=owner, raised_at=timezone.now(),
        )  # fmt: skip
        person = Person.objects.create(given_names="Matrix", family_name=case.reference)
        CasePerson.objects.create(case=case, person=person, role="subject")
        now = timezone.now()
        Deadline.objects.create(
            case=case, rule="matrix", label="Matrix clock", unit="working_days", duration=5,
            started_at=now, due_at=now + timezone.timedelta(days=7),
        )  # fmt: skip
        return case

    def partner(self) -> PartnerAgency:
        return PartnerAgency.objects.get_or_create(name="Matrix police", kind="police")[0]

    def approval(self) -> StaffApproval:
        return StaffApproval.objects.get_or_create(
            user=self.users["lead"], decided_at=None,
            defaults={"role": "lead", "cleared": True, "reason": "Matrix",
                      "requested_by": self._other, "requested_at": timezone.now()},
        )[0]  # fmt: skip

    def bank_holiday(self) -> BankHoliday:
        return BankHoliday.objects.get_or_create(
            date=timezone.datetime(2031, 5, 5).date(), defaults={"title": "Matrix day"}
        )[0]

    def deadline(self, case: Case) -> Deadline:
        return case.deadlines.get()

    def subject(self, case: Case) -> Person:
        return case.case_people.get().person

    def others_notification(self) -> Any:
        message = OutboxMessage.objects.create(
            channel="in_app", recipient=self._other, template="t", subject="s", body="b"
        )
        return Notification.objects.create(
            recipient=self._other, outbox_message=message, subject="s", body="b",
            created_at=timezone.now(),
        )  # fmt: skip


def others_token(world: World) -> ApiToken:
    return api_token_issue(user=world._other, name="Matrix")[0]


def outcome(response: Any) -> Any:
    if response.status_code == 302 and response.url.startswith("/sign-in/"):
        return LOGIN
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(name, client, teams):
    route = MATRIX[name]
    world = World()
    wrong = []
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(world.users[role])
        relations = APPLIES[role] if route.per_case else [None]
        for relation in relations:
            case = world.cases[role][relation] if relation else None
            expected = route.expect[role][relation] if relation else route.expect[role]
            url = route.url(world, case)
            kwargs = {"content_type": route.content_type} if route.content_type else {}
            response = getattr(client, route.method)(url, route.data, **kwargs)
            got = outcome(response)
            if got != expected:
                wrong.append(
                    f"{role:>13} {relation or '-':>14} {url}: expected {expected}, got {got}"
                )
    assert not wrong, "\n" + "\n".join(wrong)
