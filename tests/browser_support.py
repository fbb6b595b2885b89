"""Browser-test harness: Debian's Chromium driven by Playwright, and the app on a real local server.

Browser tests skip with a reason when Chromium is missing, unless CONFERENCE_REQUIRE_BROWSER=1
(set by CI after installing it), where a missing browser is a failure. No browser is ever downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def require_browser() -> str:
    """The Chromium executable, or skip (or fail, when CONFERENCE_REQUIRE_BROWSER=1)."""
    path = chromium_path()
    reason = None
    if path is None:
        reason = "Debian's Chromium is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright Python package is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CONFERENCE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser required but unavailable: {reason}")
        pytest.skip(reason)
    return path


def _report_page_errors(browser, errors: list[str]) -> None:
    """Record every uncaught JavaScript error of every page `browser` opens into `errors`, and every
    Content-Security-Policy refusal (an inline script or handler, a script from elsewhere: the page
    would half work)."""

    def csp_refusal(page, message) -> None:
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            errors.append(f"{page.url}: {text}")

    def watch_page(page):
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: csp_refusal(page, message))
        page.wait_for_function = _csp_safe_wait_for_function(page)
        return page

    def watch_context(context):
        context.on("page", watch_page)
        return context

    new_context, new_page = browser.new_context, browser.new_page
    browser.new_context = lambda *args, **kwargs: watch_context(new_context(*args, **kwargs))
    browser.new_page = lambda *args, **kwargs: watch_page(new_page(*args, **kwargs))


def _csp_safe_wait_for_function(page):
    """`page.wait_for_function` that works under the site's Content-Security-Policy.

    Playwright's own builds its predicate with eval inside the page, which `script-src 'self'`
    refuses; `page.evaluate` goes through the DevTools protocol, which the policy does not govern.
    Same arguments (expression, arg, timeout and polling in milliseconds); returns the truthy value.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def wait(expression, *, arg=None, timeout=None, polling=None):
        deadline = time.monotonic() + (30_000 if timeout is None else timeout) / 1000
        interval = polling if isinstance(polling, int | float) else 100
        while True:
            try:
                value = page.evaluate(expression, arg)
            except PlaywrightError as exc:
                if "navigat" not in str(exc) and "context was destroyed" not in str(exc):
                    raise
                value = None  # the page is loading a new document: ask again
            if value:
                return value
            if time.monotonic() > deadline:
                raise PlaywrightTimeout(f"waited {timeout} ms for {expression!r}")
            page.wait_for_timeout(interval)

    return wait


class _Chromium:
    """One Playwright driver per test process (its sync API cannot run two at once), and one plain
    headless Chromium that the tests of the `browser` fixture share, each in contexts of its own:
    starting the driver and the browser took about a second a test."""

    def __init__(self) -> None:
        self._playwright = None
        self._shared = None
        self.shared_page_errors: list[str] = []

    def launch(self, extra_args: list[str], page_errors: list[str]):
        if self._playwright is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
        browser = self._playwright.chromium.launch(
            executable_path=require_browser(), headless=True, args=CHROMIUM_ARGS + extra_args
        )
        _report_page_errors(browser, page_errors)
        return browser

    def shared(self):
        if self._shared is None or not self._shared.is_connected():  # never started, or crashed
            self._shared = self.launch([], self.shared_page_errors)
        return self._shared

    def stop(self) -> None:
        if self._shared is not None and self._shared.is_connected():
            self._shared.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._shared = self._playwright = None


CHROMIUM = _Chromium()


def _fail_on_page_errors(page_errors: list[str]) -> None:
    if page_errors:
        pytest.fail("JavaScript errors in the pages:\n" + "\n".join(page_errors))


@contextmanager
def launched_browser(extra_args: list[str] | None = None):
    """A headless Chromium of its own; `extra_args` for fake cameras and the like.

    A page's uncaught JavaScript error fails the test that opened it, even when its assertions passed:
    a broken script often leaves just enough of the page working for them.
    """
    page_errors: list[str] = []
    browser = CHROMIUM.launch(list(extra_args or []), page_errors)  # skips (or fails) with no Chromium
    try:
        yield browser
    finally:
        browser.close()
    _fail_on_page_errors(page_errors)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(app):
    """Serve `app` (HTTP and Socket.IO, threading mode) on a free loopback port; yields the base URL."""
    from werkzeug.serving import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"live-server-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture()
def browser():
    """The process's shared Chromium; the contexts and pages the test opened are closed after it, and
    an uncaught JavaScript error in any of them fails it (as in `launched_browser`)."""
    chromium = CHROMIUM.shared()  # skips (or fails) with no Chromium, as `launched_browser` does
    CHROMIUM.shared_page_errors.clear()
    yield chromium
    for context in chromium.contexts:
        context.close()
    _fail_on_page_errors(CHROMIUM.shared_page_errors)


@pytest.fixture(autouse=True, scope="session")
def _browser_driver_stopped():
    """The Playwright driver and the shared Chromium end with the test process that started them."""
    yield
    CHROMIUM.stop()


@pytest.fixture()
def live_server(app):
    with served(app) as base_url:
        yield base_url


def sign_in_page(page, base_url: str, user, password: str | None = None):
    """Sign `page` in as `user` (the test password by default) through the login form."""
    from conftest import PASSWORD

    page.goto(f"{base_url}/login")
    page.fill("#email", user.email)
    page.fill("#password", password or PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def sign_in(browser, base_url: str, user, password: str | None = None):
    """A new browser context signed in as `user`: (context, page)."""
    context = browser.new_context(locale="en-GB")
    return context, sign_in_page(context.new_page(), base_url, user, password)


def switch_language(page, code: str) -> None:
    """Pick `code` in the page's language switcher and wait for the new page in that language.

    The form posts and redirects, so the wait starts only once that navigation is done: polled
    mid-navigation, the page can have no document element yet."""
    page.select_option("#language-select", code)
    with page.expect_navigation():
        page.click("#language-switch button[type=submit]")
    page.wait_for_function(f"document.documentElement?.lang.startsWith('{code}')")


def create_event_as_admin(browser, base_url: str, admin, **fields) -> None:
    """An admin opens Manage → New event and fills its form (`fields` by input name: title, slug,
    city, country, timezone, starts_at, ends_at local to the zone, organiser_email); a draft results."""
    context, page = sign_in(browser, base_url, admin)
    page.goto(f"{base_url}/manage")
    page.get_by_role("link", name="New event").click()
    for name, value in fields.items():
        if name == "country":
            page.select_option("#f-country", value)
        else:
            page.fill(f"#f-{name}", value)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=is created as a draft")
    context.close()
