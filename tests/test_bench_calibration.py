"""The bench's measure of how fast the machine is (bench/run.py ``cpu_calibration_ms``),
kept in each result so that runs on machine sessions of different speeds can be told
apart (docs/performance.md)."""

from __future__ import annotations

from bench.run import cpu_calibration_ms


def test_the_calibration_times_the_loop_it_is_given():
    short = cpu_calibration_ms(rounds=3, loops=100_000)
    long = cpu_calibration_ms(rounds=3, loops=2_000_000)
    assert short > 0
    assert long > 5 * short  # twenty times the work, however noisy the machine
