#!/usr/bin/env bash
# The demo's processes, started by `make run` after migrate/collectstatic/seed: the web server
# (gunicorn on 127.0.0.1:8000, or $NEEDLEPOINT_BIND) and beside it the worker that sends
# reminders and staff alerts (`clinic_worker`: django-tasks-db's db_worker with the sweep inside
# it, at start and every minute: interrupted sends settled, lost tasks re-queued, urgent flags
# nobody acknowledged escalated).
# Each is watched on its own: when one ends (killed, crashed), it is started again after a short
# back-off (1 s, doubling up to 30 s while it keeps ending within 30 s of starting), and the other
# runs on untouched. Every restart is logged. Only Ctrl-C or a TERM to this script stops both.
set -uo pipefail

BIN=${BIN:-.venv/bin}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-needlepoint.web.settings.demo}
FIRST_DELAY=1
MAX_DELAY=30

declare -A pid=() started=() delay=()

start() {
    case $1 in
        worker) "$BIN/django-admin" clinic_worker --no-reload --interval 5 --verbosity 1 & ;;
        web) "$BIN/gunicorn" needlepoint.web.wsgi --bind "${NEEDLEPOINT_BIND:-127.0.0.1:8000}" --workers 2 \
                --threads 4 --access-logfile - --log-level warning & ;;
    esac
    pid[$1]=$!
    started[$1]=$SECONDS
    echo "run-demo: $(label "$1") pid ${pid[$1]}"
}

label() {
    if [[ $1 == web ]]; then echo "web server"; else echo "reminder worker"; fi
}

stop() {
    trap - INT TERM EXIT
    kill -TERM "${pid[web]}" "${pid[worker]}" 2>/dev/null
    wait "${pid[web]}" 2>/dev/null
    wait "${pid[worker]}" 2>/dev/null
    echo "run-demo: stopped"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# Start `name` again after its back-off: the first delay when it had run a while, else double
# the last one (at most MAX_DELAY), so a process that cannot start does not spin.
restart() {
    local name=$1 status=$2
    if (( SECONDS - started[$name] >= MAX_DELAY )); then
        delay[$name]=$FIRST_DELAY
    else
        delay[$name]=$(( ${delay[$name]:-0} * 2 ))
        (( delay[$name] < FIRST_DELAY )) && delay[$name]=$FIRST_DELAY
        (( delay[$name] > MAX_DELAY )) && delay[$name]=$MAX_DELAY
    fi
    echo "run-demo: the $(label "$name") (pid ${pid[$name]}) ended with status $status;" \
        "restarting it in ${delay[$name]} s" >&2
    sleep "${delay[$name]}" &
    wait $!  # (a Ctrl-C or TERM during the back-off runs its trap at once)
    start "$name"
}

echo "run-demo: Ctrl-C stops both; either one ending is restarted"
start worker
start web
echo "On a fresh production install, create the first medical director with:" \
    "DJANGO_SETTINGS_MODULE=needlepoint.web.settings.production django-admin create_medical_director" \
    "--email EMAIL --first-name FIRST --last-name LAST (it prints a one-time link to set a password and an authenticator)"
while true; do
    wait -n -p ended "${pid[web]}" "${pid[worker]}"
    status=$?
    [[ -n ${ended:-} ]] || { sleep 1; continue; }
    for name in web worker; do
        [[ ${ended:-} == "${pid[$name]}" ]] && restart "$name" "$status"
    done
done
