"""The bench's CPU per request (bench/run.py, ``cpu_used``): each process's own
difference, so a process that ended during a scenario takes nothing off it."""

from __future__ import annotations

from bench.run import cpu_used


def test_each_process_counts_its_own_difference():
    assert cpu_used({10: 1.0, 11: 2.0}, {10: 1.5, 11: 2.25}) == 0.75


def test_a_process_started_since_counts_its_whole_time():
    assert cpu_used({10: 1.0}, {10: 1.5, 12: 0.25}) == 0.75


def test_a_process_that_ended_takes_nothing_off():
    # A backend that had used 141 s ended during the scenario: not -140.5.
    assert cpu_used({10: 1.0, 11: 141.0}, {10: 1.5}) == 0.5


def test_a_process_id_reused_by_a_newer_process_counts_nothing_negative():
    assert cpu_used({10: 5.0}, {10: 0.25}) == 0.0
