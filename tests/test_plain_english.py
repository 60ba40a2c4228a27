"""Plain English on every page a member of staff reads (issue 19, point 5).

Every page is rendered and its words (text, page title, accessible names and hints, the
diagrams' titles) are scanned for what only a developer or a lawyer reads:

- a reference to RULES.md or a section sign (§): the rules' own citations belong in the
  code's docstrings and comments, never on a screen;
- statute shorthand: ``s47``, ``s36(5)(c)``, ``ss76-84`` ("section 47" in words is fine,
  as is the name of an Act written out where naming the law helps);
- abbreviated Acts and terms: MSA, ASBCPA, CSPA, CTSA, NABA, DVCVA, DAA, MCA, CDA, DtN,
  ICPC, and the rules' evidence markers ([S22], [P], [U]);
- snake_case words (state, step and field names as the code spells them) and permission
  codenames (``casework.manage_case``);
- allowed: NRM and MASH, the names staff and partners use every day for the National
  Referral Mechanism and the multi-agency safeguarding hub (spelled out in the types'
  descriptions, ``test_the_everyday_abbreviations_are_spelled_out_where_types_are_described``),
  and "section 42" or "the Modern Slavery Act 2015, section 52" written in words.

Pages: every route of the access matrix (tests/test_access_matrix.py) as every role that
may open it, and with realistic data of every type of concern: each intake form (empty
and with its errors), each case page and history, every step form of every workflow (and
its errors), and every referral form. The Django admin site and the JSON API are not
staff screens of this service and are not scanned.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from casework.models import Case
from casework.roles import Role
from referrals.types import types_for_case_type
from tests.browser.data import INTAKE
from tests.test_access_matrix import APPLIES, MATRIX, ROLES, World
from tests.workflows.walker import sample_values
from workflows.registry import WORKFLOWS
from workflows.services import case_raise

FORBIDDEN = [
    (re.compile(r"RULES\.md"), "a RULES.md reference"),
    (re.compile("§"), "a section sign"),
    (re.compile(r"\bss?\d+"), "statute shorthand (write “section 47”)"),
    (
        re.compile(r"\b(MSA|ASBCPA|CSPA|CTSA|NABA|DVCVA|DAA|MCA|CDA|DtN|ICPC)\b"),
        "an abbreviated Act or term",
    ),
    (re.compile(r"\[(?:S\d*|P|U)[\]:]"), "an evidence marker of the rules"),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"), "a snake_case name"),
    (
        re.compile(r"\b(?:casework|workflows|referrals|reports|auth)\.[a-z]+_[a-z_]+\b"),
        "a codename",
    ),
]
SPELLED_OUT = {"NRM": "national referral mechanism", "MASH": "multi-agency safeguarding hub"}
READ_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder"}


class Words(HTMLParser):
    """The words a person reads or hears on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(v for k, v in attrs if k in READ_ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def words_of(html: str) -> str:
    parser = Words()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def problems_in(page: str, response: Any) -> list[str]:
    if "text/html" not in response.get("Content-Type", ""):
        return []
    text = words_of(response.content.decode())
    found = []
    for pattern, what in FORBIDDEN:
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 50) : match.end() + 30]
            found.append(f"{page}: {what} “{match[0]}” in …{context}…")
    return found


class Scan:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.found: list[str] = []
        self.seen = 0

    def get(self, page: str, url: str) -> Any:
        response = self.client.get(url)
        self._check(page, response)
        return response

    def post(self, page: str, url: str, data: dict[str, Any]) -> Any:
        response = self.client.post(url, data)
        self._check(page, response)
        return response

    def _check(self, page: str, response: Any) -> None:
        self.seen += 1
        self.found.extend(problems_in(page, response))

    def assert_clean(self) -> None:
        unique = list(dict.fromkeys(self.found))
        assert not unique, f"{len(unique)} problems on {self.seen} pages:\n" + "\n".join(
            unique[:120]
        )


def test_the_scan_finds_each_kind_of_jargon():
    class Page:
        content = (
            b"<html><title>Triage</title><p>See RULES.md \xc2\xa74.5 and s36(5)(c), ss76-84, "
            b"the MSA, [S22], awaiting_type, casework.manage_case, an NRM referral</p>"
            b'<script>var s47_x = 1;</script><input aria-label="s17 assessment"></html>'
        )

        def get(self, name: str, default: str = "") -> str:
            return "text/html; charset=utf-8"

    found = "\n".join(problems_in("demo", Page()))
    for expected in ("RULES.md", "section sign", "s36", "ss76", "MSA", "[S22]",
                     "awaiting_type", "casework.manage_case", "s17"):  # fmt: skip
        assert expected in found, expected
    assert "s47_x" not in found  # scripts are not read


