"""The clinic's template filters and tags as the pages use them: `person` (who wrote a record,
"—" when a visitor or a background job did), `scar_types` (one area's scar counts in the
scale's order, whatever order the database kept) and `id_url` (an id page's address, resolved
once per page). Pure rendering; the clock is frozen as always (Monday 23 November 2026, 09:00
London)."""

import pytest
from django.template import engines
from django.urls import reverse


def render(source, **context):
    return engines["django"].from_string(source).render(context)


# -- person ----------------------------------------------------------------------------------------


def test_it_names_a_person_by_their_full_name(personas):
    personas.practitioner.last_name = "Price"
    assert render("{% load people %}{{ u|person }}", u=personas.practitioner) == "Paula Price"


@pytest.mark.django_db
def test_it_names_a_person_without_a_name_by_their_username():
    from needlepoint.accounts.models import Role, User

    nameless = User.objects.create_user(
        username="locum7", password="correct horse battery", role=Role.PRACTITIONER
    )
    assert render("{% load people %}{{ u|person }}", u=nameless) == "locum7"


def test_it_shows_a_dash_for_a_record_nobody_signed_in_wrote():
    assert render("{% load people %}{{ u|person }}", u=None) == "—"


def test_it_escapes_a_name_written_as_markup(personas):
    personas.front_desk.first_name = "<b>Frank</b>"
    page = render("{% load people %}{{ u|person }}", u=personas.front_desk)
    assert (page, "<b>" in page) == ("&lt;b&gt;Frank&lt;/b&gt;", False)


# -- scar_types ------------------------------------------------------------------------------------


def test_it_lists_scar_counts_in_the_scales_order_whatever_order_they_were_stored_in():
    stored = {"rolling": 4, "hypertrophic": 0, "boxcar": 2, "icepick": 1}  # as jsonb sorts them
    page = render(
        "{% load clinic_scales %}{% for t, n in counts|scar_types %}{{ t }}={{ n }};{% endfor %}",
        counts=stored,
    )
    assert page == "icepick=1;boxcar=2;rolling=4;hypertrophic=0;"


def test_it_keeps_a_type_not_counted_as_none_and_leaves_out_types_not_recorded():
    from needlepoint.clinic.templatetags.clinic_scales import scar_types

    assert scar_types({"boxcar": None, "icepick": 3}) == [("icepick", 3), ("boxcar", None)]


@pytest.mark.parametrize("counts", [None, {}])
def test_it_lists_no_scar_counts_for_an_area_without_any(counts):
    from needlepoint.clinic.templatetags.clinic_scales import scar_types

    assert scar_types(counts) == []


def test_it_ignores_a_key_that_is_not_a_scar_type():
    from needlepoint.clinic.templatetags.clinic_scales import scar_types

    assert scar_types({"keloid": 5, "rolling": 2}) == [("rolling", 2)]


# -- id_url ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pk", [None, ""])
def test_it_gives_no_address_for_a_row_without_an_id(pk):
    assert render("{% load clinic_urls %}[{% id_url 'clinic:patient_detail' pk %}]", pk=pk) == "[]"


def test_it_gives_each_row_its_own_address_from_one_resolution():
    page = render(
        "{% load clinic_urls %}{% for pk in ids %}[{% id_url 'clinic:patient_detail' pk %}]{% endfor %}",
        ids=[1, "22", 918273645546372818],
    )
    expected = "".join(
        f"[{reverse('clinic:patient_detail', args=[pk])}]" for pk in (1, 22, 918273645546372818)
    )
    assert page == expected


def test_it_stores_the_address_in_a_variable_with_as():
    page = render(
        "{% load clinic_urls %}{% id_url 'clinic:patient_edit' 5 as edit %}<a href=\"{{ edit }}\">",
        pk=5,
    )
    assert page == f'<a href="{reverse("clinic:patient_edit", args=[5])}">'
