"""Every form in the product answers invalid input with the GOV.UK error summary and
inline errors (issue 9 item 4; GOV.UK Design System "Error summary" and "Error message").

For each form page, invalid data is posted (or, for the audit search, given) and the
response must have:
- one error summary, whose links point at ids present in the page;
- for each link, the element it points to inside a form group marked as in error that
  holds an inline error message (``govuk-error-message``), and that message's id in the
  ``aria-describedby`` of the field or of its fieldset;
- "Error: " at the start of the page title.

The notification preferences form is only checkboxes that may all be left unticked: no
input is invalid, so it has no error state to test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.utils import timezone

from casework.models import Case, CasePerson, Person, Premises, Team
from casework.roles import Role
from referrals.models import PartnerAgency, Referral
from workflows.models import Deadline

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclasses.dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    text: list[str] = dataclasses.field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def ancestors(self) -> list[Element]:
        found, node = [], self.parent
        while node is not None:
            found.append(node)
            node = node.parent
        return found


class Page(HTMLParser):
    """Just enough of a DOM: every element with its attributes and parent."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.title = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(
            tag, {k: v or "" for k, v in attrs}, self._open[-1] if self._open else None
        )
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text.append(data)
        if self._open and self._open[-1].tag == "title":
            self.title += data

    def by_id(self, id_: str) -> list[Element]:
        return [e for e in self.elements if e.attrs.get("id") == id_]

    def with_class(self, name: str) -> list[Element]:
        return [e for e in self.elements if name in e.classes]


def described_by(element: Element) -> set[str]:
    ids = set(element.attrs.get("aria-describedby", "").split())
    for ancestor in element.ancestors():
        if ancestor.tag == "fieldset":
            ids |= set(ancestor.attrs.get("aria-describedby", "").split())
    return ids


def check_errors(html: str) -> list[str]:
    """What is wrong with the page's error summary and inline errors (empty: nothing)."""
    page = Page(html)
    problems = []
    if not page.title.strip().startswith("Error:"):
        problems.append(f"title does not start with 'Error:': {page.title.strip()!r}")
    summaries = page.with_class("govuk-error-summary")
    if not summaries:
        return [*problems, "no error summary"]
    summary = summaries[0]
    if "govuk-error-summary" not in summary.attrs.get("data-module", ""):
        problems.append("the error summary is not focused (no data-module)")
    items = [e for e in page.elements if e.tag == "li" and summary in e.ancestors()]
    if not items:
        problems.append("the error summary lists no errors")
    # A link to another page (a referral that cannot be sent links to its draft's
    # questions) is checked there; a message of no question on the page is plain text.
    links = [
        e for e in page.elements
        if e.tag == "a" and summary in e.ancestors() and e.attrs.get("href", "").startswith("#")
    ]  # fmt: skip
    for link in links:
        target_id = link.attrs["href"][1:]
        targets = page.by_id(target_id)
        message = "".join(link.text).strip()
        if len(targets) != 1:
            problems.append(f"{message!r} links to #{target_id}, found {len(targets)} times")
            continue
        target = targets[0]
        groups = [a for a in target.ancestors() if "govuk-form-group--error" in a.classes]
        if not groups:
            problems.append(f"#{target_id} is not in a form group marked as in error")
            continue
        inline = [e for e in page.with_class("govuk-error-message") if groups[0] in e.ancestors()]
        if not inline:
            problems.append(f"#{target_id} has no inline error message")
            continue
        if not {e.attrs.get("id") for e in inline} & described_by(target):
            problems.append(f"#{target_id} is not described by its inline error message")
    return problems


# The forms, each with invalid input ---------------------------------------------------------


class World:
    """Users, a case with a person, premises and a clock, and referrals to act on."""

    def __init__(self, make_user: Callable[..., Any]) -> None:
        self.frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
        self.lead = make_user("lead.north", Role.LEAD, ["north"])
        self.auditor = make_user("auditor", Role.AUDITOR, [])
        north = Team.objects.get(slug="north")
        now = timezone.now()
        self.case = Case.objects.create(
            reference="SC-F-1", case_type="cse", state="concern_raised", summary="Forms case",
            team=north, raised_by=self.frontline, raised_at=now,
            premises=Premises.objects.create(address="1 High Street", postcode="N1 1AA"),
        )  # fmt: skip
        self.person = Person.objects.create(given_names="Sam", family_name="Reed")
        CasePerson.objects.create(case=self.case, person=self.person, role="subject")
        self.deadline = Deadline.objects.create(
            case=self.case, rule="forms", label="Forms clock", unit="working_days",
            duration=5, started_at=now, due_at=now + timezone.timedelta(days=7),
        )  # fmt: skip
        partner = PartnerAgency.objects.create(name="Forms partner", kind="other")
        self.draft = Referral.objects.create(
            case=self.case, partner=partner, referral_type="mash_referral",
            created_by=self.lead, state="draft",
        )  # fmt: skip
        referred = Case.objects.create(
            reference="SC-F-2", case_type="cse", state="referred_to_mash", summary="Referred",
            team=north, raised_by=self.frontline, raised_at=now,
        )  # fmt: skip
        self.sent = Referral.objects.create(
            case=referred, partner=partner, referral_type="mash_referral", created_by=self.lead,
            state="sent", sent_at=now, consent_given=True, authorised_by=self.lead,
            authorised_at=now,
        )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Form:
    user: str | None  # None: signed out
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    method: str = "post"


