"""Benchmark: the clinic under load, on SQLite and on PostgreSQL.

For each database: a fresh database holding the demo clinic scaled to 10,000 patients and
100,000 charted sessions; gunicorn on 127.0.0.1 (2 workers x 4 threads, as `make run`); 20
concurrent locust users (headless) opening the dashboard, a patient record and a course page,
and the empty health view measured in the same run as the floor. Reports the 50th and 95th
percentile per page. Goal: 95th percentile at most 100 ms.

    .venv/bin/python bench/bench_web.py [--db sqlite postgres] [--patients N] [--sessions N]
"""

import argparse
import csv
import json
import os
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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "needlepoint.web.settings.demo",
           "NEEDLEPOINT_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        url = subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], capture_output=True,
                             text=True, check=True).stdout.strip()
        base = url.rsplit("/", 1)[0]
        subprocess.run(["su", "postgres", "-c", "psql -q -c 'DROP DATABASE IF EXISTS needlepoint_bench' "
                        "-c 'CREATE DATABASE needlepoint_bench OWNER needlepoint'"], check=True)
        env["DATABASE_URL"] = f"{base}/needlepoint_bench"
    return env


def _prepare(env: dict[str, str], patients: int, sessions: int) -> dict:
    admin = str(BIN / "django-admin")
    subprocess.run([admin, "migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run([admin, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "populate_web.py"), str(patients),
                          str(sessions)], env=env, capture_output=True, text=True, check=True)
    print(f"  populated in {time.perf_counter() - t0:.0f} s")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _targets(env: dict[str, str], data: dict) -> dict:
    code = ("import django,json,sys;django.setup();from django.urls import reverse as r;"
            "d=json.loads(sys.argv[1]);print(json.dumps({'dashboard':r('clinic:dashboard'),"
            "'patient_pages':[r('clinic:patient_detail',args=[p]) for p in d['patients']],"
            "'course_pages':[r('clinic:course_summary',args=[c]) for c in d['courses']]}))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(data)], env=env,
                         capture_output=True, text=True, check=True)
    return {**json.loads(out.stdout), "sessions": data["sessions"]}


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "gunicorn"), "needlepoint.web.wsgi", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
                             "--log-level", "warning"], env=env)
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
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"Cookie": f"sessionid={targets['sessions'][0]}"})
            urllib.request.urlopen(req, timeout=30).read()


def _load(env: dict[str, str], port: int, targets: dict, users: int, seconds: int, db: str) -> list:
    prefix = RESULTS / f"web-{db}" / "locust"
    subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                    "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s", "--host",
                    f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
                    "--loglevel", "WARNING"],
                   env={**env, "BENCH_TARGETS": json.dumps(targets)}, check=False,
                   stdout=subprocess.DEVNULL, stderr=open(f"{prefix}.log", "w"))  # noqa: SIM115
    with open(f"{prefix}_stats.csv") as f:
        return [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]


def run(db: str, args: argparse.Namespace) -> None:
    print(f"\n== {db}: {args.patients} patients, {args.sessions} charted sessions, "
          f"{args.users} users for {args.seconds} s")
    env = _env(db)
    targets = _targets(env, _prepare(env, args.patients, args.sessions))
    port = _free_port()
    server = _serve(env, port)
    try:
        _warm_up(port, targets)
        rows = _load(env, port, targets, args.users, args.seconds, db)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"  {'page':<22}{'requests':>9}{'failures':>9}{'p50 ms':>8}{'p95 ms':>8}  goal p95<=100")
    for r in rows:
        if r["Name"] in ("login page", "sign in"):
            continue
        p95 = float(r["95%"])
        verdict = "floor" if "floor" in r["Name"] else ("met" if p95 <= 100 else "NOT met")
        print(f"  {r['Name']:<22}{r['Request Count']:>9}{r['Failure Count']:>9}"
              f"{float(r['50%']):>8.0f}{p95:>8.0f}  {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
    for db in args.db:
        run(db, args)


if __name__ == "__main__":
    main()
