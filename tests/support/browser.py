"""Headless Chromium against a live console (pytest-django's live_server).

The fixtures are registered once, in tests/conftest.py: one browser for the whole session,
whichever folder asks for it first (a second sync Playwright would fail to start).

Playwright's sync API runs an event loop in this thread, which Django takes for an async
context: the test process (never a deployed one) allows sync database calls here."""

import os
import shutil

import pytest

from tests.support.roles import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    """Debian's Chromium (scripts/install-system-deps.sh installs it); CHROMIUM overrides."""
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Chromium is not installed: run `make system-deps` (apt-get install chromium).")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(viewport=DESKTOP)`: a fresh browser context (own cookies) on the live server.
    The test fails if the browser console logs an error on any page it opened."""
    contexts = []
    errors: list[str] = []

    def open_(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return watch_console(context.new_page(), errors)

    yield open_
    for context in contexts:
        context.close()
    if errors:
        pytest.fail("The browser console logged errors:\n" + "\n".join(errors))


def watch_console(page, errors: list[str]):
    """Collect the page's console errors and uncaught exceptions (an htmx syntax error in a
    trigger, a failed script) into `errors`; `open_page` fails the test on any. A page that
    is expected to log one (a 404 on purpose) lists it in `page.expected_errors`."""
    page.expected_errors = []

    def console(message) -> None:
        if message.type == "error" and not _expected(page, message.text):
            errors.append(f"{page.url}: console: {message.text}")

    def page_error(error) -> None:
        errors.append(f"{page.url}: uncaught: {error}")

    page.on("console", console)
    page.on("pageerror", page_error)
    return page


def _expected(page, text: str) -> bool:
    return any(fragment in text for fragment in page.expected_errors)


def axe_violations(page, *, impacts=("serious", "critical")) -> list[str]:
    """axe-core (bundled by axe-playwright-python: no network) on the page as it is now: one
    line per violation of the given impacts, with the first few elements it found."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    lines = []
    for violation in results["violations"]:
        if violation["impact"] in impacts:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
            rule = f"[{violation['impact']}] {violation['id']}: {violation['help']}"
            lines.append(f"{page.url} {rule} ({targets})")
    return lines


def sign_in(page, user, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
