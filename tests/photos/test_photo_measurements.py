"""The colour of clinical photos: regions measured on the stored photo (calibrated with the
colour card, or not comparable without it), a region outside the photo refused, staff-only
access with audit, and ITA° and a* charted on the course summary."""

import datetime as dt
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from photo_helpers import course_with_session, give_photo_consent
from PIL import Image

from clock import FROZEN_NOW
from needlepoint.audit.models import AuditEvent
from needlepoint.clinic.services import ServiceError
from needlepoint.photo.colorimetry import SRGB_TO_XYZ, delta_e00, srgb_to_linear, xyz_to_lab
from needlepoint.photo.measure import ita_degrees
from needlepoint.photos.models import PhotoMeasurement
from needlepoint.photos.services.measurements import Box, measure_drawn, measure_standard, standard_regions
from needlepoint.photos.services.photos import photo_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "photo"))
from photo_scenes import SKIN_SRGB, illuminate, paint, paste_card, scene

pytestmark = pytest.mark.django_db
WIDTH, HEIGHT = 1600, 1200
CARD = np.array([[1010.0, 40.0], [1570.0, 60.0], [1560.0, 400.0], [1000.0, 385.0]])  # clear of the face


def truth_lab(srgb: tuple[int, int, int]) -> np.ndarray:
    return np.asarray(xyz_to_lab(srgb_to_linear(np.array(srgb, float))[None, :] @ SRGB_TO_XYZ.T)[0])


