"""The deadline burst (issue 7, DESIGN.md §5): many applicants press *Submit* in the last
seconds before a call closes, through gunicorn on PostgreSQL, and a few press it just after.

``run(BurstSettings(...))`` does it all against a real server on loopback and returns a report
(a dict): it creates a fresh PostgreSQL database of its own, migrates it, seeds an open call
with the 2022 pilot call's eligibility rules and, per applicant, a user, an organisation (SME)
and a complete, eligible draft with its proposal and business registration certificate; starts
gunicorn with production settings (DEBUG off, a secret key, allowed hosts, persistent database
connections, Redis as the Celery broker); opens each applicant's application page over HTTP
(which gives the CSRF cookie and the form's token); moves the call's close to a few seconds
ahead; releases every on-time submit POST at once (one thread and connection each, timed from
the request to the last byte of the answer); waits until one second after the close and sends
the late ones; then checks the database. gunicorn is stopped and the database dropped at the
end, whatever happened.

Logging in: each applicant's session is written to the session store by the seed (what a login
stores: the user, the backend and the password-derived hash), so the run does not spend a
minute on 200 password hashes; everything after that goes over HTTP like a browser: cookies,
the CSRF token from the page, Origin and Referer headers, and ``X-Forwarded-Proto: https`` as
the TLS-terminating proxy in front of gunicorn sends it (so the production security settings
stay as they are: secure cookies, the TLS redirect, HSTS).

The broker and the cache: Redis, as in production. The request only writes the outbox row and,
after commit, wakes the worker (projects.tasks.wake_after_submissions: one task for the burst,
since no worker runs during it to take the first); the tasks stay in the queue (counted, then
deleted). The Redis database number is ours alone (``broker_url``): emptied at the start.

Run it by hand: ``.venv/bin/python -m tests.load.burst`` (``--help`` for the options); the
internal steps ``seed`` and ``verify`` run in child processes against the burst database.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from tests.loopback import HOST, Balancer, free_port, stop_group

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CALL_SLUG = "deadline-burst"
REFERENCE_PREFIX = "BURST"
CLOSED_MESSAGE = "Reception closed at"
TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class BurstSettings:
    """What to run. ``database_url`` names the server; the database name is replaced by ``database``."""

    database_url: str = "postgres://postgres@127.0.0.1:5432/postgres"
    database: str = "gongmo_burst"
    broker_url: str = "redis://127.0.0.1:6379/11"
    on_time: int = 200
    late: int = 20
    # gunicorn: sync workers, as `make serve` runs it (threads > 1 switches to gthread).
    workers: int = 3
    threads: int = 1
    # More than one: that many gunicorn instances behind HAProxy (tests.loopback.Balancer),
    # every request sent to the balancer.
    instances: int = 1
    # 0: every on-time submit leaves at the same instant (the spike); otherwise each leaves at
    # a random moment within this many seconds (arrivals spread over the last minute).
    spread_seconds: float = 0.0
    # The close is this many seconds after the last planned on-time submit (the burst must end
    # before it; once it has, the close is brought forward to a second later to save waiting);
    # the late submissions go this many seconds after the close.
    seconds_before_close: float = 60.0
    seconds_after_close: float = 1.0
    keep_database: bool = False


@dataclass
class Response:
    status: int
    seconds: float
    location: str = ""
    cookies: dict = field(default_factory=dict)
    error: str = ""
    sent: float = 0.0


# --- the parent: databases, processes, HTTP --------------------------------------------------


def _url_for(database_url, name):
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(settings):
    import psycopg

    return psycopg.connect(_url_for(settings.database_url, "postgres"), autocommit=True)


def _drop_database(settings):
    from psycopg import sql

    with _admin_connection(settings) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(settings.database))
        )


def _create_database(settings):
    from psycopg import sql

    _drop_database(settings)
    with _admin_connection(settings) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.database)))


def _broker(settings):
    import redis

    client = redis.Redis.from_url(settings.broker_url, socket_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        raise RuntimeError(
            f"Redis does not answer at {settings.broker_url}: start it (see .ci/run) and run again"
        ) from exc
    return client


def _environment(settings, var_dir):
    """Production settings (config/settings.py reads them), pointed at the burst's own stores."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},localhost",
        DATABASE_URL=_url_for(settings.database_url, settings.database),
        CONN_MAX_AGE="60",
        CELERY_BROKER_URL=settings.broker_url,
        # The shared cache, as production has (docs/operations.md), in the same Redis database.
        CACHE_URL=settings.broker_url,
        GONGMO_VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        LOG_LEVEL="WARNING",
    )
    return env


