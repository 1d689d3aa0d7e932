"""The bookings app's configuration: resources, appointments, reminders and calendars."""

from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "needlepoint.bookings"
    label = "bookings"
    verbose_name = "Bookings"
