"""The clinic app's configuration: the patient's records and path; registers the clinic's system
checks when Django starts."""

from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "needlepoint.clinic"
    label = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from needlepoint.clinic import checks  # noqa: F401  (registers the system checks)
