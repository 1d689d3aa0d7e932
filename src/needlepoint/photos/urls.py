"""Photo URLs (namespace "photos"): the staff pages under /photos/, the patient's own under
/portal/photos/. Every file is served by the access-checked view, never a media address."""

from needlepoint.photos.views import capture, check_ins, colour, compare, files, portal, staff

app_name = "photos"
urlpatterns = [
    *staff.urls,
    *capture.urls,
    *files.urls,
    *portal.urls,
    *check_ins.urls,
    *compare.urls,
    *colour.urls,
]
