"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from config.env import ConfigError, report_and_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

try:
    application = get_wsgi_application()
except ConfigError as exc:
    report_and_exit(exc)
