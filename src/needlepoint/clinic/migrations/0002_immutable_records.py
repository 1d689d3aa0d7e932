from django.db import migrations

from needlepoint.audit.guards import Guard, install

SIGNED = "(SELECT signed_at FROM clinic_treatmentsession WHERE id = {row}.session_id) IS NOT NULL"
GUARDS = [
    Guard("consent_no_update", "clinic_consent", "UPDATE", "", "a signed consent cannot be changed"),
    Guard("consent_no_delete", "clinic_consent", "DELETE", "", "a signed consent cannot be deleted"),
    Guard(
        "signed_session_no_update",
        "clinic_treatmentsession",
        "UPDATE",
        "OLD.signed_at IS NOT NULL",
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard(
        "signed_session_no_delete",
        "clinic_treatmentsession",
        "DELETE",
        "OLD.signed_at IS NOT NULL",
        "a signed chart cannot be deleted",
    ),
    Guard(
        "signed_area_no_insert",
        "clinic_areatreatment",
        "INSERT",
        SIGNED.format(row="NEW"),
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard(
        "signed_area_no_update",
        "clinic_areatreatment",
        "UPDATE",
        SIGNED.format(row="OLD"),
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard(
        "signed_area_no_delete",
        "clinic_areatreatment",
        "DELETE",
        SIGNED.format(row="OLD"),
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard(
        "signed_event_no_insert",
        "clinic_adverseevent",
        "INSERT",
        SIGNED.format(row="NEW"),
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard(
        "signed_event_no_update",
        "clinic_adverseevent",
        "UPDATE",
        SIGNED.format(row="OLD"),
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard(
        "signed_event_no_delete",
        "clinic_adverseevent",
        "DELETE",
        SIGNED.format(row="OLD"),
        "a signed chart cannot be changed; add an addendum",
    ),
    Guard("addendum_no_update", "clinic_addendum", "UPDATE", "", "an addendum cannot be changed"),
    Guard("addendum_no_delete", "clinic_addendum", "DELETE", "", "an addendum cannot be deleted"),
]
forward, backward = install(GUARDS)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
