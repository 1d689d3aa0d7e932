"""Staff-facing URLs (namespace "clinic"); each feature module contributes its own list."""

from needlepoint.clinic.views import (
    aftercare,
    audit,
    charting,
    consent,
    consent_texts,
    consultation,
    course_plan,
    dashboard,
    inquiry,
    inquiry_queue,
    patients,
)

app_name = "clinic"
urlpatterns = [
    *inquiry.urls,
    *inquiry_queue.urls,
    *patients.urls,
    *consultation.urls,
    *course_plan.urls,
    *consent.urls,
    *consent_texts.urls,
    *charting.urls,
    *aftercare.urls,
    *dashboard.urls,
    *audit.urls,
]
