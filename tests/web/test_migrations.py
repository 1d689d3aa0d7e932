"""Every model change has its migration: `makemigrations --check --dry-run` finds nothing to
write (a changed field, choice or constraint without a migration fails here, not in deployment)."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_it_has_a_migration_for_every_model_change():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
    except SystemExit:
        pytest.fail("Models changed without a migration:\n" + out.getvalue())
