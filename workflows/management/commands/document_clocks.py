"""Write docs/clocks.md from the declared deadline rules of every workflow."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from workflows.clock_docs import clocks_markdown
from workflows.registry import WORKFLOWS


class Command(BaseCommand):
    help = "Write docs/clocks.md: every clock, its kind, start and stop events and source."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="docs/clocks.md", help="file to write")

    def handle(self, *args, output: str, **options):
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = clocks_markdown(w for _, w in sorted(WORKFLOWS.items()))
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path} ({text.count(chr(10))} lines)")