def face_photo(
    *, card: bool, skin: str = "medium", cast: tuple[float, float, float] = (1.3, 1.0, 0.6)
) -> bytes:
    """A front photo with skin of known colour in the standard regions, under a colour cast,
    with or without the colour card in the frame (PNG; stored re-encoded as JPEG)."""
    img = scene(WIDTH, HEIGHT)
    paint(img, (320, 156, 960, 936), SKIN_SRGB[skin])  # the face: every standard region is on it
    if card:
        img = paste_card(img, CARD)
    out = io.BytesIO()
    Image.fromarray(illuminate(img, cast)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def stored(personas):
    """Two visit photos of the front face: the first without the card, the second with it."""
    first = course_with_session(personas, number=1, days_ago=30, status="attended")
    second = course_with_session(personas, number=2, days_ago=0, status="arrived")
    give_photo_consent(personas.record_a, personas.practitioner)
    common = {"patient": personas.record_a, "area": "face", "view": "front", "actor": personas.practitioner}
    without = photo_store(
        data=face_photo(card=False), session=first, taken_at=FROZEN_NOW - dt.timedelta(days=30), **common
    )
    with_card = photo_store(data=face_photo(card=True), session=second, **common)
    return without, with_card


def test_the_standard_regions_are_measured_against_the_card_within_tolerance(stored, personas):
    _, photo = stored
    rows = measure_standard(photo=photo, actor=personas.practitioner)
    truth = truth_lab(SKIN_SRGB["medium"])
    assert {r.region for r in rows} == {"forehead", "right_cheek", "left_cheek", "chin"}
    for row in rows:
        assert row.calibrated is True
        assert row.card_residual is not None and row.card_residual < 2.0
        assert row.box == [*vars(standard_regions(photo)[row.region]).values()]
        assert float(delta_e00(np.array([row.L, row.a, row.b]), truth)) < 3.0
        assert abs(row.ita_deg - ita_degrees(truth)) < 3.0
        assert row.erythema_index == row.a
        assert row.measured_by == personas.practitioner


def test_without_the_card_the_values_are_kept_but_marked_not_calibrated(stored, personas):
    photo, _ = stored
    rows = measure_standard(photo=photo, actor=personas.practitioner)
    assert {r.calibrated for r in rows} == {False}
    assert {r.method for r in rows} == {"srgb"}


def test_measuring_again_adds_rows_and_each_is_audited(stored, personas):
    _, photo = stored
    measure_standard(photo=photo, actor=personas.practitioner)
    drawn = measure_drawn(photo=photo, box=Box(400, 600, 100, 80), actor=personas.director)
    measure_drawn(photo=photo, box=Box(410, 600, 100, 80), actor=personas.director)
    assert PhotoMeasurement.objects.filter(photo=photo).count() == 6
    assert drawn.region == "drawn" and drawn.box == [400, 600, 100, 80]
    events = AuditEvent.objects.filter(object_type="photos.photomeasurement", action="create")
    assert events.count() == 6
    assert {e.patient_id for e in events} == {personas.record_a.pk}


def test_a_region_outside_the_photo_is_refused_in_words(stored, personas, client_for):
    _, photo = stored
    with pytest.raises(ServiceError, match="not wholly inside the photo, which is 1600 by 1200 pixels"):
        measure_drawn(photo=photo, box=Box(1500, 100, 200, 50), actor=personas.practitioner)
    client = client_for(personas.practitioner)
    response = client.post(
        reverse("photos:measure_drawn", args=[photo.pk]), {"x": 0, "y": 1190, "w": 10, "h": 20}
    )
    assert response.status_code == 400
    assert "not wholly inside the photo" in response.content.decode()
    assert not PhotoMeasurement.objects.exists()


def test_a_side_view_has_no_standard_regions(personas):
    session = course_with_session(personas)
    give_photo_consent(personas.record_a, personas.practitioner)
    photo = photo_store(
        patient=personas.record_a,
        data=face_photo(card=False),
        area="face",
        view="left_45",
        actor=personas.practitioner,
        session=session,
    )
    with pytest.raises(ServiceError, match="no standard regions: draw the region"):
        measure_standard(photo=photo, actor=personas.practitioner)


def test_clinical_staff_measure_from_the_page(stored, personas, client_for):
    _, photo = stored
    client = client_for(personas.practitioner)
    page = client.get(reverse("photos:colour", args=[photo.pk]))
    assert page.status_code == 200 and "Measure the standard regions" in page.content.decode()
    assert "needlepoint/photos-draw.js" in page.content.decode()  # drawing on the photo fills the box
    response = client.post(reverse("photos:measure_standard", args=[photo.pk]))
    assert response.status_code == 302
    response = client.post(
        reverse("photos:measure_drawn", args=[photo.pk]), {"x": 300, "y": 500, "w": 90, "h": 60}
    )
    assert response.status_code == 302
    assert PhotoMeasurement.objects.filter(photo=photo).count() == 5
    page = client.get(reverse("photos:colour", args=[photo.pk])).content.decode()
    assert "drawn region" in page and "calibrated" in page and "not a diagnosis" in page


def test_patients_and_other_staff_get_404(stored, personas, client_for, settings):
    _, photo = stored
    measure_standard(photo=photo, actor=personas.practitioner)
    urls = [
        ("get", reverse("photos:colour", args=[photo.pk]), {}),
        ("post", reverse("photos:measure_standard", args=[photo.pk]), {}),
        ("post", reverse("photos:measure_drawn", args=[photo.pk]), {"x": 1, "y": 1, "w": 5, "h": 5}),
    ]
    for user in (personas.patient_a, personas.patient_b, personas.front_desk):
        client = client_for(user)
        for method, url, data in urls:
            assert getattr(client, method)(url, data).status_code == 404, (user, url)
    settings.NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS = True
    desk = client_for(personas.front_desk)
    assert desk.get(urls[0][1]).status_code == 200
    refused = desk.post(urls[1][1])
    assert refused.status_code == 400
    assert "Only the medical director or a practitioner can measure" in refused.content.decode()
    assert PhotoMeasurement.objects.count() == 4


def test_the_course_summary_charts_ita_and_redness_marking_points_without_the_card(
    stored, personas, client_for
):
    without, with_card = stored
    measure_standard(photo=without, actor=personas.practitioner)
    measure_standard(photo=with_card, actor=personas.practitioner)
    url = reverse("clinic:course_summary", args=[with_card.course_id])
    page = client_for(personas.director).get(url).content.decode()
    assert "Skin colour measured on the photos" in page
    assert 'class="colour-chart"' in page and "ITA°" in page and "a* (redness)" in page
    assert page.count('class="point uncalibrated"') == 8  # 4 regions x 2 panels, the photo without the card
    assert page.count('class="point"') == 8
    assert "no card: not comparable" in page and "not a diagnosis" in page
    assert "Skin colour measured" not in client_for(personas.patient_a).get(url).content.decode()
