"""Staff-facing URLs (namespace "clinic"); each feature module contributes its own list."""

from needlepoint.clinic.views import (
    aftercare,
    audit,
    charting,
    consent,
    consultation,
    dashboard,
    inquiry,
    patients,
)

app_name = "clinic"
urlpatterns = [
    *inquiry.urls,
    *patients.urls,
    *consultation.urls,
    *consent.urls,
    *charting.urls,
    *aftercare.urls,
    *dashboard.urls,
    *audit.urls,
]
