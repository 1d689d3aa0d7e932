"""The public inquiry's rate limit counts in the database cache, so every worker process (and a
restarted one) sees the same counts, per client address as the trusted proxies give it."""

from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from inquiry_helpers import CONTACT, HEALTHY, fresh_rate_limit  # noqa: F401 (an autouse fixture)

from needlepoint.clinic.models import Inquiry
from needlepoint.clinic.views import inquiry as inquiry_view

URL = "/inquiry/"
KEY = "needlepoint:inquiry-requests:127.0.0.1"


def ask(client, **extra):
    return client.post(URL, HEALTHY | CONTACT, **extra)


def test_it_keeps_the_counts_in_the_database_cache(settings):
    assert settings.CACHES["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "needlepoint_cache",
    }


@override_settings(NEEDLEPOINT_INQUIRY_REQUESTS_PER_HOUR=2)
def test_it_refuses_the_next_request_in_another_worker(client, db, monkeypatch):
    for _ in range(2):
        assert ask(client).status_code == 302
    with connection.cursor() as cursor:  # in the database, where every process reads it
        cursor.execute("SELECT cache_key FROM needlepoint_cache")
        assert [row[0] for row in cursor.fetchall()] == [f":1:{KEY}"]
    another_worker = caches.create_connection("default")
    assert another_worker.get(KEY) == 2
    monkeypatch.setattr(inquiry_view, "cache", another_worker)
    refused = ask(client)
    assert (refused.status_code, "Too many requests" in refused.content.decode()) == (400, True)
    assert Inquiry.objects.count() == 2


@override_settings(NEEDLEPOINT_INQUIRY_REQUESTS_PER_HOUR=1, NEEDLEPOINT_TRUSTED_PROXIES=1)
def test_it_counts_each_visitor_behind_the_proxy_apart(client, db):
    assert ask(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 302
    assert ask(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 400
    assert ask(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302
