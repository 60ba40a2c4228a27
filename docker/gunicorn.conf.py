"""Gunicorn settings for the web container (docker/Dockerfile's CMD).

A config file rather than command-line flags so the image's CMD stays in exec form
(``gunicorn ...`` as the first argument tells docker/entrypoint.sh to migrate) while
the worker count still comes from the environment.
"""

import os

bind = "0.0.0.0:8000"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
accesslog = "-"
# Worker heartbeat files on tmpfs: a slow overlay filesystem cannot stall the workers.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - tmpfs, private to the container
