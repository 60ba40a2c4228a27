"""Draw every registered workflow: ``<case_type>.dot``, and ``.svg`` where Graphviz is installed.

The diagrams in docs/workflows/ are made by this command from the declared transitions;
run it again after changing a workflow and commit what it writes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workflows.diagrams import dot_to_svg, graphviz_installed, workflow_dot
from workflows.registry import WORKFLOWS


class Command(BaseCommand):
    help = "Write a Graphviz diagram of each workflow (DOT, and SVG when 'dot' is installed)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="docs/workflows", help="folder to write to")

    def handle(self, *args, output: str, **options):
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        svg = graphviz_installed()
        for case_type, workflow in sorted(WORKFLOWS.items()):
            dot = workflow_dot(workflow)
            written = [self._write(folder / f"{case_type}.dot", dot)]
            if svg:
                try:
                    written.append(self._write(folder / f"{case_type}.svg", dot_to_svg(dot)))
                except (OSError, subprocess.SubprocessError) as exc:
                    raise CommandError(f"dot failed on {case_type}: {exc}") from exc
            self.stdout.write(f"{case_type}: wrote {', '.join(str(p) for p in written)}")
        if not svg:
            self.stdout.write("Graphviz 'dot' is not installed, so no SVG was drawn.")

    def _write(self, path: Path, text: str) -> Path:
        path.write_text(text, encoding="utf-8")
        return path
