"""`django-admin clinic_worker`: the django-tasks-db worker (`db_worker`, same options) with the
sweep running inside it: once at start, then every `--sweep-every` seconds, a thread of the
worker settles what a stopped worker left behind (sends interrupted mid-way, send tasks left
"running", reminders whose task was lost) and escalates urgent flags nobody acknowledged
(`needlepoint.bookings.tasks.sweep`). Several workers may run: every step of the sweep is a
conditional update, so two sweeps never do one thing twice."""

import datetime as dt
import logging
import os
import threading
from argparse import ArgumentParser
from dataclasses import astuple
from typing import Any

from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand
from django_tasks_db.management.commands.db_worker import valid_interval

from needlepoint.bookings.tasks import STALE_SENDING, SWEEP_EVERY, sweep

logger = logging.getLogger("needlepoint.worker")


class Sweeper(threading.Thread):
    """Runs the sweep every `every`, for as long as the worker process lives."""

    def __init__(self, *, every: dt.timedelta, stale: dt.timedelta):
        super().__init__(name="needlepoint-sweep", daemon=True)
        self.every, self.stale = every, stale
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sweep_once()
            self.stopping.wait(self.every.total_seconds())

    def sweep_once(self) -> None:
        try:
            report = sweep(stale=self.stale)
        except Exception:  # a locked or unreachable database: log it and try again next round
            logger.exception("sweep failed; trying again in %s s", self.every.total_seconds())
        else:
            if any(astuple(report)):
                logger.warning("sweep: %s", report)
        finally:
            connections.close_all()  # this thread's connections only


class Command(DBWorkerCommand):
    help = "Run the background worker (reminders, staff alerts) with the periodic sweep inside it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-every",
            type=valid_interval,
            default=SWEEP_EVERY.total_seconds(),
            help="Seconds between two sweeps (default: %(default)s).",
        )
        parser.add_argument(
            "--stale-after",
            type=valid_interval,
            default=STALE_SENDING.total_seconds(),
            help="Seconds after which a send still going was interrupted (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sweep_every: float = options.pop("sweep_every")
        stale_after: float = options.pop("stale_after")
        in_reloader_parent = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not options.get("batch") and not in_reloader_parent:
            Sweeper(
                every=dt.timedelta(seconds=max(sweep_every, 0.1)), stale=dt.timedelta(seconds=stale_after)
            ).start()
        super().handle(*args, **options)
