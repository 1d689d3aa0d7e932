"""The protocol's `photos:` section: standard views per photo region, loaded strictly."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from needlepoint.clinical.errors import ProtocolError
from needlepoint.clinical.protocol import load_protocol, protocol_from_data

DEFAULT_YAML = Path(__file__).resolve().parents[2] / "protocols" / "default.yaml"
_DATA = yaml.safe_load(DEFAULT_YAML.read_text(encoding="utf-8"))


def _fresh() -> dict[str, Any]:
    return copy.deepcopy(_DATA)


def _refused(data: Any) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        protocol_from_data(data, file="x.yaml")
    return info.value


def test_it_reads_the_face_views_front_left_and_right_45_degrees() -> None:
    face = load_protocol().photos.areas["face"]
    assert ([v.code for v in face.views], face.clinic_choice) == (["front", "left_45", "right_45"], True)


def test_it_asks_for_the_regions_that_show_the_treated_areas() -> None:
    photos = load_protocol().photos
    assert list(photos.for_treatment_areas(["cheeks", "neck"])) == ["face", "neck"]
    assert list(photos.for_treatment_areas([])) == list(photos.areas)


def test_it_refuses_a_region_covering_an_unknown_area_naming_it() -> None:
    data = _fresh()
    data["photos"]["areas"]["face"]["covers"].append("elbow")
    err = _refused(data)
    assert (err.entry, "elbow" in err.problem) == ("photos.areas.face", True)


def test_it_refuses_a_view_listed_twice_naming_the_region() -> None:
    data = _fresh()
    data["photos"]["areas"]["face"]["views"].append({"code": "front", "label": "front again"})
    err = _refused(data)
    assert (err.entry.startswith("photos.areas.face"), "'front' is listed twice" in err.problem) == (
        True,
        True,
    )


def test_it_refuses_an_unknown_key_in_a_view() -> None:
    data = _fresh()
    data["photos"]["areas"]["neck"]["views"][0]["angle"] = 45
    err = _refused(data)
    assert ("photos.areas.neck.views[0]" in err.entry, err.problem) == (True, "unknown key 'angle'")


def test_it_refuses_a_view_without_grounds() -> None:
    data = _fresh()
    data["photos"]["areas"]["decolletage"].pop("clinic_choice")
    err = _refused(data)
    assert err.entry == "photos.areas.decolletage.views[0] (code: front)"


def test_it_accepts_a_protocol_without_a_photos_section() -> None:
    data = _fresh()
    data.pop("photos")
    assert protocol_from_data(data, file="x.yaml").photos.areas == {}