def _child(env, *args, capture=True):
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1]) if capture else None


class Server:
    """gunicorn serving config.wsgi on loopback; stopped (its whole group) on exit."""

    def __init__(self, env, settings, log_path):
        self.port = free_port()
        command = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(settings.workers),
            "--error-logfile",
            str(log_path),
            "--log-level",
            "warning",
        ]
        if settings.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(settings.threads)]
        self.log_path = log_path
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                answer = request(self.port, "GET", "/healthz")
            except OSError:
                time.sleep(0.2)
                continue
            if answer.status == 200:
                return json.loads(answer.body)
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s:\n{self.log()}")

    def log(self):
        try:
            return self.log_path.read_text()[-5000:]
        except FileNotFoundError:
            return ""

    def stop(self):
        stop_group(self.process, timeout=20)


class Answer:
    def __init__(self, status, headers, content, seconds):
        self.status = status
        self.headers = headers
        self.content = content  # the bytes (a download); ``body`` is the page's text
        self.body = content.decode("utf-8", "replace")
        self.seconds = seconds

    @property
    def cookies(self):
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}


def _headers(port, cookies=None, referer=None):
    origin = f"https://{HOST}:{port}"
    headers = {
        "Host": f"{HOST}:{port}",
        "X-Forwarded-Proto": "https",  # what the TLS-terminating proxy adds
        "Accept-Language": "en",
        "User-Agent": "gongmo-burst",
    }
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    if referer:
        headers["Origin"] = origin
        headers["Referer"] = origin + referer
    return headers


def request(
    port,
    method,
    path,
    *,
    cookies=None,
    form=None,
    referer=None,
    connection=None,
    body=None,
    content_type=None,
):
    """One request on a fresh connection (or ``connection``); timed to the answer's last byte.
    ``form``: fields sent url-encoded; or ``body`` (bytes) sent as ``content_type`` (a
    multipart upload)."""
    conn = connection or http.client.HTTPConnection(HOST, port, timeout=120)
    headers = _headers(port, cookies, referer)
    if form is not None:
        body = urlencode(form)
        content_type = "application/x-www-form-urlencoded"
    if content_type:
        headers["Content-Type"] = content_type
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        return Answer(response.status, response.headers, data, seconds)
    finally:
        conn.close()


@dataclass
class Applicant:
    application: int
    email: str
    cookies: dict
    token: str = ""

    @property
    def page(self):
        return f"/applications/{self.application}/"


def open_application_page(port, applicant):
    """What the browser does before the click: load the page, keep the CSRF cookie and token."""
    answer = request(port, "GET", applicant.page, cookies=applicant.cookies)
    if answer.status != 200:
        raise RuntimeError(f"GET {applicant.page} answered {answer.status}")
    match = TOKEN_FIELD.search(answer.body)
    if "/submit/" not in answer.body or not match:
        raise RuntimeError(f"{applicant.page} shows no submit form (not logged in, or not a draft?)")
    if "fix it before submitting" in answer.body or "fix them before submitting" in answer.body:
        raise RuntimeError(f"{applicant.page}: the seeded draft fails an eligibility rule")
    applicant.cookies.update(answer.cookies)
    applicant.token = match.group(1)


