"""Shared helpers for browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Registered as a pytest plugin in the root conftest, so any test can ask for these fixtures:

    @pytest.mark.browser
    def test_something(open_page, county_reviewer, settings):
        settings.DEMO_MODE = True                      # relax the 2FA gate for a persona without a device
        page = open_page()                             # desktop; open_page(PHONE) for a 390 px phone
        sign_in(page, county_reviewer)
        page.goto("/orgs/")
        assert_page_ok(page)                           # CSS loaded, no script errors, no failed static files
        screenshot(page, "tree-desktop")               # → test-artifacts/screenshots/tree-desktop.png

Browser tests use a live server, so their database is transactional: pytest-django runs them after the
other tests and empties every table after each one — including the divisions loaded once per session.
`browser_db` loads them again when a previous live-server test emptied them; it runs automatically
(before data fixtures like `tree`) for every test that uses `live_server`. Under CI=true a missing
Chromium or Playwright fails the test instead of skipping it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.testcases import _MediaFilesHandler

CHROMIUM = Path(os.environ.get("BANGFU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Test-pass-2026!"  # the personas' password (conftest.PASSWORD)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _no_public_media_url(handler) -> str:
    # MEDIA_URL is None on purpose (evidence is served only through scoped views), but Django's live
    # server wraps every request in a media handler that parses MEDIA_URL and breaks on None. Give that
    # test-only handler a prefix that matches no request instead; nothing under MEDIA_ROOT is published.
    return settings.MEDIA_URL or "/__media-is-not-public__/"


_MediaFilesHandler.get_base_url = _no_public_media_url


def require_chromium() -> None:
    """Skip locally when the browser is missing; fail under CI=true, where it must be installed."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed"
    if problem:
        if IN_CI:
            pytest.fail(f"browser test cannot run in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test session (per xdist worker)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django would then refuse ORM
    # calls from test code ("async context"). The calls are still synchronous, so allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_db(transactional_db, django_db_blocker):
    """A transactional database with the reference data in place (see the module docstring)."""
    from bangfu.orgs.models import Division
    from bangfu.registry.models import CodeItem
    from tests.reference import load_divisions

    if not Division.objects.exists():
        load_divisions()  # the command's rows, copied from the session's first load
    if not CodeItem.objects.exists():
        call_command("load_code_lists", verbosity=0)
    call_command("load_fund_sources", verbosity=0)
    call_command("load_recommendation_rules", verbosity=0)
    call_command("load_data_sources", verbosity=0)


@pytest.fixture(autouse=True)
def _reference_data_for_live_server(request):
    """Autouse, so it runs before data fixtures such as `tree` in any test that uses the live server."""
    if "live_server" in request.fixturenames:
        request.getfixturevalue("browser_db")


@pytest.fixture
def open_page(browser_db, browser, live_server):
    """Open a page in a fresh browser context (own cookies) on the live server: `open_page(PHONE)`.

    Relative URLs work (`page.goto("/orgs/")`). Each page collects script errors and failed requests
    in `page.problems`, checked by `assert_page_ok`.
    """
    contexts = []

    def _open(viewport: dict = DESKTOP, locale: str = "zh-CN"):
        context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
        page.on(
            "response", lambda r: r.status >= 400 and "/static/" in r.url and problems.append(f"{r.status} {r.url}")
        )
        page.problems = problems
        return page

    yield _open
    for context in contexts:
        context.close()


def sign_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the real login form and wait for the page after it."""
    page.goto("/accounts/login/")
    page.fill("#id_username", user if isinstance(user, str) else user.username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("#content button[type=submit]")
    assert "/accounts/login/" not in page.url, f"sign-in failed, still on {page.url}"


def assert_page_ok(page) -> None:
    """The stylesheets are applied (Bootstrap from node_modules, the platform's own CSS), no script
    errors, no failed static files."""
    navbar_display = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
    assert navbar_display == "flex", "Bootstrap's CSS is not applied"
    brand_colour = page.evaluate("getComputedStyle(document.querySelector('.bg-union')).backgroundColor")
    assert brand_colour == "rgb(183, 28, 28)", "bangfu.css is not applied"
    assert not page.problems, page.problems


def assert_fits_width(page) -> None:
    """Nothing sticks out sideways (the page is usable on a phone without horizontal scrolling)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
