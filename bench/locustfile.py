"""Locust users for bench_web.py: a practitioner opening the dashboard, a patient record and a
course page, plus the empty health view as the floor. Paths come from BENCH_TARGETS (JSON)."""

import json
import os
import random

from locust import HttpUser, between, task

TARGETS = json.loads(os.environ["BENCH_TARGETS"])


class Practitioner(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.client.get("/accounts/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post("/accounts/login/", name="sign in",
                         data={"username": TARGETS["username"], "password": TARGETS["password"],
                               "csrfmiddlewaretoken": token},
                         headers={"Referer": self.host + "/accounts/login/"})

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
