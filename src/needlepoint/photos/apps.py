"""The photos app: clinical photographs, photo consent, capture, and before/after comparison."""

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "needlepoint.photos"
    label = "photos"
    verbose_name = "Clinical photos"

    def ready(self) -> None:
        from needlepoint.clinic.services.chart_rules import CHART_CHECKS
        from needlepoint.photos.services.before_photos import require_before_photos

        if require_before_photos not in CHART_CHECKS:
            CHART_CHECKS.append(require_before_photos)
