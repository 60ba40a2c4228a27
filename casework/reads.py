"""Every read of case content audited, by one rule applied in one place (issue 17,
finding 3; RULES.md §4.5: "an audit log of every view" of a Prevent case; DESIGN.md
"Audit": reads of a case are recorded).

``READS`` classifies every named route of the project:

- ``CASE``: the response shows one case's content. The selector that found the case
  (``case_get_for_user``, ``referral_get_for_user``, ...) notes it (``case_read_note``);
  ``CaseReadAuditMiddleware`` writes one ``case.viewed`` event naming it, through which
  route (``via``), once the response is a success (2xx) to a GET. The view writes
  nothing itself.
- ``PERSON``: a person's details (``person.viewed``, the person noted by the view).
- ``LIST``: a list of cases (``cases.listed``): the view notes its filters and count
  (``case_list_read_note``; a list refused for its filters notes nothing and records
  nothing); a page of panels that counts nothing (the home page) is recorded with its
  route.
- ``OWN``: the view records a read event of its own that says more than a view (an
  attachment downloaded, a referral printed, a chronology produced, the audit log
  searched); the middleware adds nothing, so there is never a second event.
- ``WRITE``: a write through the API whose answer is the case or referral as the write
  left it; the write's own event (``case.transitioned``, ``referral.*``) records it, as
  the case page shown after one's own action is not a new view (issue 20).
- ``NONE``: no case content (forms, reference pages, administration, the user's own
  notifications).

A refused or failed request (3xx, 4xx, 5xx) records no view: a hidden case is recorded
as ``access.denied`` by ``casework.access_log``. The repeated-view rules of
``casework.services.case_view_record`` (issue 20) still apply to the events written here.
``tests/casework/test_reads.py`` enumerates the URL configuration, so a route without an
entry here fails, and checks that each content route writes exactly one read event.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from django.http import HttpRequest, HttpResponse


class ReadKind(StrEnum):
    CASE = "case"
    PERSON = "person"
    LIST = "list"
    OWN = "own"
    WRITE = "write"
    NONE = "none"


@dataclasses.dataclass(frozen=True)
class Read:
    kind: ReadKind
    # For CASE: the channel recorded on the view (``case_view_record``'s ``via``).
    via: str = ""
    # For OWN: the verb the view writes itself.
    verb: str = ""
    # For LIST: whether the view notes what it listed (a list refused for bad filters
    # notes nothing and records nothing); a page that does not (a dashboard) is
    # recorded with its route.
    noted: bool = True


def _case(via: str) -> Read:
    return Read(ReadKind.CASE, via=via)


def _own(verb: str) -> Read:
    return Read(ReadKind.OWN, verb=verb)


PERSON = Read(ReadKind.PERSON)
LIST = Read(ReadKind.LIST)
PANELS = Read(ReadKind.LIST, noted=False)
WRITE = Read(ReadKind.WRITE)
NONE = Read(ReadKind.NONE)

# Every named route (``namespace:name``; the Django admin counts as "django-admin").
READS: dict[str, Read] = {
    # The case and what belongs to it.
    "case-detail": _case("page"),
    "case-history": _case("history"),
    "case-action": _case("form"),  # a step's form shows the case and its state
    "deadline-pause": _case("form"),
    "deadline-resume": _case("form"),
    "case-allocate": _case("form"),
    "case-access": _case("form"),
    "case-link": _case("form"),
    "case-related": _case("form"),  # opening a related case shows the first (issue 15)
    "case-summary-edit": _case("form"),
    "premises-edit": _case("form"),
    "case-note-add": _case("form"),
    "case-attachment-add": _case("form"),
    "workflows:concern-raised": _case("form"),
    "referrals:referral-type": _case("form"),
    "referrals:referral-create": _case("form"),
    "referrals:referral-detail": _case("referral"),
    "referrals:referral-edit": _case("referral"),
    "referrals:referral-action": _case("referral"),
    "referrals:referral-decision": _case("referral"),
    "audit:case-timeline": _case("audit"),
    "api:case-detail": _case("api"),
    "api:case-history": _case("api-history"),
    "api:case-deadlines": _case("api-deadlines"),
    "api:referral-detail": _case("api-referral"),
    # Writes whose answer is what the write left (recorded by the write's own event).
    "api:case-transition": WRITE,
    "api:case-referral-create": WRITE,
    "api:referral-transition": WRITE,
    # People.
    "person-detail": PERSON,
    "person-edit": PERSON,
    # Lists of cases.
    "home": PANELS,
    "case-list": LIST,
    "triage-queue": LIST,  # a lead's unallocated cases (issue 19)
    "premises-detail": LIST,
    "api:case-list": LIST,
    "api:deadline-list": LIST,
    "workflows:reminders-unheard": PANELS,
    # Reads recorded by their own event.
    "case-attachment-download": _own("attachment.downloaded"),
    "referrals:referral-print": _own("referral.exported"),
    "referrals:referral-pdf": _own("referral.exported"),
    "audit:case-chronology": _own("chronology.produced"),
    "audit:person-chronology": _own("chronology.produced"),
    "audit:search": _own("audit.searched"),
    "audit:export": _own("audit.exported"),
    # No case content.
    **dict.fromkeys(
        [
            "healthz", "readyz", "login", "logout", "session-keep-alive", "django-admin",
            "accessibility",
            "workflows:concern-type", "workflows:concern-form", "workflows:concern-check",
            "workflows:draft-save", "workflows:draft-delete",
            "workflows:workflow-list", "workflows:workflow-detail",
            "notifications:notification-list", "notifications:notification-read",
            "notifications:notification-read-all", "notifications:notification-preferences",
            "api:auth-token", "api:schema", "api:docs", "api:redoc",
            "api:workflow-list", "api:workflow-detail", "api:partner-list",
            # Footage requests are their own record with their own audit (footage.*).
            "footage:request-list", "footage:request-new", "footage:camera-list",
            "footage:request-detail", "footage:request-action",
            "api:footage-request-list", "api:footage-request-detail",
            "api:footage-request-action",
            # Sign-in security: one's own devices and tokens (issue 17).
            "two-factor-code", "two-factor-recovery", "two-factor-set-up",
            "two-factor-recovery-codes", "account-two-factor", "account-api-tokens",
            "account-api-token-revoke",
        ],
        NONE,
    ),
}  # fmt: skip


# Namespaces with no case content at all: staff administration (administrators, who
# never see case content, DESIGN.md "Access").
# The reports (issue 21) are counts, but for one page: the Community Trigger figures'
# drill-down lists the cases behind a figure, which is a list of cases like any other
# (its note says which year's figure and page it listed); opening one of them writes its
# own read. The return itself shows counts and links only.
NONE_NAMESPACES = frozenset({"staff", "reports"})
READS["reports:community-trigger-cases"] = LIST


def read_of(route: str) -> Read | None:
    """How ``route`` is audited; None for a route this module does not know (another
    app's, added since: a test fails until it is classified)."""
    if route in READS:
        return READS[route]
    namespace, _, _ = route.rpartition(":")
    if namespace in NONE_NAMESPACES:
        return NONE
    return None


def read_register(route: str, read: Read) -> None:
    """Classify a route an app adds (its ``AppConfig.ready``)."""
    READS[route] = read


def route_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.app_name == "admin" or match.namespace.startswith("admin"):
        return "django-admin"
    return match.view_name


# --- Notes made while the response is built ----------------------------------------------


@dataclasses.dataclass
class _Notes:
    cases: list[Any] = dataclasses.field(default_factory=list)
    people: list[Any] = dataclasses.field(default_factory=list)
    listed: dict[str, Any] | None = None


_NOTES: contextvars.ContextVar[_Notes | None] = contextvars.ContextVar(
    "safecase_reads", default=None
)


def case_read_note(case: Any) -> None:
    """Note that the request found ``case`` visible and is showing it (the selectors
    call this; outside a request nothing is noted)."""
    notes = _NOTES.get()
    if notes is not None and all(c.pk != case.pk for c in notes.cases):
        notes.cases.append(case)


def person_read_note(person: Any) -> None:
    notes = _NOTES.get()
    if notes is not None and all(p.pk != person.pk for p in notes.people):
        notes.people.append(person)


def case_list_read_note(*, filters: Mapping[str, Any], count: int, page: int = 1) -> None:
    """Note what a list showed: its filters, how many cases matched and the page."""
    notes = _NOTES.get()
    if notes is not None:
        notes.listed = {"filters": dict(filters), "count": count, "page": page}


def reads_collect() -> contextvars.Token:
    return _NOTES.set(_Notes())


def reads_collected(token: contextvars.Token) -> _Notes:
    notes = _NOTES.get() or _Notes()
    _NOTES.reset(token)
    return notes


# --- The rule ------------------------------------------------------------------------------

READ_METHODS = frozenset({"GET", "HEAD"})
Recorder = Callable[[Any, Read, str, _Notes], None]


class CaseReadAuditMiddleware:
    """Writes the one read event of each successful read of case content (``READS``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = reads_collect()
        try:
            response = self.get_response(request)
        finally:
            notes = reads_collected(token)
        user = getattr(request, "user", None)
        if (
            request.method in READ_METHODS
            and 200 <= response.status_code < 300
            and getattr(user, "is_authenticated", False)
        ):
            route = route_name(request)
            read = read_of(route)
            if read is not None:
                read_record(user=user, read=read, route=route, notes=notes)
        return response


def read_record(*, user: Any, read: Read, route: str, notes: _Notes) -> None:
    """Write the read event ``read`` calls for (none for OWN and NONE)."""
    from casework.services import case_list_record, case_view_record, person_view_record

    if read.kind == ReadKind.CASE and notes.cases:
        case_view_record(user=user, case=notes.cases[0], via=read.via)
    elif read.kind == ReadKind.PERSON and notes.people:
        person_view_record(user=user, person=notes.people[0])
    elif read.kind == ReadKind.LIST and (notes.listed or not read.noted):
        listed = notes.listed or {"filters": {"list": route}, "count": None, "page": 1}
        case_list_record(user=user, **listed)
