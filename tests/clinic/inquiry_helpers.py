"""What the public inquiry's tests share: a visitor's answers that screen as suitable
(`HEALTHY`), the contact step that sends them (`CONTACT`), and a fixture that clears the rate
limit's counts before and after each test (`fresh_rate_limit`, used by importing it)."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache

HEALTHY = {
    "birth_date": "1990-05-14",
    "pregnancy": "no",
    "goals": ["acne_scars"],
    "areas": ["cheeks", "forehead"],
    "fitzpatrick": "3",
    "sunburn": "no",
    "isotretinoin": "never",
}
CONTACT = {
    "step": "request",
    "contact-first_name": "Vera",
    "contact-last_name": "Visitor",
    "contact-email": "vera@example.org",
    "contact-phone": "+44 20 7946 0000",
    "contact-consent": "on",
}


@pytest.fixture(autouse=True)
def fresh_rate_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """The counts live in the database cache (shared by every worker): a test that uses the
    database starts and ends with none; a test without it never counts."""
    uses = [name for name in ("transactional_db", "db") if name in request.fixturenames]
    if uses:
        request.getfixturevalue(uses[0])
        cache.clear()
    yield
    if uses:
        cache.clear()
