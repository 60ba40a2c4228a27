"""Running a function in several threads at once, for tests of concurrent writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_in_threads(target: Callable[[int], Any], n: int) -> tuple[list[Any], list[Exception]]:
    """Call ``target(i)`` in ``n`` threads released together; return results and errors.

    Each thread closes its own database connection when done. Needs a transactional test
    (``django_db(transaction=True)``) so the threads see each other's commits.
    """
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[Exception] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # collected for the test to assert on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors
