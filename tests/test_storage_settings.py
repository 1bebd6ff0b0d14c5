"""GONGMO_S3_BUCKET chooses object storage (config/settings.py), and nothing else does."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def default_storage_of(env):
    code = (
        "import django, json; django.setup();"
        "from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GONGMO_S3_")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_disk_unless_a_bucket_is_named():
    assert default_storage_of({})["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_is_private_never_overwritten_and_reached_at_its_endpoint():
    storage = default_storage_of(
        {
            "GONGMO_S3_BUCKET": "gongmo-files",
            "GONGMO_S3_ENDPOINT_URL": "https://kr.object.ncloudstorage.com",
            "GONGMO_S3_PREFIX": "prod",
        }
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "gongmo-files"
    assert options["endpoint_url"] == "https://kr.object.ncloudstorage.com"
    assert options["location"] == "prod"
    assert options["default_acl"] == "private" and options["file_overwrite"] is False
