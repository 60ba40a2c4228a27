"""Locust users for ``bench/run.py`` (not run on its own): one class per scenario.

``bench/run.py`` writes the sessions, API tokens and pools of cases to the JSON file
named by ``BENCH_DATA`` and runs ``locust --headless`` once per scenario with the class
named on the command line. Each simulated user is one member of staff: its session
cookie or token was made before the run, so signing in (deliberately slow password
hashing) is not measured.

A user sends one request, then reads its answer for ``BENCH_THINK`` seconds on average
(half to one and a half times it) before the next, as a member of staff does, and waits
as long before its first (staff do not all start at one instant): a scenario
of several pages (the searches, the lists, the person and premises pages) picks one of
them at each turn. Each request names itself in the ``X-Bench-Request`` header, which
gunicorn's access log writes beside the time the server took to answer it
(``bench/run.py``: the server's median).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from datetime import UTC, date, datetime
from urllib.parse import quote_plus

from locust import FastHttpUser, between, constant, task

DATA = json.loads(open(os.environ["BENCH_DATA"]).read())  # noqa: PTH123, SIM115
# Seconds a member of staff spends between requests (reading the page), on average;
# 0 sends the next request as soon as the answer comes (a saturation test).
THINK = float(os.environ.get("BENCH_THINK", "1"))
_counter = itertools.count()
TODAY = datetime.now(UTC).date().toordinal()
# The request's name, for the server's access log (bench/run.py, ACCESS_LOG_FORMAT).
NAME_HEADER = "X-Bench-Request"


def _next_index(size: int) -> int:
    return next(_counter) % size


class _Staff(FastHttpUser):
    abstract = True
    wait_time = between(THINK * 0.5, THINK * 1.5) if THINK > 0 else constant(0)
    pool = "leads"

    def on_start(self) -> None:
        people = DATA[self.pool]
        self.me = people[_next_index(len(people))]
        self.rng = random.Random(self.me["username"])  # noqa: S311 (not security)
        self.page_headers = {"Cookie": f"{DATA['cookie_name']}={self.me['session']}"}
        self.api_headers = {
            "Authorization": f"Token {self.me['token']}",
            "Content-Type": "application/json",
        }
        # Staff arrive at their own moments: each user waits as between two requests before
        # its first. locust starts all 16 at one instant, and their first requests, sent
        # together to 3 workers, queued for up to 100 ms at the client while the server
        # took 15 at p95 (docs/performance.md, a twenty-second session).
        self.wait()

    def page(self, path: str, name: str) -> None:
        self.client.get(path, headers={**self.page_headers, NAME_HEADER: name}, name=name)

    def api_get(self, path: str, name: str) -> None:
        self.client.get(path, headers={**self.api_headers, NAME_HEADER: name}, name=name)


class Home(_Staff):
    """A lead's home page: their dashboard (triage queue, counts, clocks, responses)."""

    @task
    def home(self) -> None:
        self.page("/", "home (dashboard)")


class Queue(_Staff):
    """A lead's case list, newest first, and their triage queue (a first state)."""

    @task
    def queue(self) -> None:
        if self.rng.randrange(2):
            self.page("/cases/", "case list")
        else:
            self.page(f"/cases/?state={self.rng.choice(DATA['triage_states'])}", "triage queue")


class ListFiltered(_Staff):
    """The case list filtered by type and state, on its first pages."""

    @task
    def filtered(self) -> None:
        case_type, state = self.rng.choice(DATA["filters"])
        page = self.rng.choice((1, 1, 2, 3))
        self.page(f"/cases/?case_type={case_type}&state={state}&page={page}", "list filtered")


class Search(_Staff):
    """Searching the cases: a person's full name, a reference (API ``q``, and the list
    page's ``q`` where the page has a search box), and a family name alone (the worst
    case: each seeded family name is shared by about 1 person in 130)."""

    @task
    def search(self) -> None:
        kinds = ["name", "reference", "surname", "postcode", "phone", "dob"]
        if DATA["page_search"]:
            kinds += ["name page", "reference page"]
        kind = self.rng.choice(kinds)
        name = self.rng.choice(DATA["full_names"]).replace(" ", "+")
        reference = self.rng.choice(self.me["cases"])
        if kind == "name":
            self.api_get(f"/api/v1/cases/?q={name}", "search name (API)")
        elif kind == "reference":
            self.api_get(f"/api/v1/cases/?q={reference}", "search reference (API)")
        elif kind == "surname":
            surname = self.rng.choice(DATA["names"])
            self.api_get(f"/api/v1/cases/?q={surname}", "search surname (API)")
        elif kind == "postcode":
            postcode = quote_plus(self.rng.choice(DATA["postcodes"]))
            self.api_get(f"/api/v1/cases/?q={postcode}", "search postcode (API)")
        elif kind == "phone":
            phone = quote_plus(self.rng.choice(DATA["phones"]))
            self.api_get(f"/api/v1/cases/?q={phone}", "search phone (API)")
        elif kind == "dob":
            dob = quote_plus(self.rng.choice(DATA["dobs"]))
            self.api_get(f"/api/v1/cases/?q={dob}", "search date of birth (API)")
        elif kind == "name page":
            self.page(f"/cases/?q={name}", "search name (page)")
        else:
            self.page(f"/cases/?q={reference}", "search reference (page)")


