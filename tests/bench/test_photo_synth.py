"""The synthetic photo generator of the colour benchmark stays deterministic and true to its spectra."""

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "photo_synth.py"


@pytest.fixture(scope="module")
def synth():
    spec = importlib.util.spec_from_file_location("photo_synth", _PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["photo_synth"] = module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
    return module


def _delta_e76(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b), axis=-1)


def test_same_seed_same_photo_other_seed_other_photo(synth):
    scene = synth.make_scene(5)
    one = synth.render(scene, "FL11+A", synth.CAMERAS[1], 11)
    again = synth.render(synth.make_scene(5), "FL11+A", synth.CAMERAS[1], 11)
    other = synth.render(scene, "FL11+A", synth.CAMERAS[1], 12)
    assert one.jpeg == again.jpeg
    assert one.regions == again.regions
    assert one.jpeg != other.jpeg
    pair = synth.make_pair(3, 320, 240)
    assert np.array_equal(pair.after, synth.make_pair(3, 320, 240).after)


def test_skin_truth_spans_the_ita_range(synth):
    itas = [
        region.ita
        for seed in range(4)
        for region in synth.render(synth.make_scene(seed), "D65", synth.CAMERAS[0], seed).regions
    ]
    assert min(itas) < -35
    assert max(itas) > 60
    # every skin's truth is its spectrum's CIELAB under D65
    skin = synth.make_scene(0).skins[0]
    assert synth.ita_deg(synth.lab_d65(skin.reflectance)) == pytest.approx(skin.ita)


def test_card_truth_matches_the_published_chart(synth):
    lab = synth.lab_d65(synth.patch_reflectances())
    # published L*a*b* (D65) of the chart's dark skin, white and black patches, within a few units
    assert lab[0] == pytest.approx([37.5, 14.4, 14.9], abs=2.5)
    assert lab[18] == pytest.approx([95.8, -0.6, 2.4], abs=2.5)
    assert lab[23] == pytest.approx([20.6, 0.0, -0.6], abs=2.5)


def test_clean_daylight_render_gives_the_card_colours(synth):
    capture = synth.Capture(noise=False, blur_px=0.0, jpeg_quality=None, white_balance="known-light")
    photo = synth.render(synth.make_scene(1), "D65", synth.CAMERAS[0], 2, capture)
    rgb = np.array(
        [
            photo.rgb[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3].reshape(-1, 3).mean(0)
            for x, y in photo.patch_centres
        ]
    )
    xyz = synth.srgb_decode(rgb / 255) @ np.linalg.inv(synth._XYZ_TO_SRGB).T
    truth_xyz = synth.xyz_d65(synth.patch_reflectances())
    xyz *= truth_xyz[19, 1] / xyz[19, 1]  # the photo's exposure, from the light grey patch
    white = synth.illuminant("D65") @ synth.cmfs()
    errors = _delta_e76(synth.xyz_to_lab(xyz, white), synth.xyz_to_lab(truth_xyz, white))
    assert np.median(errors) < 2.5
    assert errors[:2].max() < 3  # the skin patches
