#!/bin/sh
# Container entrypoint for web, worker and beat (docker/compose.yml).
#
# 1. Wait (bounded) for the database named by DATABASE_URL: containers start in any
#    order, and a database that never comes fails here with one line.
# 2. Migrate only in web containers (the command is gunicorn) or when SAFECASE_MIGRATE=1:
#    workers and beat never migrate, so several containers starting at once do not race
#    to apply the same migrations.
# 3. exec the command, so it runs as PID 1 and receives the stop signal itself.
set -eu

if [ "$#" -eq 0 ]; then
    echo "safecase: entrypoint: no command given (e.g. gunicorn, celery)" >&2
    exit 2
fi

cd "$(dirname "$0")/.."

python manage.py wait_for_db --timeout "${SAFECASE_DB_WAIT_TIMEOUT:-60}"

if [ "${1:-}" = "gunicorn" ] || [ "${SAFECASE_MIGRATE:-0}" = "1" ]; then
    python manage.py migrate --noinput
fi

exec "$@"
