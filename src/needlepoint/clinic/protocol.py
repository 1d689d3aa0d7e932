"""The protocol the clinic runs on, loaded once per process, and the core engines built on it."""

import functools

from django.conf import settings

from needlepoint.clinical.planning import Planner
from needlepoint.clinical.protocol import Protocol, load_protocol
from needlepoint.clinical.screening import Screener


@functools.cache
def clinic_protocol() -> Protocol:
    """Return the clinic's protocol (settings.NEEDLEPOINT_PROTOCOL, else the default)."""
    return load_protocol(settings.NEEDLEPOINT_PROTOCOL)


@functools.cache
def screener() -> Screener:
    return Screener(clinic_protocol())


@functools.cache
def planner() -> Planner:
    return Planner(clinic_protocol())