def fire(port, applicants, spread_seconds=0.0, seed=2022):
    """Every applicant's submit POST, one thread and connection each, released together.

    With ``spread_seconds`` 0 every POST leaves at the same instant (the spike); otherwise
    each leaves at its own random moment within that many seconds (arrivals in the last
    minute), so that requests overlap as they come. Returns the answers, in order, and the
    release and end times (epoch seconds).
    """
    rng = random.Random(seed)
    offsets = [rng.uniform(0, spread_seconds) if spread_seconds else 0.0 for _ in applicants]
    barrier = threading.Barrier(len(applicants) + 1)
    answers = [None] * len(applicants)
    released = [0.0]

    def submit(index, applicant):
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        barrier.wait()
        time.sleep(max(0.0, released[0] + offsets[index] - time.perf_counter()))
        sent = time.perf_counter()
        try:
            answer = request(
                port,
                "POST",
                f"{applicant.page}submit/",
                cookies=applicant.cookies,
                form={"csrfmiddlewaretoken": applicant.token},
                referer=applicant.page,
                connection=conn,
            )
            answers[index] = Response(
                answer.status, answer.seconds, answer.headers.get("Location", ""), answer.cookies, sent=sent
            )
        except Exception as exc:  # noqa: BLE001 - a lost request is a result, reported
            answers[index] = Response(0, 0.0, error=f"{exc.__class__.__name__}: {exc}", sent=sent)

    threads = [threading.Thread(target=submit, args=item) for item in enumerate(applicants)]
    for thread in threads:
        thread.start()
    released[0] = time.perf_counter() + 0.05  # every thread is waiting on the barrier by then
    barrier.wait()
    started = time.time()
    for thread in threads:
        thread.join()
    return answers, started, time.time()


def peak_in_flight(answers):
    """The most requests that were in flight at the same moment."""
    events = sorted(
        [(a.sent, 1) for a in answers if not a.error]
        + [(a.sent + a.seconds, -1) for a in answers if not a.error]
    )
    peak = current = 0
    for _moment, change in events:
        current += change
        peak = max(peak, current)
    return peak


def percentile(values, share):
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def latency_figures(answers):
    seconds = [a.seconds for a in answers if not a.error]
    if not seconds:
        return {}
    return {
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 1),
    }


def _load_average():
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def run(settings):
    """The whole burst; returns the report (see the module docstring)."""
    report = {"settings": asdict(settings), "load_average_before": _load_average()}
    broker = _broker(settings)
    queue = "celery"
    broker.flushdb()  # ours alone: the queue and the cache (an earlier run's keys) start empty
    var_dir = Path(tempfile.mkdtemp(prefix="gongmo-burst-"))
    env = _environment(settings, var_dir)
    servers, balancer = [], None
    try:
        setup = report["setup_seconds"] = {}
        started = time.monotonic()
        _create_database(settings)
        # Production serves hashed static files from the manifest collectstatic writes.
        _child(env, "manage.py", "collectstatic", "--noinput", "--verbosity", "0", capture=False)
        setup["collectstatic"] = round(time.monotonic() - started, 1)
        _child(env, "manage.py", "migrate", "--noinput", "--verbosity", "0", capture=False)
        setup["migrate"] = round(time.monotonic() - started - sum(setup.values()), 1)
        seeded = _child(
            env,
            "-m",
            "tests.load.burst",
            "seed",
            "--on-time",
            str(settings.on_time),
            "--late",
            str(settings.late),
        )
        setup["seed"] = round(time.monotonic() - started - sum(setup.values()), 1)

        servers = [Server(env, settings, var_dir / f"gunicorn-{n}.log") for n in range(settings.instances)]
        server = servers[0]
        report["healthz"] = [each.wait_ready() for each in servers][0]
        port = server.port
        if settings.instances > 1:
            balancer = Balancer([each.port for each in servers], var_dir)
            port = balancer.port

        def applicants(kind):
            return [
                Applicant(row["application"], row["email"], {seeded["session_cookie"]: row["session"]})
                for row in seeded[kind]
            ]

        on_time, late = applicants("on_time"), applicants("late")
        with ThreadPoolExecutor(max_workers=max(2, settings.workers * settings.threads * 2)) as pool:
            list(pool.map(lambda a: open_application_page(port, a), on_time + late))
        setup["server_and_pages"] = round(time.monotonic() - started - sum(setup.values()), 1)

        closes_at = datetime.now(UTC) + timedelta(
            seconds=settings.spread_seconds + settings.seconds_before_close
        )
        _set_close(settings, seeded["call"], closes_at)

        answers, burst_start, burst_end = fire(port, on_time, settings.spread_seconds)
        report["burst"] = {
            "requests": len(answers),
            "peak_in_flight": peak_in_flight(answers),
            "statuses": dict(Counter(a.status for a in answers)),
            "errors": [a.error for a in answers if a.error][:5],
            "seconds_before_close_at_start": round(closes_at.timestamp() - burst_start, 2),
            "seconds_before_close_at_end": round(closes_at.timestamp() - burst_end, 2),
            "wall_seconds": round(burst_end - burst_start, 2),
            **latency_figures(answers),
        }
        report["burst"]["redirects_to_application"] = sum(
            a.status == 302 and a.location.endswith(applicant.page)
            for a, applicant in zip(answers, on_time, strict=True)
        )

        # Nothing on time is left in flight: bring the close forward (to save waiting) but never
        # back, then knock just after it.
        report["planned_closes_at"] = closes_at.isoformat()
        closes_at = min(closes_at, datetime.now(UTC) + timedelta(seconds=1))
        _set_close(settings, seeded["call"], closes_at)
        report["closes_at"] = closes_at.isoformat()
        time.sleep(max(0.0, closes_at.timestamp() + settings.seconds_after_close - time.time()))
        late_answers, late_start, _late_end = fire(port, late)
        report["late"] = {
            "requests": len(late_answers),
            "statuses": dict(Counter(a.status for a in late_answers)),
            "errors": [a.error for a in late_answers if a.error][:5],
            "seconds_after_close_at_start": round(late_start - closes_at.timestamp(), 2),
            **latency_figures(late_answers),
        }
        # The refusal the applicant reads on the page the refusal redirects to.
        told = 0
        for answer, applicant in zip(late_answers, late, strict=True):
            if answer.status == 302:
                page = request(port, "GET", applicant.page, cookies={**applicant.cookies, **answer.cookies})
                told += page.status == 200 and CLOSED_MESSAGE in page.body
        report["late"]["told_reception_closed"] = told

        report["server_errors"] = sum(a.status >= 500 for a in answers + late_answers)
        report["lost"] = sum(a.status == 0 for a in answers + late_answers)
        report["tasks_enqueued"] = broker.llen(queue)
        report["database"] = _child(
            env,
            "-m",
            "tests.load.burst",
            "verify",
            "--on-time",
            ",".join(str(a.application) for a in on_time),
            "--late",
            ",".join(str(a.application) for a in late),
        )
        report["load_average_after"] = _load_average()
        report["gunicorn_log_tail"] = "".join(each.log()[-2000:] for each in servers)
        return json.loads(json.dumps(report))  # the same report as the command prints
    finally:
        if balancer is not None:
            balancer.stop()
        for each in servers:
            each.stop()
        broker.delete(queue)
        if not settings.keep_database:
            _drop_database(settings)
        subprocess.run(["rm", "-rf", str(var_dir)], check=False)


