"""`make run`'s processes (scripts/run-demo.sh) do not take each other down: the reminder worker
killed is started again while the web server keeps answering; the web server killed is started
again while the worker runs on; a TERM to the script stops everything it started.

Real processes on a migrated SQLite file in a temporary folder, the demo's settings and a free
port. Every wait polls with a deadline (generous: the machine may be busy); nothing assumes
speed. The processes run on the machine's own clock (libfaketime is not passed on, as in the
killed-worker test)."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEADLINE = 90  # seconds for any one thing to happen
NOT_PASSED_ON = (
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "LD_PRELOAD",
    "FAKETIME",
    "FAKETIME_DONT_FAKE_MONOTONIC",
    "DONT_FAKE_MONOTONIC",
    "FAKETIME_NO_CACHE",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until[T](what: str, check: Callable[[], T | None]) -> T:
    """Poll `check` until it returns something truthy; fail after DEADLINE seconds."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if found := check():
            return found
        time.sleep(0.2)
    pytest.fail(f"waited {DEADLINE} s for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Demo:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, port: int):
        self.process, self.log, self.port = process, log, port

    def pids(self, who: str) -> list[int]:
        """Every pid the script announced for `who` ("web server" or "reminder worker")."""
        return [int(p) for p in re.findall(rf"run-demo: {who} pid (\d+)", self.log.read_text())]

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/", timeout=5) as r:
                return bool(r.status == 200 and r.read() == b"ok")
        except OSError:
            return False

    def new_pid(self, who: str, after: int) -> int | None:
        pids = self.pids(who)
        return pids[-1] if pids and pids[-1] != after and alive(pids[-1]) else None


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_PASSED_ON}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="needlepoint.web.settings.demo",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        NEEDLEPOINT_VAR_DIR=str(tmp_path / "var"),
        NEEDLEPOINT_BIND=f"127.0.0.1:{port}",
        BIN=str(BIN),
    )
    subprocess.run([BIN / "django-admin", "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
    log = tmp_path / "run-demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ROOT / "scripts" / "run-demo.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to clean up whatever is left
        )
    try:
        yield Demo(process, log, port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=DEADLINE)


def test_killed_worker_and_web_server_are_restarted_and_a_term_stops_everything(demo: Demo) -> None:
    until("the web server to answer", demo.answers)
    worker, web = demo.pids("reminder worker")[-1], demo.pids("web server")[-1]

    os.kill(worker, signal.SIGKILL)
    new_worker = until("a new reminder worker", lambda: demo.new_pid("reminder worker", worker))
    assert (demo.answers(), demo.pids("web server")) == (True, [web])  # the web server was left alone
    assert f"the reminder worker (pid {worker}) ended" in demo.log.read_text()

    os.kill(web, signal.SIGKILL)
    new_web = until("a new web server", lambda: demo.new_pid("web server", web))
    until("the new web server to answer", demo.answers)
    assert (alive(new_worker), demo.pids("reminder worker")[-1]) == (True, new_worker)  # the worker ran on

    demo.process.send_signal(signal.SIGTERM)
    assert demo.process.wait(timeout=DEADLINE) == 143
    until("every process of the demo to end", lambda: not group_alive(demo.process.pid))
    assert (alive(new_worker), alive(new_web), "run-demo: stopped" in demo.log.read_text()) == (
        False,
        False,
        True,
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_script_is_valid_bash() -> None:
    checked: Any = subprocess.run(["bash", "-n", ROOT / "scripts" / "run-demo.sh"], capture_output=True)
    assert (checked.returncode, checked.stderr) == (0, b"")
