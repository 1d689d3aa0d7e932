"""The photos app: clinical photographs, photo consent, capture, and before/after comparison."""

from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "needlepoint.photos"
    label = "photos"
    verbose_name = "Clinical photos"
