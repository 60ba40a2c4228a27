"""Browser-test fixtures: one headless Debian Chromium per pytest worker, a fresh browser
context per test against pytest-django's ``live_server``, and the people of each role.

Playwright's sync API runs an asyncio event loop in the test thread, which trips Django's
guard against calling the ORM from async code. The test code here is synchronous, so the
guard is switched off (``DJANGO_ALLOW_ASYNC_UNSAFE``) while a browser test module runs,
and Playwright is stopped and the guard restored after it: the other test files that
share the pytest-xdist worker keep the guard.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from casework.models import Case, CasePerson
from casework.permissions import named_case_types
from casework.roles import Role
from casework.services import roles_ensure, user_ensure
from referrals.models import PartnerAgency
from referrals.services import referral_create, referral_send
from referrals.types import REFERRAL_TYPES
from tests.browser.data import INTAKE
from tests.browser.support import (
    APP_CSS,
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    session_cookie,
)
from tests.conftest import DEMO_PASSWORD
from tests.referrals.conftest import LAWFUL_BASIS, complete_content
from tests.workflows.walker import sample_values
from workflows.models import Deadline, DeadlineStatus
from workflows.registry import WORKFLOWS, get_workflow
from workflows.services import case_raise, case_transition, deadline_pause

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for one test module (one pytest-xdist worker runs a whole file)."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (CI installs it)")
    missing = [str(p) for p in (AXE_JS, APP_CSS) if not p.exists()]
    if missing:
        pytest.fail(f"browser tests need {', '.join(missing)}: run `npm ci && npm run build`")
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh context (own cookies), signed in as ``user`` if given. The
    Content-Security-Policy is enforced, and any violation the browser reports fails the
    test (issue 17)."""
    contexts = []
    violations: list[str] = []

    def _record(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url', '')}: {message.text}")

    def _open(user: Any = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=VIEWPORT,
            locale="en-GB",
            timezone_id="Europe/London",
            accept_downloads=True,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        page = context.new_page()
        page.on("console", _record)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


# key: (username, first name, last name, role, teams), as the demo users are.
PEOPLE = {
    "frontline": ("frontline.north", "Priya", "Shah", Role.FRONTLINE, ["north"]),
    "frontline_south": ("frontline.south", "Tom", "Evans", Role.FRONTLINE, ["south"]),
    "lead": ("lead.north", "Grace", "Okafor", Role.LEAD, ["north"]),
    "lead_south": ("lead.south", "Ben", "Walsh", Role.LEAD, ["south"]),
    "prevent_lead": ("prevent.lead", "Aisha", "Rahman", Role.PREVENT_LEAD, ["north", "south"]),
    "auditor": ("auditor", "Helen", "Marsh", Role.AUDITOR, []),
    "administrator": ("admin", "Chris", "Lee", Role.ADMINISTRATOR, []),
    "analyst": ("analyst", "Sam", "Patel", Role.ANALYST, []),
}


@pytest.fixture
def people(teams) -> dict[str, Any]:
    """One person per role, named as the demo users are (password: DEMO_PASSWORD)."""
    roles_ensure()
    return {
        key: user_ensure(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            teams=[teams[slug] for slug in slugs],
            first_name=first,
            last_name=last,
        )  # fmt: skip
        for key, (username, first, last, role, slugs) in PEOPLE.items()
    }


def take(case: Case, actor: Any, name: str, **data: Any) -> Case:
    fields = get_workflow(case.case_type).transition_meta(name)["fields"]
    return case_transition(
        case=case, actor=actor, name=name, data=sample_values(fields, data),
        expected_version=case.version,
    )  # fmt: skip


@pytest.fixture
def casebook(people) -> types.SimpleNamespace:
    """A case of each type raised by a north frontline worker; the CSE case referred to
    the MASH (two clocks, one paused) with a referral sent; the cuckooing case moved on."""
    frontline, lead = people["frontline"], people["lead"]
    cases = {
        t: case_raise(actor=lead if t in named_case_types() else frontline, case_type=t,
                      data=INTAKE[t])
        for t in WORKFLOWS
    }  # fmt: skip
    cases["cse"] = take(cases["cse"], lead, "refer_to_mash")
    cases["cuckooing"] = take(
        cases["cuckooing"], lead, "submit_concern", police_informed=True,
        police_reference="NT/26/44120",
    )  # fmt: skip
    clocks = Deadline.objects.filter(case=cases["cse"], status=DeadlineStatus.OPEN).order_by("id")
    paused = deadline_pause(deadline=clocks.last(), actor=lead, reason="Police investigation.")
    spec = REFERRAL_TYPES["mash_referral"]
    referral = referral_create(
        case=cases["cse"],
        actor=lead,
        referral_type=spec.value,
        partner=PartnerAgency.objects.filter(kind__in=spec.partner_kinds).order_by("pk").first(),
        content=complete_content(spec.value),
        lawful_basis=LAWFUL_BASIS,
    )
    referral = referral_send(referral=referral, actor=lead, expected_version=referral.version)
    return types.SimpleNamespace(
        cases={t: Case.objects.get(pk=c.pk) for t, c in cases.items()},
        open_clock=clocks.first(),
        paused_clock=paused,
        referral=referral,
        person=CasePerson.objects.filter(case=cases["cse"]).order_by("pk").first().person,
    )
