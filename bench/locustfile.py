"""Locust users for bench_web.py: a practitioner opening the dashboard, a patient record and a
course page, plus the empty health view as the floor. Paths come from BENCH_TARGETS (JSON)."""

import itertools
import json
import os
import random

from locust import HttpUser, between, task

TARGETS = json.loads(os.environ["BENCH_TARGETS"])
SESSIONS = itertools.cycle(TARGETS["sessions"])


class Practitioner(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        # Each user arrives already signed in (a session made beforehand), so the run measures
        # the pages rather than Argon2 password hashing.
        self.client.cookies.set("sessionid", next(SESSIONS), domain="127.0.0.1")

    @task
    def dashboard(self) -> None:
        self.client.get(TARGETS["dashboard"], name="dashboard")

    @task
    def patient_record(self) -> None:
        self.client.get(random.choice(TARGETS["patient_pages"]), name="patient record")

    @task
    def course_page(self) -> None:
        self.client.get(random.choice(TARGETS["course_pages"]), name="course page")

    @task
    def floor(self) -> None:
        self.client.get("/health/", name="empty view (floor)")
