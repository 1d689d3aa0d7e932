"""In Chromium at phone width: the practitioner photographs a visit's standard views (a test
image fed to the camera input), sees the quality gate's answer at once, then compares the view
with an earlier visit's photo, aligned, with the slider, and finds the pair in the course summary."""

import datetime as dt
import io
from typing import Any

import numpy as np
import pytest
from patient_path_steps import sign_in
from PIL import Image
from playwright.sync_api import Page, expect

from course_helpers import make_course

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def _scene(shift: tuple[int, int] = (0, 0)) -> bytes:
    rng = np.random.default_rng(11)
    blocks = rng.integers(40, 220, (90, 120, 3)).astype("uint8")
    image = np.roll(np.kron(blocks, np.ones((10, 10, 1), dtype="uint8")), shift=shift, axis=(0, 1))
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=95)
    return out.getvalue()


def _visit(personas: Any) -> Any:
    from django.utils import timezone

    from needlepoint.clinic.models import TreatmentSession
    from needlepoint.photos.services.consent import photo_consent_record
    from visit_helpers import book_visit

    patient = personas.record_a
    course = make_course(
        personas,
        status="active",
        plan={"areas": [{"area": "cheeks"}]},
        start_date=timezone.localdate() - dt.timedelta(days=31),
    )
    session = TreatmentSession.objects.create(course=course, patient=patient, number=2)
    book_visit(session, timezone.now(), status="arrived", by=personas.practitioner)
    photo_consent_record(patient=patient, purpose="record", given=True, actor=personas.practitioner)
    return session


def test_it_captures_at_phone_width_then_compares_with_the_slider_and_summarises(
    page: Page, live_server, personas, shot
):
    from needlepoint.photos.models import Photo
    from needlepoint.photos.services.photos import photo_store
    from needlepoint.photos.tasks import align_photos

    session = _visit(personas)
    from needlepoint.clinic.models import TreatmentSession

    first = TreatmentSession.objects.create(course=session.course, patient=session.patient, number=1)
    earlier = photo_store(
        patient=session.patient,
        data=_scene(),
        area="face",
        view="front",
        actor=personas.practitioner,
        session=first,
        taken_at=session.visit_at - dt.timedelta(days=35),
    )
    page.set_viewport_size(PHONE)
    sign_in(page, "paula")
    page.goto(f"/photos/sessions/{session.pk}/capture/")
    expect(page.get_by_role("heading", name="Face — front")).to_be_visible()
    expect(page.locator("img.ghost")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Take the front photo").set_input_files(
        {"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": _scene((14, 24))}
    )
    page.get_by_role("button", name="Store").first.click()
    expect(page.get_by_text("Photo stored.")).to_be_visible()
    expect(page.locator("ul.quality")).to_contain_text("No colour card in the photo")
    shot(page, "80-photo-capture-phone")
    later = Photo.objects.exclude(pk=earlier.pk).get()
    assert align_photos.call(earlier.pk, later.pk) == "aligned"
    page.goto(f"/photos/patients/{session.patient_id}/compare/face/front/")
    slider = page.get_by_label("Slide between before and after")
    expect(slider).to_be_visible()
    slider.fill("80")
    width = page.evaluate("document.querySelector('[data-slider-after]').style.width")
    assert width == "80%"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "81-photo-compare-phone")
    page.goto(f"/courses/{session.course_id}/summary/")
    section = page.get_by_role("region", name="Photos: before and after")
    expect(section).to_be_visible()
    expect(section.locator("img")).not_to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "82-photo-course-summary-phone")
