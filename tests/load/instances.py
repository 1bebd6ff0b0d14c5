"""Two instances of Gongmo behind a load balancer (issue 19), on loopback: two gunicorn
instances with production settings behind HAProxy, sharing one PostgreSQL database, Redis (the
broker and the cache) and an S3-compatible object store (SeaweedFS), with one Celery worker.

``run(settings)`` seeds a database of its own, starts everything, drives it over HTTP and returns
what it saw, as plain facts for tests/load/test_two_instances.py to judge:

- a session made on one instance is honoured by the other (and through the balancer);
- a document uploaded through instance A is downloaded, byte for byte, through instance B, and
  lives in the bucket, not on either instance's disk;
- one draft submitted through A and B at the same instant is submitted once (the row lock);
- failed log-ins spread over A and B are counted together: the account is locked on both;
- a funding workbook asked for through A is built by the worker and downloaded through B.
Everything is stopped and the database dropped at the end, even on failure.
"""

import io
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.load.burst import (
    ROOT,
    TOKEN_FIELD,
    BurstSettings,
    Server,
    _child,
    _create_database,
    _drop_database,
    _environment,
    request,
)
from tests.loopback import HOST, Balancer, stop_group
from tests.objectstore import SeaweedFS

BIN = Path(sys.executable).parent
PASSWORD = "two-instances-" + "pw-7"
DOWNLOAD_LINK = re.compile(r'href="(/documents/(\d+)/)"')
JOB_LINK = re.compile(r"/audit/jobs/([0-9a-f-]{36})/")


@dataclass
class InstanceSettings:
    database_url: str = "postgres://postgres@127.0.0.1:5432/postgres"
    database: str = "gongmo_instances"
    broker_url: str = "redis://127.0.0.1:6379/13"
    cache_url: str = "redis://127.0.0.1:6379/14"
    workers: int = 2
    keep_database: bool = False
    failure_limit: int = 4