C = "/cases/SC-F-1"
FORMS = {
    "sign-in": Form(None, lambda w: "/sign-in/", lambda w: {"username": "", "password": ""}),
    "sign-in-wrong-password": Form(
        None, lambda w: "/sign-in/", lambda w: {"username": "lead.north", "password": "wrong"}
    ),
    "concern-type": Form("frontline", lambda w: "/concerns/new/", lambda w: {}),
    "concern-form": Form("frontline", lambda w: "/concerns/new/cse/", lambda w: {"summary": ""}),
    "concern-form-unknown-field": Form(
        "frontline", lambda w: "/concerns/new/cse/", lambda w: {"summary": "x", "bogus": "1"}
    ),
    "case-action": Form(
        "lead",
        lambda w: f"{C}/actions/refer_to_mash/",
        lambda w: {"version": str(w.case.version)},
    ),  # fmt: skip
    "case-action-out-of-date": Form(
        "lead", lambda w: f"{C}/actions/close_without_referral/", lambda w: {"rationale": ""}
    ),
    "deadline-pause": Form(
        "lead", lambda w: f"{C}/deadlines/{w.deadline.pk}/pause/", lambda w: {"reason": ""}
    ),
    "case-allocate": Form(
        "lead",
        lambda w: f"{C}/allocate/",
        lambda w: {"assignee": "", "version": str(w.case.version)},
    ),  # fmt: skip
    "case-access": Form("lead", lambda w: f"{C}/access/", lambda w: {"username": "no.such.user"}),
    "case-summary-edit-out-of-date": Form(
        "lead", lambda w: f"{C}/summary/edit/", lambda w: {"summary": " "}
    ),
    "case-summary-edit": Form(
        "lead",
        lambda w: f"{C}/summary/edit/",
        lambda w: {"summary": " ", "version": str(w.case.version)},
    ),  # fmt: skip
    "person-edit": Form(
        "lead",
        lambda w: f"/people/{w.person.pk}/edit/",
        lambda w: {
            "given_names": "Sam",
            "family_name": "Reed",
            "date_of_birth": "2999-01-01",
            "estimated_age": "old",
            "gender": "dragon",
        },
    ),  # fmt: skip
    "premises-edit": Form("lead", lambda w: f"{C}/premises/edit/", lambda w: {"address": ""}),
    "referral-type": Form("lead", lambda w: f"{C}/referrals/new/", lambda w: {}),
    "referral-create": Form(
        "lead", lambda w: f"{C}/referrals/new/mash_referral/", lambda w: {"partner": ""}
    ),
    "referral-edit": Form(
        "lead",
        lambda w: f"/referrals/{w.draft.pk}/edit/",
        lambda w: {"partner": "", "version": str(w.draft.version)},
    ),  # fmt: skip
    "referral-send": Form(
        "lead",
        lambda w: f"/referrals/{w.draft.pk}/actions/send/",
        lambda w: {"version": str(w.draft.version)},
    ),  # fmt: skip
    "referral-decision": Form(
        "lead",
        lambda w: f"/referrals/{w.sent.pk}/actions/record_decision/early_help/",
        lambda w: {"version": str(w.sent.version)},
    ),  # fmt: skip
    # The case page's forms and the case list's filters (other pages' owners).
    "case-note-add": Form("lead", lambda w: f"{C}/notes/new/", lambda w: {"text": ""}),
    "case-attachment-add": Form("lead", lambda w: f"{C}/attachments/new/", lambda w: {}),
    "case-list-filters": Form(
        "lead", lambda w: "/cases/", lambda w: {"case_type": "bogus"}, method="get"
    ),
    "audit-search": Form(
        "auditor", lambda w: "/audit/", lambda w: {"date_from": "31/02/2026"}, method="get"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FORMS))
def test_invalid_input_gets_the_error_summary_and_inline_errors(name, client, make_user):
    world = World(make_user)
    form = FORMS[name]
    if form.user:
        client.force_login(getattr(world, form.user))
    response = getattr(client, form.method)(form.url(world), form.data(world))
    assert response.status_code in (200, 400), response.status_code
    assert check_errors(response.content.decode()) == []


def test_the_checker_finds_a_summary_link_to_nothing():
    html = """<title>Error: x</title>
      <div class="govuk-error-summary" data-module="govuk-error-summary">
        <ul><li><a href="#missing">Enter a name</a></li></ul></div>"""
    assert check_errors(html) == ["'Enter a name' links to #missing, found 0 times"]


def test_the_checker_finds_a_field_without_its_inline_error():
    html = """<title>Error: x</title>
      <div class="govuk-error-summary" data-module="govuk-error-summary">
        <ul><li><a href="#name">Enter a name</a></li></ul></div>
      <div class="govuk-form-group govuk-form-group--error"><input id="name"></div>"""
    assert check_errors(html) == ["#name has no inline error message"]


def test_the_checker_accepts_a_complete_error_state():
    html = """<title>Error: x</title>
      <div class="govuk-error-summary" data-module="govuk-error-summary">
        <ul><li>This form is out of date</li><li><a href="#name">Enter a name</a></li></ul>
      </div>
      <div class="govuk-form-group govuk-form-group--error">
        <p id="name-error" class="govuk-error-message">Enter a name</p>
        <input id="name" aria-describedby="name-error"></div>"""
    assert check_errors(html) == []
