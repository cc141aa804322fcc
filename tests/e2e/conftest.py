"""Browser tests: Debian's chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gigcx.mfa import totp_code
from marketplace import demo
from tests.conftest import require

CHROMIUM = os.environ.get("GIGCX_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Playwright's sync API runs an event loop in this thread; the ORM calls our fixtures make
# between browser steps are ordinary blocking calls and are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(Path(CHROMIUM).exists() or bool(shutil.which("chromium")), f"Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        require(False, "the playwright Python package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


# Every frame of every page reports what the Content-Security-Policy refused.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__gigcxCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` on ${location.pathname}${location.search}`
    + (event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : "")
    + (event.sample ? `: ${event.sample}` : "")
  );
});
"""


def watch_context(context: Any, found: list[str]) -> Any:
    """Collect in ``found`` what the Content-Security-Policy refuses on any page or frame of
    ``context`` (the ``securitypolicyviolation`` event and the browser's console error), and
    every script error a page leaves uncaught (a script that does not even parse, say)."""
    context.expose_binding("__gigcxCspViolation", lambda _source, text: found.append(text))
    context.on(
        "page",
        lambda page: page.on(
            "pageerror", lambda error: found.append(f"script error on {page.url}: {error}")
        ),
    )
    context.add_init_script(CSP_LISTENER)
    context.on(
        "console",
        lambda message: (
            found.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return context


@pytest.fixture
def watch_csp() -> Iterator[Any]:
    """``watch_csp(context)``: the test fails if the Content-Security-Policy refuses anything
    on a page of ``context``. The page and phone fixtures watch theirs; a test that opens its
    own context passes it through this."""
    found: list[str] = []
    yield lambda context: watch_context(context, found)
    assert not found, "Content-Security-Policy violations or script errors:\n" + "\n".join(
        dict.fromkeys(found)
    )


@pytest.fixture
def page(browser: Any, watch_csp: Any) -> Iterator[Any]:
    context = watch_csp(browser.new_context(viewport={"width": 1280, "height": 860}))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any, watch_csp: Any) -> Iterator[Any]:
    context = watch_csp(browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(params=[(1280, 860, ""), (390, 844, "-phone")], ids=["desktop", "phone"])
def german(request: Any, browser: Any, watch_csp: Any) -> Iterator[tuple[Any, str]]:
    """(page, screenshot suffix) of a German browser (de-DE), on a desktop and on a phone."""
    width, height, suffix = request.param
    context = watch_csp(
        browser.new_context(
            viewport={"width": width, "height": height}, locale="de-DE", is_mobile=width < 500
        )
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, suffix
    context.close()


def no_sideways_scroll(page: Any) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # From the top, so the sticky header is drawn where it belongs in a full-page capture.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(
    page: Any,
    base: str,
    email: str,
    password: str = "gigcx-demo-2026",
    totp_secret: str = demo.DEMO_TOTP_SECRET,
) -> None:
    """Sign in through the real pages; when asked for a second factor, type the code the
    person's authenticator app shows (the cast's owners hold ``totp_secret``)."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    for _attempt in range(2):
        if "/accounts/2fa/authenticate/" not in page.url:
            return
        page.fill("input[name=code]", totp_code(totp_secret))
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()
        if "/accounts/2fa/authenticate/" in page.url:
            # A code is accepted once: a second sign-in in the same 30 s needs the next one.
            time.sleep(30 - time.time() % 30 + 0.5)
    assert "/accounts/2fa/authenticate/" not in page.url, "the second factor was refused"
