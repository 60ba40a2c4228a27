"""``manage.py case_figures_rebuild``: derive the figures' facts of every case afresh.

Needed only after something wrote the state history other than the one write path (a
bulk load, a backfill) or after a change to how a figure is counted; the write path
keeps the facts in step on its own (workflows/case_figures.py).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from workflows.case_figures import case_figures_rebuild


class Command(BaseCommand):
    help = "Derive every case's figure facts and the daily sums the reports read, afresh."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = case_figures_rebuild(log=lambda line: self.stdout.write(line))
        self.stdout.write(
            self.style.SUCCESS(
                f"{written:,} facts written in {time.perf_counter() - started:.1f} s"
            )
        )
