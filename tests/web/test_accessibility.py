"""Markup that screen readers depend on, checked without a browser (the browser tests run
axe-core on every page they see: tests/browser/a11y.py)."""

import datetime as dt
import re
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

import needlepoint
from needlepoint.clinic.services.course_plan import course_propose
from needlepoint.clinic.services.screening import intake_record

SRC = Path(needlepoint.__file__).parent


def test_it_labels_every_input_of_the_plan_editor(personas, client_for, intake_a):
    intake_record(patient=personas.record_a, data=intake_a, actor=personas.practitioner)
    course = course_propose(
        patient=personas.record_a,
        actor=personas.practitioner,
        start_date=timezone.localdate() + dt.timedelta(days=7),
    )
    page = (
        client_for(personas.practitioner)
        .get(reverse("clinic:consultation_course", args=[personas.record_a.pk, course.pk]))
        .content.decode()
    )
    editor = page[page.index('id="edit-h"') :]
    editor = editor[: editor.index("</form>")]
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', editor))
    inputs = re.findall(r'<input (?![^>]*type="hidden")[^>]*>', editor)
    ids = [re.search(r'id="([^"]+)"', i).group(1) for i in inputs]
    assert [i for i in ids if i.startswith("id_area_")], "no depth inputs found"
    assert [i for i in ids if i not in labelled] == []
    assert '<label class="visually-hidden" for="id_area_cheeks_min">cheeks: shallowest (mm)</label>' in editor


def test_it_never_gives_a_list_item_a_role_of_its_own():
    """An item with role="alert" or "status" is no longer an item of its list: the role goes on an
    element around the list."""
    offending = [
        f"{path.relative_to(SRC)}: {line.strip()[:100]}"
        for path in SRC.rglob("*.html")
        for line in path.read_text().splitlines()
        if re.search(r"<li\b[^>]*\srole=", line)
    ]
    assert offending == []
