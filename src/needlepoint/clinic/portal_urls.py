"""Patient portal URLs (namespace "portal"): a patient sees only their own records."""

from needlepoint.clinic.views import aftercare, consent, portal

app_name = "portal"
urlpatterns = [
    *portal.portal_urls,
    *consent.portal_urls,
    *aftercare.portal_urls,
]
