"""axe-core over every page of the demo, signed in as each role, in Debian's Chromium.

The walk starts at each role's home page and follows the site's own links (GET only, same
origin, no API, admin, downloads or sign-out) breadth first. Every page must have no serious
or critical axe violation; the failure names the page, the rule and the first elements hit.
axe-core comes from PyPI (axe-playwright-python ships axe.min.js); nothing is downloaded.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any
from urllib.parse import urldefrag, urlparse

import pytest
from django.core.management import call_command

from tests.conftest import require
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SKIP_PREFIXES = ("/api/", "/admin/", "/_allauth/", "/accounts/logout/", "/static/", "/healthz")
SKIP_SUFFIXES = (".csv", ".json", ".png", ".svg", ".js", ".css")
ROLES = {
    "visitor": (None, ["/", "/accounts/login/", "/accounts/signup/", "/brands/acme/"]),
    "customer": ("carol@example.com", ["/customer/", "/brands/acme/ask/", "/account/data/"]),
    "expert": (
        "ada@example.com",
        ["/expert/", "/expert/console/", "/expert/history/", "/expert/standing/"],
    ),
    "owner": ("sam@acme.example", ["/brands/acme/manage/"]),
    "qa": ("quinn@acme.example", ["/brands/acme/manage/reviews/"]),
}
MAX_PAGES = 40
SERIOUS = {"serious", "critical"}


def axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:  # pragma: no cover - the dev extra installs it
        require(False, "the axe-playwright-python package (pip install -e '.[dev]')")
    from importlib.resources import files

    return files(axe_playwright_python).joinpath("axe.min.js").read_text()


def walk(page: Any, base: str, starts: list[str], source: str) -> dict[str, list[str]]:
    """axe's serious findings on each page reachable from ``starts`` by links (MAX_PAGES)."""
    seen: set[str] = set()
    queue = deque(starts)
    found: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        if (
            response is None
            or response.status >= 400
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        found[path] = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(describe(node) for node in v["nodes"][:3])
            for v in violations(page, source)
        ]
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlparse(urldefrag(href)[0])
            if url.netloc != urlparse(base).netloc:
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target.startswith(SKIP_PREFIXES) or url.path.endswith(SKIP_SUFFIXES):
                continue
            if target not in seen:
                queue.append(target)
    return found


def violations(page: Any, source: str) -> list[dict[str, Any]]:
    page.evaluate(source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


def describe(node: dict[str, Any]) -> str:
    """The element and, for contrast, the colours axe measured."""
    where = json.dumps(node["target"])
    for check in node.get("any", []):
        data = check.get("data") or {}
        if isinstance(data, dict) and "contrastRatio" in data:
            return f"{where} {data['fgColor']} on {data['bgColor']} = {data['contrastRatio']}"
    return where


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_demo_page_has_no_serious_axe_violation(
    page: Any, live_server: Any, role: str
) -> None:
    call_command("seed_demo", verbosity=0)
    source = axe_source()
    email, starts = ROLES[role]
    if email:
        log_in(page, live_server.url, email)
    found = walk(page, live_server.url, starts, source)
    assert len(found) >= len(starts), sorted(found)
    failures = {path: hits for path, hits in found.items() if hits}
    assert not failures, "\n".join(
        f"{path}\n  " + "\n  ".join(hits) for path, hits in failures.items()
    )


def test_the_walk_sees_a_violation_when_there_is_one(page: Any) -> None:
    """The check can fail: an unlabelled input and grey-on-grey text are caught."""
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    ids = {v["id"] for v in violations(page, axe_source())}
    assert {"label", "color-contrast"} <= ids
