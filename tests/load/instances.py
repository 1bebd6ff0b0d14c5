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
from tests.loopback import Balancer, stop_group
from tests.objectstore import SeaweedFS

BIN = Path(sys.executable).parent
PASSWORD = "two-instances-" + "pw-7"
DOWNLOAD_LINK = re.compile(r'href="(/documents/(\d+)/)"')
JOB_LINK = re.compile(r"/audit/jobs/([0-9a-f-]{36})/")
PREVIEW_TOKEN = re.compile(r"preview=([0-9a-f]{32})")
RANKING_ROW = '<th scope="row">'
# The evaluation call's scored applications: more than the ranking's page of 50, so page 2 exists.
SCORED = 80


@dataclass
class InstanceSettings:
    database_url: str = "postgres://postgres@127.0.0.1:5432/postgres"
    database: str = "gongmo_instances"
    broker_url: str = "redis://127.0.0.1:6379/15"  # its own: tests/faults uses 13
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


def at_once(submissions):
    """POST each (port, application page, cookies, form token) to its submit URL, all released
    at the same instant, one thread each; the statuses, in order."""
    barrier = threading.Barrier(len(submissions))
    statuses = [None] * len(submissions)

    def submit(index, port, page, cookies, token):
        barrier.wait()
        statuses[index] = request(
            port, "POST", f"{page}submit/", cookies=cookies, form={"csrfmiddlewaretoken": token}, referer=page
        ).status

    threads = [threading.Thread(target=submit, args=(n, *each)) for n, each in enumerate(submissions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


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
    try:
        with SeaweedFS(var_dir / "seaweedfs") as store:
            _drive(settings, burst_like, store, var_dir, facts)
        return facts
    finally:
        if not settings.keep_database:
            _drop_database(burst_like)
        subprocess.run(["rm", "-rf", str(var_dir)], check=False)


def _drive(settings, burst_like, store, var_dir, facts):
    """Everything between the object store's start and stop: the database, the instances, the
    worker, the balancer and the checks (the facts are added to ``facts``)."""
    processes = []
    try:
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
        facts["upload_status"] = request(
            a.port,
            "POST",
            f"{page}documents/",
            cookies=applicant,
            body=body,
            content_type=content_type,
            referer=page,
        ).status
        on_b = request(b.port, "GET", page, cookies=applicant)
        links = sorted({int(pk) for _path, pk in DOWNLOAD_LINK.findall(on_b.body)})
        facts["documents_listed_on_b"] = len(links)
        downloaded = [request(b.port, "GET", f"/documents/{pk}/", cookies=applicant).content for pk in links]
        facts["uploaded_bytes_served_by_b"] = content in downloaded
        facts["bucket_objects"] = len(store.stored_names())
        disk = var_dir / "instance-disk"
        facts["files_on_instance_disk"] = (
            [str(p) for p in disk.rglob("*") if p.is_file()] if disk.exists() else []
        )

        # 3. The same draft submitted through A and B at the same instant (the row lock); then
        # two other drafts of the call, one through each, at the same instant (the call's
        # reference counter: two numbers, no gap, none twice).
        token_a, _ = token_on(a.port, page, applicant)
        facts["double_submit_statuses"] = at_once(
            [(port, page, applicant, token_a) for port in (a.port, b.port)]
        )
        others = []
        for port, (other_page, other_session) in zip((a.port, b.port), seeded["other_drafts"], strict=True):
            jar = {cookie: other_session}
            others.append((port, other_page, jar, token_on(port, other_page, jar)[0]))
        facts["two_drafts_statuses"] = at_once(others)

        # 3b. A selection preview kept by A (the ranking's first page) is what B serves for its
        # token's second page: a miss would compute a fresh one under a new token.
        staff = {cookie: seeded["staff_session"]}
        ranking = seeded["ranking_page"]
        first = request(a.port, "GET", ranking, cookies=staff)
        kept = PREVIEW_TOKEN.search(first.body)
        facts["preview_first_page"] = {"status": first.status, "rows": first.body.count(RANKING_ROW)}
        facts["preview_token_kept_by_b"] = False
        if kept:
            second = request(b.port, "GET", f"{ranking}?preview={kept.group(1)}&page=2", cookies=staff)
            facts["preview_second_page_on_b"] = {
                "status": second.status,
                "rows": second.body.count(RANKING_ROW),
            }
            facts["preview_token_kept_by_b"] = set(PREVIEW_TOKEN.findall(second.body)) == {kept.group(1)}

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
                answer = request(b.port, "GET", download, cookies=auditor)
                data = answer.content
                if answer.status == 200 and data[:2] == b"PK":
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
    finally:
        for process in processes:
            process.stop()


# --- the children: seed and verify, with Django set up -----------------------------------------


def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def attach_required(application, user, pdf):
    """The documents a complete draft needs: the proposal and the business registration."""
    from django.core.files.base import ContentFile

    from projects.models import Document

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


def seed():
    _django()
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import transaction
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.roles import Role, sync_role_groups
    from accounts.two_factor import requires_two_factor
    from competitions.models import CallState
    from evaluation.generate import generate, system_user
    from tests.evaluation.conftest import evaluation_call
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
        attach_required(application, user, pdf)
        others = []
        for n in range(2):
            other = UserFactory(email=f"other-{n}@instances.example")
            draft = ApplicationFactory(
                call=call, lead=OrganisationFactory(owners=[other], name=f"Other Co. {n}"), created_by=other
            )
            attach_required(draft, other, pdf)
            others.append((other, draft))
        auditor = UserFactory(email="auditor@instances.example", roles=[Role.AUDITOR])
        staff = UserFactory(email="staff@instances.example", roles=[Role.STAFF])
        evaluated = evaluation_call("two-instances-ranking", "LR")
        generate(evaluated, count=SCORED, reviewers=8, seed=6, by=system_user())
    return {
        "call": call.pk,
        "application": application.pk,
        "application_page": f"/applications/{application.pk}/",
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "applicant_session": session_of(user),
        "auditor_session": session_of(auditor),
        "login_email": user.email,
        "other_drafts": [(f"/applications/{draft.pk}/", session_of(other)) for other, draft in others],
        "staff_session": session_of(staff),
        "ranking_page": f"/staff/calls/{evaluated.slug}/selection/",
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
    references = sorted(
        Application.objects.filter(call_id=application.call_id)
        .exclude(reference="")
        .values_list("reference", flat=True)
    )
    return {
        "state": application.state,
        "reference": application.reference,
        "submit_log_entries": submits,
        "references_in_call": references,
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "seed":
        print(json.dumps(seed()))
    elif command == "verify":
        print(json.dumps(verify(int(sys.argv[2]))))
    else:
        print(json.dumps(run(InstanceSettings()), indent=2))
