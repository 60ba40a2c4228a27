"""The bench's SQL run directly (bench/run.py, ``_direct_pages``): each read scenario's
requests are drawn as its simulated users draw theirs (bench/locustfile.py), from the
same pools, so that the SQL's median is taken over the same mix as the server's."""

from __future__ import annotations

import ast
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.run import DIRECT_SAMPLES, _direct_pages

DATA = {
    "leads": [
        {
            "username": "t01-lead-1",
            "cases": ["SC-2021-000033", "SC-2022-000101", "SC-2024-000007"],
            "person_ids": [39, 40],
            "premises_ids": [52],
        }
    ],
    "triage_states": ["concern_raised", "referral_received"],
    "filters": [["cse", "closed"], ["cuckooing", "open"]],
    "full_names": ["Jon Smyth", "Ana Kaya"],
    "names": ["Collins", "Kaya", "Smyth"],
    "postcodes": ["LS1 4AB", "LS2 7QQ"],
    "phones": ["07700 900123"],
    "dobs": ["1990-01-01", "2004-02-29"],
    "usernames": ["t01-lead-1", "t02-worker-03"],
    "references": ["SC-2023-000999", "SC-2025-000001"],
    "page_search": True,
}


def _request_names() -> set[str]:
    """The request names the locustfile gives (the ``name=`` of each call and the
    second argument of ``self.page``/``self.api_get``)."""
    tree = ast.parse(Path("bench/locustfile.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("page", "api_get") and len(node.args) == 2:
                if isinstance(node.args[1], ast.Constant):
                    names.add(node.args[1].value)
    return names


def test_every_read_scenarios_requests_are_drawn_from_its_users_pools():
    pages = _direct_pages(DATA)
    # Every page the users read but the intake matching (each worker's own draft), as before.
    assert set(pages) == _request_names() - {"intake matching"}
    assert all(len(drawn) == DIRECT_SAMPLES for drawn in pages.values())
    lead = DATA["leads"][0]

    def query(path: str) -> dict[str, list[str]]:
        return parse_qs(urlsplit(path).query)

    for who, path in pages["search surname (API)"]:
        assert who == "lead_api"
        assert query(path)["q"][0] in DATA["names"]
    for _, path in pages["list filtered"]:
        asked = query(path)
        assert [asked["case_type"][0], asked["state"][0]] in DATA["filters"]
        assert asked["page"][0] in {"1", "2", "3"}
    for _, path in pages["audit by user"]:
        assert query(path)["user"][0] in DATA["usernames"]
    for _, path in pages["audit by case"]:
        assert query(path)["reference"][0] in DATA["references"]
    for who, path in pages["auditor search surname (page)"]:
        assert (who, path.split("?")[0]) == ("auditor", "/cases/")
        assert query(path)["q"][0] in DATA["names"]
    days = {query(path)["date_from"][0] for _, path in pages["audit by action and day"]}
    assert len(days) > 1  # days of the last four years, not one fixed day
    for _, path in pages["case page"]:
        assert path.split("/")[2] in lead["cases"]
    for _, path in pages["search name (page)"]:
        assert query(path)["q"][0] in DATA["full_names"]


def test_the_draw_is_the_same_at_every_run():
    assert _direct_pages(DATA) == _direct_pages(DATA)
    assert _direct_pages(DATA, seed=1) != _direct_pages(DATA, seed=2)


def test_a_scenarios_own_requests_are_the_same_draw_as_every_scenarios():
    from bench.run import direct_pages_of

    every = _direct_pages(DATA)
    assert direct_pages_of(DATA) == every
    mine = direct_pages_of(DATA, {"case page", "person page", "a request no scenario makes"})
    assert mine == {"case page": every["case page"], "person page": every["person page"]}
    assert direct_pages_of(DATA, set()) == {}


def _ratios(results):
    from bench.run import SQL_RATIO_TARGET, budgets

    results = {"sweep": {"open_deadlines": 0, "seconds": 0.0}, "queries": {}, **results}
    prefix, suffix = "server's p50 ", f" / its SQL run directly <= {SQL_RATIO_TARGET}"
    return {
        c["budget"][len(prefix) : -len(suffix)]: c["value"]
        for c in budgets(results)
        if c["budget"].startswith(prefix)
    }


def _stats(server_p50):
    return {"requests": 100, "failures": 0, "p50_ms": 30.0, "p95_ms": 40.0,
            "server_p50_ms": server_p50}  # fmt: skip


def test_the_ratio_divides_by_the_sql_replayed_before_the_load_and_shows_the_replay_after():
    from bench.run import _report_line

    results = {
        # Replayed before the load: what the ratio's budget divides by.
        "sql_direct_ms": {"case page": 4.0, "home (dashboard)": 10.0},
        "scenarios": {
            # Replayed again just after it ran (the machine slower then): shown, not used.
            "case": {
                "requests": {"case page": _stats(12.0)},
                "sql_direct_after_ms": {"case page": 6.0},
            },  # fmt: skip
            # A result from before 7 December 2026: no replay after.
            "home": {"requests": {"home (dashboard)": _stats(25.0)}},
            # A write has no SQL run directly.
            "raise": {"requests": {"raise concern": _stats(30.0)}},
        },
    }

    assert _ratios(results) == {"case page": 3.0, "home (dashboard)": 2.5}
    scenario = {**results["scenarios"]["case"], "load_after": [0.5, 0.6, 0.7],
                "app_cpu_ms_per_request": 9.0, "db_cpu_ms_per_request": 4.0,
                "cpu_calibration_ms": 31.25}  # fmt: skip
    stats = {**_stats(12.0), "p99_ms": 50.0, "rps": 16.0}
    line = _report_line("case page", stats, scenario, 4.0, 6.0)
    # ... sql, xSQL, sqlA, the load after, the loop's time after.
    assert line.split()[-5:] == ["4.0", "3.0", "6.0", "0.5/0.6/0.7", "31.2"]
    without = _report_line("case page", stats, scenario, 4.0, None)
    assert without.split()[-4:] == ["4.0", "3.0", "0.5/0.6/0.7", "31.2"]
