#!/bin/sh
# Container entrypoint for web, worker and beat (docker/compose.yml).
#
# 1. Wait (bounded) for the database named by DATABASE_URL: containers start in any
#    order, and a database that never comes fails here with one line.
# 2. Migrate only in web containers (the command is gunicorn) or when SAFECASE_MIGRATE=1:
#    workers and beat never migrate, so several containers starting at once do not race
#    to apply the same migrations.
#    With DATABASE_OWNER_URL (web in docker/compose.yml), the migrations run as the owner
#    of the tables and setup_database_roles keeps DATABASE_URL's role to what the
#    application needs: read and add to the audit tables, never rewrite them (issue 17).
# 3. exec the command without DATABASE_OWNER_URL, so it runs as PID 1 and receives the
#    stop signal itself.
set -eu

if [ "$#" -eq 0 ]; then
    echo "safecase: entrypoint: no command given (e.g. gunicorn, celery)" >&2
    exit 2
fi

cd "$(dirname "$0")/.."

if [ -n "${DATABASE_OWNER_URL:-}" ]; then
    # On a first start the application's role does not exist yet: wait as the owner.
    DATABASE_URL="$DATABASE_OWNER_URL" python manage.py wait_for_db --timeout "${SAFECASE_DB_WAIT_TIMEOUT:-60}"
else
    python manage.py wait_for_db --timeout "${SAFECASE_DB_WAIT_TIMEOUT:-60}"
fi

if [ "${1:-}" = "gunicorn" ] || [ "${SAFECASE_MIGRATE:-0}" = "1" ]; then
    if [ -n "${DATABASE_OWNER_URL:-}" ]; then
        # The application's role (DATABASE_URL) is made, and after the migrations (run
        # as the owner) granted only what it needs on any new table (docs/security.md).
        python manage.py setup_database_roles
        python manage.py migrate --noinput
        python manage.py setup_database_roles
    else
        python manage.py migrate --noinput
    fi
fi

# The application never holds the owner's credentials.
unset DATABASE_OWNER_URL
exec "$@"
