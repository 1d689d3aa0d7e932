"""Where photos are stored: the filesystem outside the web root by default, a private
S3-compatible bucket when NEEDLEPOINT_PHOTO_S3_BUCKET is set."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'photos': s.STORAGES['photos'], "
    "'desk': s.NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS}, default=str))"
)


def _settings(**env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEEDLEPOINT_PHOTO")}
    environ |= {
        "DJANGO_SETTINGS_MODULE": "needlepoint.web.settings.base",
        "PYTHONPATH": str(ROOT / "src"),
        **env,
    }
    code = "import django; django.setup(); " + PRINT
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_it_keeps_photos_on_the_filesystem_in_var_outside_the_web_root_by_default(tmp_path):
    found = _settings(NEEDLEPOINT_VAR_DIR=str(tmp_path))
    storage = found["photos"]
    assert (storage["BACKEND"], storage["OPTIONS"]["location"]) == (
        "django.core.files.storage.FileSystemStorage",
        str(tmp_path / "photos"),
    )
    assert "web_root" not in storage["OPTIONS"]["location"] and "static" not in storage["OPTIONS"]["location"]
    assert found["desk"] is False


def test_it_uses_a_private_s3_bucket_when_one_is_set(tmp_path):
    found = _settings(
        NEEDLEPOINT_VAR_DIR=str(tmp_path),
        NEEDLEPOINT_PHOTO_S3_BUCKET="clinic-photos",
        NEEDLEPOINT_PHOTO_S3_ENDPOINT_URL="https://s3.example.org",
        NEEDLEPOINT_FRONT_DESK_SEES_PHOTOS="true",
    )
    options = found["photos"]["OPTIONS"]
    assert (
        found["photos"]["BACKEND"],
        options["bucket_name"],
        options["default_acl"],
        options["endpoint_url"],
    ) == (
        "storages.backends.s3.S3Storage",
        "clinic-photos",
        "private",
        "https://s3.example.org",
    )
    assert (options["querystring_auth"], found["desk"]) == (True, True)
