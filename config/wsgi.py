"""WSGI entry point for gunicorn.

Once the application is loaded (settings, apps, models and the URL configuration with
every view), what it made is frozen out of the garbage collector (``gc.freeze``): those
objects live as long as the worker anyway, and a full collection walked all of them
(about 160,000), pausing the worker for 80-105 ms once every few hundred requests; it
now walks only what requests left behind (docs/performance.md).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

from config.env import ConfigError, report_and_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

try:
    application = get_wsgi_application()
except ConfigError as exc:
    report_and_exit(exc)


def _freeze() -> None:
    """Load the URL configuration (the first request would), then freeze what is alive."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - loading it is the point
    gc.collect()
    gc.freeze()


_freeze()
