#!/usr/bin/env bash
# The demo's processes, started by `make run` after migrate/collectstatic/seed: the web server
# (gunicorn on 127.0.0.1:8000, or $NEEDLEPOINT_BIND) and beside it the worker that sends
# reminders and staff alerts (`clinic_worker`: django-tasks-db's db_worker with the sweep inside
# it, at start and every minute: interrupted sends settled, lost tasks re-queued, urgent flags
# nobody acknowledged escalated).
# They live and stop together: Ctrl-C, a TERM to this script, or either one exiting stops both.
set -uo pipefail

BIN=${BIN:-.venv/bin}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-needlepoint.web.settings.demo}

"$BIN/django-admin" clinic_worker --no-reload --interval 5 --verbosity 1 &
worker=$!
"$BIN/gunicorn" needlepoint.web.wsgi --bind "${NEEDLEPOINT_BIND:-127.0.0.1:8000}" --workers 2 --threads 4 \
    --access-logfile - --log-level warning &
web=$!
echo "run-demo: web server pid $web, reminder worker pid $worker (Ctrl-C stops both)"
echo "On a fresh production install, create the first medical director with:" \
    "DJANGO_SETTINGS_MODULE=needlepoint.web.settings.production django-admin create_medical_director" \
    "--email EMAIL --first-name FIRST --last-name LAST (it prints a one-time link to set a password and an authenticator)"

stop() {
    trap - INT TERM EXIT
    kill -TERM "$web" "$worker" 2>/dev/null
    wait "$web" 2>/dev/null
    wait "$worker" 2>/dev/null
    echo "run-demo: stopped"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# Return as soon as either process ends; the EXIT trap then stops the other.
wait -n "$web" "$worker"
status=$?
echo "run-demo: a process ended (status $status); stopping the other" >&2
exit "$status"
