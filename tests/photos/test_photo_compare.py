"""Before and after: the later photo of a view aligned onto the earlier by the worker, the two
side by side and as a slider, and the course's before/after."""

import datetime as dt
import io

import numpy as np
import pytest
from django.urls import reverse
from photo_helpers import course_with_session, give_photo_consent
from PIL import Image

from clock import FROZEN_NOW
from needlepoint.audit.models import AuditEvent
from needlepoint.photos.models import Alignment, Photo
from needlepoint.photos.services.photos import photo_store
from needlepoint.photos.tasks import align_photos

pytestmark = pytest.mark.django_db
SHIFT = (24, 14)  # the later photo: the same scene moved 24 px right and 14 px down


def _scene(shift=(0, 0)) -> bytes:
    rng = np.random.default_rng(11)
    blocks = rng.integers(40, 220, (90, 120, 3)).astype("uint8")
    image = np.kron(blocks, np.ones((10, 10, 1), dtype="uint8"))  # 900 x 1200, sharp corners
    moved = np.roll(image, shift=(shift[1], shift[0]), axis=(0, 1))
    out = io.BytesIO()
    Image.fromarray(moved).save(out, format="JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def pair(personas, django_capture_on_commit_callbacks):
    first = course_with_session(personas, number=1, days_ago=60, status="attended")
    second = course_with_session(personas, number=2, days_ago=0, status="arrived")
    give_photo_consent(personas.record_a, personas.practitioner)
    by = personas.practitioner
    with django_capture_on_commit_callbacks(execute=True):
        before = photo_store(
            patient=personas.record_a,
            data=_scene(),
            area="face",
            view="front",
            actor=by,
            session=first,
            taken_at=FROZEN_NOW - dt.timedelta(days=60),
        )
        after = photo_store(
            patient=personas.record_a,
            data=_scene(SHIFT),
            area="face",
            view="front",
            actor=by,
            session=second,
        )
    return before, after


def test_it_queues_the_alignment_of_the_later_photo_onto_the_first_of_its_view(pair):
    from django_tasks_db.models import DBTaskResult

    before, after = pair
    queued = DBTaskResult.objects.get(task_path="needlepoint.photos.tasks.align_photos")
    assert queued.args_kwargs["args"] == [before.pk, after.pk]


def test_it_aligns_the_later_photo_onto_the_earlier_within_two_pixels(pair):
    before, after = pair
    assert align_photos.call(before.pk, after.pk) == "aligned"
    alignment = Alignment.objects.get()
    h = np.array(alignment.homography)
    corner = h @ np.array([600.0, 450.0, 1.0])
    moved_back = corner[:2] / corner[2]
    assert np.abs(moved_back - np.array([600.0 - SHIFT[0], 450.0 - SHIFT[1]])).max() <= 2.0
    with alignment.file.open("rb") as fh:
        assert Image.open(io.BytesIO(fh.read())).size == (before.width, before.height)
    assert align_photos.call(before.pk, after.pk) == "exists"


def test_it_records_photos_it_cannot_align_and_says_so(personas, pair, client_for):
    before, _ = pair
    flat = io.BytesIO()
    Image.new("RGB", (1200, 900), (150, 110, 90)).save(flat, format="JPEG")
    blank = photo_store(
        patient=personas.record_a,
        data=flat.getvalue(),
        area="face",
        view="front",
        actor=personas.practitioner,
    )
    assert align_photos.call(before.pk, blank.pk) == "not found"
    url = reverse("photos:compare", args=[personas.record_a.pk, "face", "front"])
    body = (
        client_for(personas.practitioner).get(url, {"before": before.pk, "after": blank.pk}).content.decode()
    )
    assert ("Not enough matching detail" in body, "data-slider-range" in body) == (True, False)


def test_it_shows_side_by_side_and_a_slider_once_aligned(personas, pair, client_for):
    before, after = pair
    paula = client_for(personas.practitioner)
    url = reverse("photos:compare", args=[personas.record_a.pk, "face", "front"])
    assert "Aligning the after photo" in paula.get(url).content.decode()
    align_photos.call(before.pk, after.pk)
    alignment = Alignment.objects.get()
    body = paula.get(url).content.decode()
    aligned_url = reverse("photos:aligned_image", args=[alignment.pk])
    assert (
        reverse("photos:image", args=[before.pk]) in body,
        aligned_url in body,
        "data-slider-range" in body,
    ) == (
        True,
        True,
        True,
    )
    assert "photos-compare.js" in body and "<script>" not in body and 'style="' not in body
    response = paula.get(aligned_url)
    assert (response.status_code, "no-store" in response["Cache-Control"]) == (200, True)
    assert (
        AuditEvent.objects.filter(summary__startswith="aligned photo", actor=personas.practitioner).count()
        == 1
    )


def test_it_refuses_the_comparison_and_the_aligned_photo_to_others(personas, pair, client_for):
    before, after = pair
    align_photos.call(before.pk, after.pk)
    aligned_url = reverse("photos:aligned_image", args=[Alignment.objects.get().pk])
    compare_url = reverse("photos:compare", args=[personas.record_a.pk, "face", "front"])
    for user in (personas.patient_b, personas.front_desk):
        assert (
            client_for(user).get(aligned_url).status_code,
            client_for(user).get(compare_url).status_code,
        ) == (
            404,
            404,
        )
    assert client_for(personas.patient_a).get(aligned_url).status_code == 200  # the patient's own


def test_it_answers_404_for_a_photo_of_another_view_in_the_query(personas, pair, client_for):
    url = reverse("photos:compare", args=[personas.record_a.pk, "face", "left_45"])
    assert client_for(personas.practitioner).get(url).status_code == 404


def test_it_shows_the_courses_before_and_after(personas, pair, client_for):
    before, after = pair
    align_photos.call(before.pk, after.pk)
    url = reverse("photos:course", args=[before.course_id])
    body = client_for(personas.practitioner).get(url).content.decode()
    assert (body.count("data-slider-range"), "Face · front" in body) == (1, True)
    assert client_for(personas.patient_b).get(url).status_code == 404
    assert Photo.objects.filter(course_id=before.course_id).count() == 2


def test_it_renders_the_course_summarys_before_and_after_for_clinical_staff_only(personas, pair, rf):
    from django.template import Context, Template

    before, after = pair
    align_photos.call(before.pk, after.pk)
    snippet = Template("{% load photo_tags %}{% course_photos course %}")
    for user, shown in ((personas.practitioner, True), (personas.front_desk, False)):
        request = rf.get("/")
        request.user = user
        html = snippet.render(Context({"request": request, "course": before.course}))
        assert ("Photos: before and after" in html, "data-slider-range" in html) == (shown, shown)


# ---- aligning by hand ---------------------------------------------------------------------------


def _points_url(personas):
    return reverse("photos:align_points", args=[personas.record_a.pk, "face", "front"])


def test_it_aligns_by_three_points_marked_on_each_photo(
    personas, pair, client_for, django_capture_on_commit_callbacks
):
    from needlepoint.photos.tasks import warp_alignment

    before, after = pair
    marks = {"before_points": "100,100 1000,150 500,800"}
    moved = " ".join(f"{x + SHIFT[0]},{y + SHIFT[1]}" for x, y in ((100, 100), (1000, 150), (500, 800)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(personas.practitioner).post(
            _points_url(personas), {"before": before.pk, "after": after.pk, **marks, "after_points": moved}
        )
    assert response.status_code == 302
    row = Alignment.objects.get(method="points")
    h = np.array(row.homography)
    assert np.allclose(h @ np.array([500.0 + SHIFT[0], 800.0 + SHIFT[1], 1.0]), [500.0, 800.0, 1.0])
    assert (row.ok, warp_alignment.call(row.pk)) == (False, "warped")
    row.refresh_from_db()
    body = client_for(personas.practitioner).get(response["Location"]).content.decode()
    assert (row.ok, reverse("photos:aligned_image", args=[row.pk]) in body) == (True, True)
    assert (
        AuditEvent.objects.filter(object_type="photos.alignment", summary="photos aligned by hand").count()
        == 1
    )


@pytest.mark.parametrize(
    ("before_points", "after_points", "words"),
    [
        ("100,100 1000,150", "100,100 1000,150 500,800", "exactly three points on the before photo"),
        ("100,100 1000,150 500,800", "100,100 1000,150 5000,800", "outside it"),
        ("100,100 200,100 300,100", "100,100 1000,150 500,800", "in a line"),
        ("100,100 1000,150 500,800", "a,b c,d e,f", "is not a point"),
    ],
)
def test_it_refuses_points_it_cannot_use_with_words(
    personas, pair, client_for, before_points, after_points, words
):
    before, after = pair
    paula = client_for(personas.practitioner)
    response = paula.post(
        _points_url(personas),
        {
            "before": before.pk,
            "after": after.pk,
            "before_points": before_points,
            "after_points": after_points,
        },
    )
    page = paula.get(response["Location"]).content.decode()
    assert (words in page, Alignment.objects.filter(method="points").count()) == (True, 0)


def test_it_refuses_hand_alignment_to_patients_and_the_front_desk(personas, pair, client_for):
    before, after = pair
    data = {
        "before": before.pk,
        "after": after.pk,
        "before_points": "1,1 500,1 1,500",
        "after_points": "1,1 500,1 1,500",
    }
    for user in (personas.patient_a, personas.front_desk):
        assert client_for(user).post(_points_url(personas), data).status_code == 404
    assert Alignment.objects.filter(method="points").count() == 0
