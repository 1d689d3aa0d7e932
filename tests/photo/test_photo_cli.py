"""`needlepoint photo measure | align`: the contract's output and its bad input (exit 2, JSON on stderr)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from photo_scenes import SKIN_SRGB, card_scene, paint
from PIL import Image

from needlepoint.cli import main

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def card_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    img, _ = card_scene(1200, 900)
    paint(img, (800, 600, 200, 160), SKIN_SRGB["medium"])
    path = tmp_path_factory.mktemp("photos") / "card.jpg"
    cv2.imwrite(str(path), img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_measure_prints_the_document(card_jpeg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        ["photo", "measure", str(card_jpeg), "--region", "left_cheek=800,600,200,160"], capsys
    )
    doc = json.loads(out)
    assert (status, err, doc["schema"], doc["calibrated"], doc["quality"]["ok"]) == (
        0,
        "",
        "needlepoint.photo-measure/1",
        True,
        True,
    )
    assert [r["name"] for r in doc["regions"]] == ["left_cheek"]
    assert doc["regions"][0]["box"] == [800, 600, 200, 160]


def test_align_prints_the_document(card_jpeg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["photo", "align", str(card_jpeg), str(card_jpeg)], capsys)
    doc = json.loads(out)
    assert (status, doc["schema"], doc["found"]) == (0, "needlepoint.photo-align/1", True)
    assert np.allclose(doc["homography"], np.eye(3), atol=0.01)


def huge_png(path: Path) -> Path:
    from test_photo_decode import png_header

    path.write_bytes(png_header(60_000, 60_000))
    return path


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["photo", "measure", "{text}"], "file"),
        (["photo", "measure", "{huge}"], "file"),
        (["photo", "measure", "{missing}"], "file"),
        (["photo", "measure", "{card}", "--region", "cheek=1100,800,200,200"], "region"),
        (["photo", "measure", "{card}", "--region", "cheek=1,2,3"], "region"),
        (["photo", "measure", "{card}", "--region", "cheek=a,b,c,d"], "region"),
        (["photo", "measure", "{card}", "--region", "=1,2,3,4"], "region"),
        (["photo", "measure", "{card}", "--region", "cheek=1,2,0,4"], "region"),
        (["photo", "measure", "{card}", "--region", "c=1,1,5,5", "--region", "c=2,2,5,5"], "region"),
        (["photo", "measure", "{card}", "--colour"], "arguments"),
        (["photo", "measure"], "file"),
        (["photo", "align", "{card}"], "after"),
        (["photo", "align", "{text}", "{card}"], "before"),
        (["photo", "align", "{card}", "{missing}"], "after"),
        (["photo", "resize", "{card}"], "action"),
    ],
)
def test_bad_input_exits_2_with_a_json_error_and_nothing_on_stdout(
    args: list[str], field: str, card_jpeg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    names = {
        "text": text,
        "huge": huge_png(tmp_path / "huge.png"),
        "missing": tmp_path / "gone.jpg",
        "card": card_jpeg,
    }
    status, out, err = run([a.format(**{k: str(v) for k, v in names.items()}) for a in args], capsys)
    error = json.loads(err)
    assert (status, out, error["extra"]["field"]) == (2, "", field)
    assert error["message"]


def test_the_installed_command_answers_bad_input_without_a_traceback(tmp_path: Path) -> None:
    png = tmp_path / "small.png"
    Image.new("RGB", (700, 700), (120, 110, 100)).save(png)
    command = [sys.executable, "-c", "from needlepoint.cli import entry; entry()"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    bad = subprocess.run(
        [*command, "photo", "measure", str(png), "--region", "x=600,600,200,200"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (bad.returncode, bad.stdout, json.loads(bad.stderr)["extra"]["field"]) == (2, "", "region")
    good = subprocess.run(
        [*command, "photo", "measure", str(png)], capture_output=True, text=True, env=env, check=False
    )
    assert (good.returncode, json.loads(good.stdout)["quality"]["problems"]) == (0, ["blurred", "no_card"])
    assert "Warning" not in good.stderr
