"""Sign-in failures move to django-axes (its own tables): the hand-made LoginFailure goes. The
database cache that every worker shares (the inquiry's rate limit) gets its table here, so that
`migrate` alone prepares a deployment (createcachetable skips a table that exists)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(
            name="LoginFailure",
        ),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True),
    ]
