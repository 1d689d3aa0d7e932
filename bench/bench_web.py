"""Benchmark: the clinic under load, on SQLite and on PostgreSQL.

For each database: a fresh database holding the demo clinic scaled to 10,000 patients and
100,000 charted sessions; gunicorn on 127.0.0.1 (2 workers x 4 threads, as `make run`); 20
concurrent locust users (headless) opening the dashboard, a patient record and a course page,
and the empty health view measured in the same run as the floor. Reports the 50th and 95th
percentile per page. Goal: 95th percentile at most 100 ms.

The machine's two cores are shared by the load generator, the server and the database, and
any other work on the machine; the run reports the load average before it starts and the CPU
seconds locust and gunicorn used, so a slow run can be told from a slow page. With --pin,
locust runs on the last core and gunicorn (and the database it starts) on the others.

    .venv/bin/python bench/bench_web.py [--db sqlite postgres] [--patients N] [--sessions N]
                                        [--users N] [--seconds N] [--pin]
"""

import argparse
import csv
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(db: str) -> dict[str, str]:
    var = RESULTS / f"web-{db}"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "needlepoint.web.settings.demo",
        "NEEDLEPOINT_VAR_DIR": str(var),
    }
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        url = subprocess.run(
            [str(ROOT / "scripts" / "ensure-postgres.sh")], capture_output=True, text=True, check=True
        ).stdout.strip()
        base = url.rsplit("/", 1)[0]
        subprocess.run(
            [
                "su",
                "postgres",
                "-c",
                "psql -q -c 'DROP DATABASE IF EXISTS needlepoint_bench' "
                "-c 'CREATE DATABASE needlepoint_bench OWNER needlepoint'",
            ],
            check=True,
        )
        env["DATABASE_URL"] = f"{base}/needlepoint_bench"
    return env


def _prepare(env: dict[str, str], patients: int, sessions: int) -> dict:
    admin = str(BIN / "django-admin")
    subprocess.run([admin, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([admin, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "populate_web.py"), str(patients), str(sessions)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"  populated in {time.perf_counter() - t0:.0f} s")
    # Statistics, as a database in service has them: without, the planner guesses from empty
    # tables, and autovacuum changes the plans half-way through the run.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django;django.setup();from django.db import connection;"
            "connection.cursor().execute('ANALYZE')",
        ],
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _targets(env: dict[str, str], data: dict) -> dict:
    code = (
        "import django,json,sys;django.setup();from django.urls import reverse as r;"
        "d=json.loads(sys.argv[1]);print(json.dumps({'dashboard':r('clinic:dashboard'),"
        "'patient_pages':[r('clinic:patient_detail',args=[p]) for p in d['patients']],"
        "'course_pages':[r('clinic:course_summary',args=[c]) for c in d['courses']]}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(data)], env=env, capture_output=True, text=True, check=True
    )
    return {**json.loads(out.stdout), "sessions": data["sessions"]}


def _cores(pin: bool) -> tuple[list[str], list[str]]:
    """Return the command prefixes for (gunicorn, locust): with `pin`, locust gets the last
    core to itself and gunicorn the others (nothing pinned on a single core machine)."""
    cores = sorted(os.sched_getaffinity(0))
    if not pin or len(cores) < 2 or shutil.which("taskset") is None:
        return [], []
    server = ",".join(str(c) for c in cores[:-1])
    return ["taskset", "-c", server], ["taskset", "-c", str(cores[-1])]


def _cpu_seconds(pid: int) -> float:
    """Return the CPU seconds used so far by process `pid` and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / tick
    return own + sum(_cpu_seconds(int(c)) for c in children)


def _serve(env: dict[str, str], port: int, prefix: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            *prefix,
            str(BIN / "gunicorn"),
            "needlepoint.web.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _warm_up(port: int, targets: dict) -> None:
    """Open every page a few times first, so the run measures warm workers (imports done,
    templates compiled, protocol loaded), as a clinic's server is after its first minute."""
    import urllib.request

    paths = [targets["dashboard"], *targets["patient_pages"][:5], *targets["course_pages"][:5], "/health/"]
    for _ in range(6):
        for path in paths:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={targets['sessions'][0]}"}
            )
            urllib.request.urlopen(req, timeout=30).read()


def _load(
    env: dict[str, str], port: int, targets: dict, args: argparse.Namespace, db: str, pin: list[str]
) -> list:
    users, seconds = args.users, args.seconds
    prefix = RESULTS / f"web-{db}" / "locust"
    with open(f"{prefix}.log", "w") as log:
        subprocess.run(
            [
                *pin,
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(users),
                "--run-time",
                f"{seconds}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={**env, "BENCH_TARGETS": json.dumps(targets)},
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    with open(f"{prefix}_stats.csv") as f:
        return [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]


def run(db: str, args: argparse.Namespace) -> None:
    print(
        f"\n== {db}: {args.patients} patients, {args.sessions} charted sessions, "
        f"{args.users} users for {args.seconds} s"
    )
    env = _env(db)
    targets = _targets(env, _prepare(env, args.patients, args.sessions))
    port = _free_port()
    server_cores, locust_cores = _cores(args.pin)
    server = _serve(env, port, server_cores)
    try:
        _warm_up(port, targets)
        load = os.getloadavg()[0]
        before, locust_before = _cpu_seconds(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
        rows = _load(env, port, targets, args, db, locust_cores)
        used = _cpu_seconds(server.pid) - before
        locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        server.terminate()
        server.wait(timeout=30)
    locust_used = (
        locust_after.ru_utime + locust_after.ru_stime - locust_before.ru_utime - locust_before.ru_stime
    )
    print(
        f"  load average before the run {load:.2f} on {os.cpu_count()} cores; CPU seconds used: "
        f"gunicorn {used:.0f}, locust {locust_used:.0f} in {args.seconds} s"
        + (f"; pinned: gunicorn {server_cores[-1]}, locust {locust_cores[-1]}" if locust_cores else "")
    )
    print(f"  {'page':<22}{'requests':>9}{'failures':>9}{'p50 ms':>8}{'p95 ms':>8}  goal p95<=100")
    for r in rows:
        if r["Name"] in ("login page", "sign in"):
            continue
        p95 = float(r["95%"])
        verdict = "floor" if "floor" in r["Name"] else ("met" if p95 <= 100 else "NOT met")
        print(
            f"  {r['Name']:<22}{r['Request Count']:>9}{r['Failure Count']:>9}"
            f"{float(r['50%']):>8.0f}{p95:>8.0f}  {verdict}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument(
        "--pin", action="store_true", help="run locust on a core of its own (taskset), gunicorn on the others"
    )
    args = ap.parse_args()
    for db in args.db:
        run(db, args)


if __name__ == "__main__":
    main()