def _set_close(settings, call_id, closes_at):
    import psycopg

    with psycopg.connect(_url_for(settings.database_url, settings.database), autocommit=True) as conn:
        conn.execute("UPDATE competitions_call SET closes_at = %s WHERE id = %s", (closes_at, call_id))


# --- the children: seed and verify, with Django against the burst database -------------------


def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(on_time, late):
    """The call, the applicants with their organisations and complete drafts, and their sessions."""
    _django()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role, group_for, sync_role_groups
    from competitions.models import CallState
    from projects.models import Document
    from tests.factories import (
        ApplicationFactory,
        CallFactory,
        OrganisationFactory,
        TrackFactory,
        pilot_rules,
    )
    from tests.projects.samples import pdf_bytes

    sync_role_groups()
    now = timezone.now()
    pdf = pdf_bytes()
    backend = next(
        (b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")),
        settings.AUTHENTICATION_BACKENDS[-1],
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    with transaction.atomic():
        call = CallFactory(
            slug=CALL_SLUG,
            reference_prefix=REFERENCE_PREFIX,
            state=CallState.PUBLISHED,
            opens_at=now - timedelta(days=30),
            closes_at=now + timedelta(hours=1),  # moved to a few seconds ahead before the burst
        )
        TrackFactory(call=call, name="SME-led", max_awards=14)
        pilot_rules(call)
        # No password: nobody logs in with one here, and 200 hashes would take a minute.
        users = User.objects.bulk_create(
            # English readers: the receipts are checked by their English subject.
            User(email=f"applicant-{n:04d}@burst.example", password=make_password(None), language="en")
            for n in range(on_time + late)
        )
        group_for(Role.APPLICANT).user_set.add(*users)
        rows = []
        for n, user in enumerate(users):
            lead = OrganisationFactory(owners=[user], name=f"Burst Company {n:04d}")
            application = ApplicationFactory(
                call=call, lead=lead, created_by=user, title=f"Burst proposal {n:04d}"
            )
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
            # What django.contrib.auth.login() stores for a logged-in user.
            session = store()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            rows.append({"application": application.pk, "email": user.email, "session": session.session_key})
    return {
        "call": call.pk,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "on_time": rows[:on_time],
        "late": rows[on_time:],
    }


def verify(on_time_ids, late_ids):
    """What the database holds after the burst, as plain facts for the caller to judge."""
    _django()
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    from competitions.models import Call
    from projects.models import Application, OutboxMessage, ReferenceCounter

    call = Call.objects.get(slug=CALL_SLUG)
    application_type = ContentType.objects.get_for_model(Application)
    submits = Counter(
        StateLog.objects.filter(
            content_type=application_type, object_id__in=on_time_ids + late_ids, transition="submit"
        ).values_list("object_id", flat=True)
    )
    on_time = list(Application.objects.filter(pk__in=on_time_ids).select_related("created_by"))
    late = list(Application.objects.filter(pk__in=late_ids).select_related("created_by"))
    references = [a.reference for a in on_time if a.reference]
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references if r.startswith(f"{REFERENCE_PREFIX}-"))
    messages = Counter(OutboxMessage.objects.values_list("to", "subject"))
    counter = ReferenceCounter.objects.filter(call=call).values_list("last_number", flat=True).first()
    return {
        "on_time_applications": len(on_time),
        "on_time_states": dict(Counter(a.state for a in on_time)),
        "on_time_with_reference": len(references),
        "unique_references": len(set(references)),
        "reference_numbers_are_1_to_n": numbers == list(range(1, len(on_time) + 1)),
        "reference_counter": counter,
        "submitted_before_close": sum(
            bool(a.submitted_at and a.submitted_at <= call.closes_at) for a in on_time
        ),
        "submit_log_entries_per_application": dict(Counter(submits[a.pk] for a in on_time)),
        "receipt_emails_queued": sum(
            messages[(a.created_by.email, f"Application {a.reference} received")] == 1 for a in on_time
        ),
        "outbox_messages": sum(messages.values()),
        "late_applications": len(late),
        "late_states": dict(Counter(a.state for a in late)),
        "late_with_reference": sum(bool(a.reference) for a in late),
        "late_submit_log_entries": sum(submits[a.pk] for a in late),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    seed_parser = commands.add_parser("seed")
    seed_parser.add_argument("--on-time", type=int, required=True, dest="seed_on_time")
    seed_parser.add_argument("--late", type=int, required=True, dest="seed_late")
    verify_parser = commands.add_parser("verify")
    verify_parser.add_argument("--on-time", required=True, dest="on_time_ids")
    verify_parser.add_argument("--late", default="", dest="late_ids")
    defaults = BurstSettings()
    parser.add_argument("--database-url", default=defaults.database_url, help="the PostgreSQL server")
    parser.add_argument("--database", default=defaults.database)
    parser.add_argument("--broker-url", default=defaults.broker_url)
    parser.add_argument("--on-time", type=int, default=defaults.on_time)
    parser.add_argument("--late", type=int, default=defaults.late)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument(
        "--spread", type=float, default=defaults.spread_seconds, help="seconds (0: all at once)"
    )
    parser.add_argument(
        "--instances", type=int, default=defaults.instances, help="gunicorn instances behind HAProxy"
    )
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "seed":
        print(json.dumps(seed(args.seed_on_time, args.seed_late)))
    elif args.command == "verify":
        ids = [[int(x) for x in text.split(",") if x] for text in (args.on_time_ids, args.late_ids)]
        print(json.dumps(verify(*ids)))
    else:
        settings = BurstSettings(
            database_url=args.database_url,
            database=args.database,
            broker_url=args.broker_url,
            on_time=args.on_time,
            late=args.late,
            workers=args.workers,
            threads=args.threads,
            spread_seconds=args.spread,
            instances=args.instances,
            keep_database=args.keep_database,
        )
        print(json.dumps(run(settings), indent=2))


if __name__ == "__main__":
    main()
