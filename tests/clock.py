"""The frozen "today" every test starts on (tests/conftest.py freezes the clock there, ticking).

Monday 23 November 2026, 09:00 in London (GMT then, so 09:00 UTC). Tests derive their dates
from it; `make test` runs the suite again with the machine's clock 400 days ahead to prove that
nothing depends on the day the suite runs."""

import datetime as dt

FROZEN_NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
FROZEN_TODAY = FROZEN_NOW.date()
