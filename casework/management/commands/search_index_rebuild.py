"""Write every case's search index entry (``casework.search_index``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casework.search_index import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Write the search index entry of every case, in batches: the backfill after an "
        "import or a bulk load that bypassed the services (seed_scale runs it)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = search_index_rebuild()
        self.stdout.write(f"search index: {written} cases indexed")