class CasePage(_Staff):
    """A case page of the lead's team."""

    @task
    def case_page(self) -> None:
        self.page(f"/cases/{self.rng.choice(self.me['cases'])}/", "case page")


class PersonPage(_Staff):
    """A person's page and a premises page, of people and premises on the lead's cases:
    every case of theirs the lead may see."""

    @task
    def person_page(self) -> None:
        pages = [kind for kind in ("person_ids", "premises_ids") if self.me[kind]]
        if not pages:
            return
        if self.rng.choice(pages) == "person_ids":
            self.page(f"/people/{self.rng.choice(self.me['person_ids'])}/", "person page")
        else:
            self.page(f"/premises/{self.rng.choice(self.me['premises_ids'])}/", "premises page")


class IntakeMatch(_Staff):
    """ "Check your answers" of a concern about someone already known (each worker's draft,
    written before the run): the intake matching of the people and address entered."""

    pool = "workers"

    @task
    def check_answers(self) -> None:
        self.page("/concerns/new/modern_slavery/check/", "intake matching")


class Raise(_Staff):
    """Raising a concern through the API (modern slavery, the subject named)."""

    pool = "workers"

    @task
    def raise_concern(self) -> None:
        body = dict(DATA["raise_body"])
        body["subject_family_name"] = self.rng.choice(DATA["names"])
        with self.client.post(
            "/api/v1/cases/", data=json.dumps(body),
            headers={**self.api_headers, NAME_HEADER: "raise concern"}, name="raise concern",
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class Transition(_Staff):
    """A step on a case of the lead's team, with the version last read; steps that keep
    the case in its state, so the pool never runs out (recording an agency's response,
    progress on an action plan, the s42 test)."""

    @task
    def transition(self) -> None:
        pool = self.me["steps"]
        if not pool:
            return
        item = pool[self.rng.randrange(len(pool))]
        body = {**DATA["step_bodies"][item["name"]], "version": item["version"]}
        with self.client.post(
            f"/api/v1/cases/{item['reference']}/transitions/{item['name']}/",
            data=json.dumps(body), headers={**self.api_headers, NAME_HEADER: "transition"},
            name="transition", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code == 200:
                item["version"] = response.json()["version"]
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class AuditSearch(_Staff):
    """The auditor's history search: by user, by case reference, by action and dates."""

    pool = "auditors"

    @task
    def audit(self) -> None:
        kind = self.rng.randrange(3)
        if kind == 0:
            self.page(f"/audit/?user={self.rng.choice(DATA['usernames'])}", "audit by user")
        elif kind == 1:
            self.page(f"/audit/?reference={self.rng.choice(DATA['references'])}", "audit by case")
        else:
            day = date.fromordinal(TODAY - self.rng.randrange(1, 1500))
            self.page(
                f"/audit/?action=case.transitioned&date_from={day}&date_to={day}",
                "audit by action and day",
            )


class AuditorCaseSearch(_Staff):
    """An auditor's search of every team's cases by a family name: a common one matches
    more cases county-wide (about 5,800) than a search reads the ids of (5,001)."""

    pool = "auditors"

    @task
    def search(self) -> None:
        surname = self.rng.choice(DATA["names"])
        self.page(f"/cases/?q={surname}", "auditor search surname (page)")


class Reports(_Staff):
    """Partnership reports as an auditor, whose figures count every team's cases (the
    scope a partnership analyst has): the Community Trigger return, case statistics with
    the rolling comparison and the emerging risks, each over a whole reporting year
    (issue 21)."""

    pool = "auditors"

    @task
    def report(self) -> None:
        label, path = self.rng.choice(DATA["report_pages"])
        self.page(path, label)


class ReportsLead(Reports):
    """The same reports as a lead: their team's figures."""

    pool = "leads"
