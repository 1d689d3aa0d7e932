"""Booking URLs (namespace "bookings"); each view module contributes its own list."""

from needlepoint.bookings.views import (
    appointments,
    booking,
    calendar,
    consultations,
    feeds,
    visits,
    waiting_list,
)

app_name = "bookings"
urlpatterns = [
    *booking.urls,
    *appointments.urls,
    *calendar.urls,
    *feeds.urls,
    *waiting_list.urls,
    *visits.urls,
    *consultations.urls,
]
