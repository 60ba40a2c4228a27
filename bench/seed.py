"""Seed a county's worth of benchmark data into the database ``DATABASE_URL`` names:

    .venv/bin/python bench/seed.py --cases N [--seed S] [--force]
    .venv/bin/python -m config.embedded -- .venv/bin/python bench/seed.py --cases N

``bench/seed_scale.py`` does the work (``make bench`` runs it for you); this only sets
Django up first, as ``manage.py`` would.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench.seed_scale import Command

    Command().run_from_argv(["bench/seed.py", "seed_scale", *sys.argv[1:]])


if __name__ == "__main__":
    main()