@pytest.mark.django_db
@pytest.mark.parametrize("case_type", ["cse", "modern_slavery"])
def test_the_everyday_abbreviations_are_spelled_out_where_types_are_described(
    client, make_user, case_type
):
    client.force_login(make_user("lead.north", Role.LEAD, ["north"]))
    text = words_of(client.get(f"/workflows/{case_type}/").content.decode()).lower()
    for short, full in SPELLED_OUT.items():
        if short.lower() in text:
            assert full in text, (case_type, short)


def _matrix_pages(scan: Scan, client: Any, world: World) -> None:
    for name, route in sorted(MATRIX.items()):
        if route.method != "get" or route.content_type or name.startswith("api:"):
            continue
        if name == "django-admin":
            continue
        for role in ROLES:
            if role == "anonymous":
                continue
            client.force_login(world.users[role])
            if route.per_case:
                relations = [r for r in APPLIES[role] if route.expect[role][r] == 200][:1]
                for relation in relations:
                    url = route.url(world, world.cases[role][relation])
                    scan.get(f"{name} as {role}", url)
            else:
                scan.get(f"{name} as {role}", route.url(world, None))


@pytest.mark.django_db
def test_no_jargon_on_any_page_of_the_access_matrix(client, teams):
    world = World()
    scan = Scan(client)
    _matrix_pages(scan, client, world)
    assert scan.seen > 100
    scan.assert_clean()


GENERAL = {
    "summary": "Worried about a young man at the car wash.",
    "subject_given_names": "A young man in a red coat",
    "location": "The car wash on Mill Lane, Northtown",
    "what_happened": "He sleeps there and says he is not paid.",
    "immediate_risk": False,
}


def _raise_all(make_user: Any) -> tuple[dict[str, Case], Any]:
    frontline = make_user("frontline.north", Role.FRONTLINE, ["north"])
    lead = make_user("lead.north", Role.LEAD, ["north"])
    cleared = make_user("prevent.lead", Role.PREVENT_LEAD, ["north"])
    cases = {}
    for case_type, workflow in WORKFLOWS.items():
        data = {**sample_values(workflow.intake_fields, {}), **INTAKE.get(case_type, GENERAL)}
        raiser = lead if case_type == "dhr" else frontline
        cases[case_type] = case_raise(actor=raiser, case_type=case_type, data=data)
    return cases, (frontline, lead, cleared)


@pytest.mark.django_db
def test_no_jargon_on_intake_case_step_and_referral_pages(client, make_user):
    cases, (frontline, lead, cleared) = _raise_all(make_user)
    scan = Scan(client)
    client.force_login(frontline)
    scan.get("choose a type", "/concerns/new/")
    scan.post("choose a type with errors", "/concerns/new/", {})
    for case_type in WORKFLOWS:
        client.force_login(lead if case_type == "dhr" else frontline)
        scan.get(f"intake {case_type}", f"/concerns/new/{case_type}/")
        scan.post(f"intake {case_type} with errors", f"/concerns/new/{case_type}/", {})
    client.force_login(cleared)
    for case_type, case in cases.items():
        base = f"/cases/{case.reference}"
        scan.get(f"case page {case_type}", f"{base}/")
        scan.get(f"history {case_type}", f"{base}/history/")
        scan.get(f"referral types {case_type}", f"{base}/referrals/new/")
        for spec in types_for_case_type(case_type):
            scan.get(f"referral {spec.value}", f"{base}/referrals/new/{spec.value}/")
        _step_pages(scan, case, WORKFLOWS[case_type])
    scan.assert_clean()


def _step_pages(scan: Scan, case: Case, workflow: Any) -> None:
    """Every step's form from a state it may be taken from, and its errors."""
    done = set()
    for t in workflow.transitions():
        if t.name in done:
            continue
        done.add(t.name)
        source = t.source if t.source in workflow.states.values else workflow.initial_state
        Case.objects.filter(pk=case.pk).update(state=source)
        url = f"/cases/{case.reference}/actions/{t.name}/"
        page = f"step {workflow.case_type}:{t.name}"
        response = scan.get(page, url)
        if response.status_code == 200 and t.custom.get("fields"):
            version = Case.objects.get(pk=case.pk).version
            scan.post(f"{page} with errors", url, {"version": str(version)})
    Case.objects.filter(pk=case.pk).update(state=workflow.initial_state)
