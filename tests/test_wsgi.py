"""The WSGI entry point gunicorn loads (config/wsgi.py): the application, its URL
configuration loaded, and what loading made frozen out of the garbage collector, so a
full collection in a worker walks only what requests leave behind (docs/performance.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, sys
import config.wsgi
from django.core.handlers.wsgi import WSGIHandler
print(json.dumps({
    "handler": isinstance(config.wsgi.application, WSGIHandler),
    "urls_loaded": "config.urls" in sys.modules,
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
}))
"""


def test_the_loaded_application_is_frozen_out_of_the_garbage_collector():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["handler"]
    assert probe["urls_loaded"]
    # The settings, apps, models, URL patterns and views: well over 50,000 objects,
    # none of which a collection walks again; next to nothing is left for it.
    assert probe["frozen"] > 50_000
    assert probe["tracked"] < probe["frozen"] // 100