def multipart(fields, files):
    """A multipart/form-data body: ``fields`` {name: value}, ``files`` {name: (filename, bytes)}."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, data) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def raw(port, method, path, *, cookies=None, body=None, content_type=None, referer=None):
    """A request with a raw body (the burst's ``request`` sends forms only); returns status,
    headers and the body's bytes."""
    import http.client

    from tests.load.burst import _headers

    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    headers = _headers(port, cookies, referer)
    if content_type:
        headers["Content-Type"] = content_type
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def token_on(port, path, cookies):
    """GET ``path``: the CSRF token of its form, with the cookies the page set added."""
    page = request(port, "GET", path, cookies=cookies)
    match = TOKEN_FIELD.search(page.body)
    if page.status != 200 or not match:
        raise RuntimeError(f"GET {path} on {port}: {page.status}, no form token")
    cookies.update(page.cookies)
    return match.group(1), page


def run(settings):
    facts = {}
    var_dir = Path(tempfile.mkdtemp(prefix="gongmo-instances-"))
    burst_like = BurstSettings(
        database_url=settings.database_url, database=settings.database, broker_url=settings.broker_url
    )
    processes, store = [], None
    try:
        store = SeaweedFS(var_dir / "seaweedfs").__enter__()
        env = _environment(burst_like, var_dir)
        env.update(
            store.env,
            CACHE_URL=settings.cache_url,
            LOGIN_FAILURE_LIMIT=str(settings.failure_limit),
            # Each instance has its own disk: anything written there would be a bug.
            MEDIA_ROOT=str(var_dir / "instance-disk"),
        )
        _create_database(burst_like)
        _child(env, "manage.py", "collectstatic", "--noinput", "--verbosity", "0", capture=False)
        _child(env, "manage.py", "migrate", "--noinput", "--verbosity", "0", capture=False)
        import redis

        for url in (settings.broker_url, settings.cache_url):
            redis.Redis.from_url(url).flushdb()
        seeded = _child(env, "-m", "tests.load.instances", "seed")

        burst_like.workers = settings.workers
        a = Server(env, burst_like, var_dir / "gunicorn-a.log")
        b = Server(env, burst_like, var_dir / "gunicorn-b.log")
        processes += [a, b]
        worker_log = (var_dir / "worker.log").open("w")
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        facts["healthz"] = [a.wait_ready(), b.wait_ready()]
        balancer = Balancer([a.port, b.port], var_dir)

        cookie = seeded["session_cookie"]
        applicant = {cookie: seeded["applicant_session"]}
        page = seeded["application_page"]

        # 1. One session, every instance.
        facts["session_pages"] = [
            request(port, "GET", page, cookies=applicant).status for port in (a.port, b.port, balancer.port)
        ]

        # 2. Upload through A, download through B.
        token, _page = token_on(a.port, page, applicant)
        from tests.projects.samples import pdf_bytes

        content = pdf_bytes()
        body, content_type = multipart(
            {"csrfmiddlewaretoken": token, "kind": "other"}, {"file": ("annex.pdf", content)}
        )
        status, _headers, _body = raw(
            a.port,
            "POST",
            f"{page}documents/",
            cookies=applicant,
            body=body,
            content_type=content_type,
            referer=page,
        )
        facts["upload_status"] = status
        on_b = request(b.port, "GET", page, cookies=applicant)
        links = sorted({int(pk) for _path, pk in DOWNLOAD_LINK.findall(on_b.body)})
        facts["documents_listed_on_b"] = len(links)
        downloaded = [raw(b.port, "GET", f"/documents/{pk}/", cookies=applicant)[2] for pk in links]
        facts["uploaded_bytes_served_by_b"] = content in downloaded
        facts["bucket_objects"] = len(store.stored_names())
        disk = var_dir / "instance-disk"
        facts["files_on_instance_disk"] = (
            [str(p) for p in disk.rglob("*") if p.is_file()] if disk.exists() else []
        )

        # 3. The same draft submitted through A and B at the same instant.
        token_a, _ = token_on(a.port, page, applicant)
        barrier = threading.Barrier(2)
        statuses = [None, None]

        def submit(index, port):
            barrier.wait()
            statuses[index] = request(
                port,
                "POST",
                f"{page}submit/",
                cookies=applicant,
                form={"csrfmiddlewaretoken": token_a},
                referer=page,
            ).status

        threads = [threading.Thread(target=submit, args=(n, port)) for n, port in enumerate((a.port, b.port))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        facts["double_submit_statuses"] = statuses

        # 4. Failed log-ins through A and B, counted together.
        login = "/accounts/login/"
        attempts = []
        for n in range(settings.failure_limit):
            port = (a.port, b.port)[n % 2]
            jar = {}
            token, _ = token_on(port, login, jar)
            answer = request(
                port,
                "POST",
                login,
                cookies=jar,
                form={
                    "csrfmiddlewaretoken": token,
                    "username": seeded["login_email"],
                    "password": "wrong-" + str(n),
                },
                referer=login,
            )
            attempts.append(answer.status)
        facts["failed_login_statuses"] = attempts
        lockouts = []
        for port in (a.port, b.port):
            jar = {}
            token, _ = token_on(port, login, jar)
            answer = request(
                port,
                "POST",
                login,
                cookies=jar,
                form={"csrfmiddlewaretoken": token, "username": seeded["login_email"], "password": PASSWORD},
                referer=login,
            )
            lockouts.append({"status": answer.status, "logged_in": "sessionid" in answer.cookies})
        facts["right_password_after_failures"] = lockouts

        # 5. A workbook asked for through A, built by the worker, downloaded through B.
        auditor = {cookie: seeded["auditor_session"]}
        token, _ = token_on(a.port, "/audit/", auditor)
        asked = request(
            a.port,
            "POST",
            "/audit/",
            cookies=auditor,
            form={"csrfmiddlewaretoken": token, "calls": seeded["call"], "lang": "en"},
            referer="/audit/",
        )
        job = JOB_LINK.search(asked.headers.get("Location", "") or "")
        facts["workbook_asked"] = asked.status
        facts["workbook_downloaded_through_b"] = False
        if job:
            download = f"/audit/jobs/{job.group(1)}/download/"
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                status, _headers, data = raw(b.port, "GET", download, cookies=auditor)
                if status == 200 and data[:2] == b"PK":
                    from openpyxl import load_workbook

                    facts["workbook_sheets"] = load_workbook(io.BytesIO(data), read_only=True).sheetnames
                    facts["workbook_downloaded_through_b"] = True
                    break
                time.sleep(1)
        facts["bucket_objects_after_workbook"] = len(store.stored_names())
        facts["database"] = _child(env, "-m", "tests.load.instances", "verify", str(seeded["application"]))
        worker_log.flush()
        facts["worker_log_tail"] = (var_dir / "worker.log").read_text()[-1500:]
        stop_group(worker, timeout=10)
        worker_log.close()
        balancer.stop()
        return facts
    finally:
        for process in processes:
            process.stop()
        if store is not None:
            store.__exit__(None, None, None)
        if not settings.keep_database:
            _drop_database(burst_like)
        subprocess.run(["rm", "-rf", str(var_dir)], check=False)


# --- the children: seed and verify, with Django set up -----------------------------------------


def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed():
    _django()
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.roles import Role, sync_role_groups
    from accounts.two_factor import requires_two_factor
    from competitions.models import CallState
    from projects.models import Document
    from tests.factories import (
        ApplicationFactory,
        CallFactory,
        OrganisationFactory,
        TrackFactory,
        UserFactory,
        pilot_rules,
    )
    from tests.projects.samples import pdf_bytes

    sync_role_groups()
    now = timezone.now()
    backend = next(
        (b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")),
        settings.AUTHENTICATION_BACKENDS[-1],
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def session_of(user):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if requires_two_factor(user):  # a finished log-in of staff and auditors: the code too
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        return session.session_key

    with transaction.atomic():
        call = CallFactory(
            slug="two-instances",
            reference_prefix="LB",
            state=CallState.PUBLISHED,
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=3),
        )
        TrackFactory(call=call, name="SME-led", max_awards=14)
        pilot_rules(call)
        user = UserFactory(email="applicant@instances.example")
        user.set_password(PASSWORD)
        user.save()
        lead = OrganisationFactory(owners=[user], name="Two Instances Co.")
        application = ApplicationFactory(call=call, lead=lead, created_by=user)
        pdf = pdf_bytes()
        for kind in ("proposal", "business_registration"):
            document = Document(
                application=application,
                kind=kind,
                original_name=f"{kind}.pdf",
                file_format="pdf",
                size=len(pdf),
                uploaded_by=user,
            )
            document.file.save(document.original_name, ContentFile(pdf), save=False)
            document.save()
        auditor = UserFactory(email="auditor@instances.example", roles=[Role.AUDITOR])
    return {
        "call": call.pk,
        "application": application.pk,
        "application_page": f"/applications/{application.pk}/",
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "applicant_session": session_of(user),
        "auditor_session": session_of(auditor),
        "login_email": user.email,
    }


def verify(application_id):
    _django()
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    from projects.models import Application

    application = Application.objects.get(pk=application_id)
    submits = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id=application.pk,
        transition="submit",
    ).count()
    return {
        "state": application.state,
        "reference": application.reference,
        "submit_log_entries": submits,
        "applications_with_reference": Application.objects.exclude(reference="").count(),
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "seed":
        print(json.dumps(seed()))
    elif command == "verify":
        print(json.dumps(verify(int(sys.argv[2]))))
    else:
        print(json.dumps(run(InstanceSettings()), indent=2))
