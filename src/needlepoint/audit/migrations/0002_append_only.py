from django.db import migrations

from needlepoint.audit.guards import Guard, install

GUARDS = [
    Guard("audit_no_update", "audit_auditevent", "UPDATE", "", "the audit trail is append-only"),
    Guard("audit_no_delete", "audit_auditevent", "DELETE", "", "the audit trail is append-only"),
]
forward, backward = install(GUARDS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
