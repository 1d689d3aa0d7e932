"""The project's root URLs: home, health check, accounts, the patient portal, bookings, the
clinic's admin and the clinic's staff pages."""

from django.urls import include, path

from needlepoint.bookings.admin import clinic_admin
from needlepoint.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/", include("needlepoint.accounts.urls")),
    path("portal/", include("needlepoint.clinic.portal_urls")),
    path("bookings/", include("needlepoint.bookings.urls")),
    path("admin/", clinic_admin.urls),
    path("", include("needlepoint.photos.urls")),
    path("", include("needlepoint.clinic.urls")),
]
