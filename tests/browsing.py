"""Chromium for the browser tests: Debian's, never a downloaded build; fresh contexts at a
viewport, and the checks every page on a screen must pass. tests/conftest.py loads the fixtures
as a plugin (as it loads the live server's from `tests.live_server`); test modules import the
helpers."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.helpers import PASSWORD, ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium's own connections are refused here and slow every page down.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 360, "height": 740}
MODERATOR = "mod@example.org"


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module: Debian's, never a downloaded build."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `apt-get install chromium` (or set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server, app):
    """Open a page in a fresh context (its own cookies) at a viewport; closed after the test.

    Requesting `app` empties the tables after the test, as everywhere in the suite."""
    contexts = []

    def open_page(viewport: dict = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport, base_url=live_server.base_url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def log_in(page: Page, email: str = MODERATOR) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/moderation/$"))


def assert_fits(page: Page, what: str) -> None:
    """No horizontal scrolling: the page is no wider than the viewport."""
    widths = page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            inner: window.innerWidth,
            wide: [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                          + (e.className && typeof e.className === 'string' ? '.' + e.className.trim()
                            .replace(/\\s+/g, '.') : '')
                          + ' right=' + Math.round(e.getBoundingClientRect().right)),
        })"""
    )
    assert widths["scroll"] <= widths["inner"], (
        f"{what} scrolls sideways: scrollWidth {widths['scroll']} > innerWidth {widths['inner']}; "
        f"too wide: {widths['wide']}"
    )
