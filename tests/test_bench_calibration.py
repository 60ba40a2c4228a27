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


def test_the_report_says_which_interpreter_and_how_fast_the_machine_was():
    from bench.run import machine_words

    facts = {
        "cores": 2,
        "python": "3.11.2",
        "python_executable": "/usr/bin/python3.11",
        "cpu_calibration_ms": 31.4,
        "db_round_trip_us": {"back_to_back": 60, "after_idle": 210},
    }
    assert machine_words(facts) == (
        "2 cores, Python 3.11.2 (/usr/bin/python3.11) (a fixed Python loop: 31.4 ms;"
        " a database round trip: 60 us back to back, 210 us after 50 ms idle)"
    )
    # A result from before the interpreter was recorded says so rather than guessing.
    older = {"cores": 2, "python": "3.11.7", "cpu_calibration_ms": 20.3}
    assert machine_words(older) == (
        "2 cores, Python 3.11.7 (interpreter not recorded) (a fixed Python loop: 20.3 ms)"
    )
