"""Browser journeys: Playwright driving the system's Chromium against pytest-django's live server.

Collected only with GONGMO_BROWSER_TESTS=1 (tests/conftest.py); .ci/run installs Debian's
``chromium`` and runs them. CHROMIUM_PATH chooses another binary.
"""

import io
import os
import shutil
import sqlite3
import tempfile
import time
from collections import deque
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Error as PlaywrightError

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# On a closed network Chromium's own background connections are refused and slow it down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# GONGMO_BROWSER_TRACE=1: a Playwright trace of every journey, under var/screenshots/traces/.
TRACE = bool(os.environ.get("GONGMO_BROWSER_TRACE"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM_PATH}: install Debian's chromium or set CHROMIUM_PATH")
    # Playwright's sync API keeps an asyncio loop in this thread; the tests' own database calls
    # (seeding, checks) are ordinary synchronous code, not coroutines.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["ko", "en"])
def lang(request):
    return request.param


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so a fixture's teardown knows the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class PageEvents:
    """What the journey's pages did lately (requests, answers, failures, navigations, console
    errors, crashes), with the time each happened: printed when a journey fails, so that a
    timeout in CI says whether the server never answered or the page never moved on."""

    def __init__(self, size=80):
        self.events = deque(maxlen=size)
        self.start = time.monotonic()

    def add(self, who, text):
        self.events.append(f"{time.monotonic() - self.start:8.2f} s  {who}: {text}")

    def watch(self, page, who):
        page.on("request", lambda r: self.add(who, f"-> {r.method} {r.url}"))
        page.on("response", lambda r: self.add(who, f"<- {r.status} {r.request.method} {r.url}"))
        page.on("requestfailed", lambda r: self.add(who, f"!! {r.method} {r.url}: {r.failure}"))
        page.on("framenavigated", lambda f: f.parent_frame is None and self.add(who, f"navigated to {f.url}"))
        page.on("load", lambda p: self.add(who, f"loaded {p.url}"))
        page.on("crash", lambda p: self.add(who, "the page crashed"))
        page.on("pageerror", lambda error: self.add(who, f"script error: {error}"))

    def __str__(self):
        return "\n".join(self.events)


@pytest.fixture
def new_page(request, browser, live_server, lang):
    """Opens a fresh browser (own cookies) in the journey's language: one per person.

    Every page the journey opens is watched for Content-Security-Policy violations (Chromium
    reports each in the console, "Refused to ..."): any one fails the journey at its end."""
    contexts = []
    violations = []
    events = PageEvents()

    def watch(message):
        where = message.location or {}
        # A violation with no source address comes from code the test evaluated itself through
        # the DevTools protocol (axe-core's checks add their own styles), not from Gongmo's pages.
        if "Content Security Policy" in message.text and where.get("url"):
            page_url = message.page.url if message.page else "?"
            violations.append(f"{page_url}: {message.text} (at {where['url']}:{where.get('lineNumber')})")

    def open_page():
        context = browser.new_context(
            base_url=live_server.url,
            locale="ko-KR" if lang == "ko" else "en-GB",
            extra_http_headers={"Accept-Language": lang},
            viewport={"width": 1280, "height": 900},
            timezone_id="Asia/Seoul",
            accept_downloads=True,
            # As someone who asked for less motion: KRDS's pinned header then shows and hides at
            # once, not over 0.4 s, so a click never ends on the header sliding over its target
            # (test_pinned_header.py has the page's own half: nothing jumps when it is pinned).
            reduced_motion="reduce",
        )
        # 30 s: on a shared 2-core machine running slow, a request that renders a PDF or sends
        # mail behind a SQLite write has taken over 15 s (two journeys timed out once in CI and
        # passed again alone); a real hang still fails.
        context.set_default_timeout(30_000)
        if TRACE:
            context.tracing.start(screenshots=True, snapshots=True)
        contexts.append(context)
        context.on("console", watch)
        page = context.new_page()
        events.watch(page, f"page {len(contexts)}")
        pages.append(page)
        return page

    pages = []
    yield open_page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        print(f"The journey's pages, last {len(events.events)} events:\n{events}")
        for number, page in enumerate(pages, start=1):
            path = SCREENSHOTS / "failed" / f"{request.node.name}-{os.getpid()}-page-{number}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(path), full_page=True)
            except PlaywrightError as error:
                print(f"page {number} at {page.url}: no screenshot ({error.message})")
            else:
                print(f"page {number} at {page.url}: {path}")
    if TRACE:
        for number, context in enumerate(contexts, start=1):
            context.tracing.stop(
                path=str(SCREENSHOTS / "traces" / f"{request.node.name}-{os.getpid()}-{number}.zip")
            )
    for context in contexts:
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture(scope="session")
def demo_snapshot():
    """The demo as seeded by the first journey that asks for it: a copy of the database and of
    its uploaded files, so that the other journeys start from the same demo without seeding it
    again (seed_demo takes some twenty seconds; the journeys ask for it about thirty times)."""
    return {}


@pytest.fixture
def demo(settings, tmp_path, demo_snapshot):
    """The project's demo data (seed_demo), with uploads kept out of var/media.

    On SQLite (the journeys' database in CI, in memory) the first journey seeds it and keeps a
    copy through SQLite's online backup; each later journey gets that copy back whole (every
    table, its sequences included) in milliseconds, and the uploaded files with it. On another
    database every journey seeds it."""
    settings.MEDIA_ROOT = media = tmp_path / "media"
    if connection.vendor != "sqlite":
        call_command("seed_demo", stdout=io.StringIO())
        return
    connection.ensure_connection()
    if "database" in demo_snapshot:
        demo_snapshot["database"].backup(connection.connection)
        shutil.copytree(demo_snapshot["media"], media, dirs_exist_ok=True)
        return
    call_command("seed_demo", stdout=io.StringIO())
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(copy)
    kept = Path(tempfile.mkdtemp(prefix="gongmo-demo-media-"))
    if media.exists():
        shutil.copytree(media, kept, dirs_exist_ok=True)
    demo_snapshot.update(database=copy, media=kept)
