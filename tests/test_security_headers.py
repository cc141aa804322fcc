"""The Content-Security-Policy and Permissions-Policy on every page, and templates that keep
within the policy (no inline scripts, event-handler attributes or style attributes).

The browser side (no violation reported while the pages are used) is in tests/e2e: the page
fixture fails a test on any ``securitypolicyviolation``.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# As the accessibility walk (tests/e2e/test_accessibility.py): the site's own HTML pages.
SKIP_PREFIXES = ("/api/", "/admin/", "/_allauth/", "/accounts/logout/", "/static/", "/healthz")
SKIP_SUFFIXES = (".csv", ".json", ".png", ".svg", ".js", ".css")
MAX_PAGES = 60
STRICT = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
# The microphone is for voice calls with an expert, on our own pages only.
PERMISSIONS = {"camera=()", "geolocation=()", "microphone=(self)", "payment=()", "usb=()"}


def policy(response: Any) -> dict[str, set[str]]:
    """The Content-Security-Policy header as {directive: {sources}}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def walk(client: Client, starts: list[str]) -> dict[str, Any]:
    """Every HTML page reachable from ``starts`` by the site's own links: path -> response."""
    seen: set[str] = set()
    pages: dict[str, Any] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        pages[path] = response
        links = _Links()
        links.feed(response.content.decode())
        for href in links.hrefs:
            url = urlsplit(urldefrag(href)[0])
            if url.netloc or url.scheme or not url.path.startswith("/"):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target.startswith(SKIP_PREFIXES) or url.path.endswith(SKIP_SUFFIXES):
                continue
            queue.append(target)
    return pages


@pytest.mark.parametrize(
    ("who", "starts"),
    [
        (None, ["/", "/accounts/login/", "/accounts/signup/", "/brands/acme/", "/privacy/"]),
        ("carol", ["/customer/", "/brands/acme/ask/"]),
        ("ada", ["/expert/", "/expert/console/", "/expert/standing/"]),
        ("maya", ["/brands/acme/manage/"]),
        ("quinn", ["/brands/acme/manage/reviews/"]),
    ],
)
def test_every_page_of_the_walk_sends_the_policies(cast: Any, who: str | None, starts: list[str]):
    # given a visitor or a signed-in member of the cast
    client = Client()
    if who:
        client.force_login(getattr(cast, who))

    # when they follow the site's links
    pages = walk(client, starts)

    # then every HTML page, 404s included, carries the strict policy and the Permissions-Policy
    assert len(pages) >= len(starts)
    for path, response in pages.items():
        found = policy(response)
        for directive, sources in STRICT.items():
            assert found.get(directive) == sources, (path, directive, found.get(directive))
        assert found["connect-src"] == {"'self'", "ws://testserver"}, path
        granted = {p.strip() for p in response.headers["Permissions-Policy"].split(",")}
        assert granted >= PERMISSIONS, (path, granted)
        assert "X-Frame-Options" in response.headers, path


def test_a_page_that_is_not_html_and_an_error_page_carry_the_policy_too(client: Client) -> None:
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert policy(missing)["frame-ancestors"] == {"'none'"}
    assert "camera=()" in missing.headers["Permissions-Policy"]
    assert policy(client.get("/healthz"))["default-src"] == {"'self'"}


def test_the_live_consoles_may_open_their_websocket_over_tls_on_a_tls_site(
    cast: Any, client: Client
) -> None:
    client.force_login(cast.ada)
    response = client.get("/expert/console/", secure=True, headers={"host": "testserver"})
    assert policy(response)["connect-src"] == {"'self'", "wss://testserver"}


def test_the_widget_may_be_framed_by_the_brands_site_and_is_otherwise_as_strict(
    cast: Any, client: Client
) -> None:
    from marketplace.models import Brand

    # given a brand without a website: any site may frame its widget
    open_embed = client.get("/embed/acme/")
    assert open_embed.status_code == 200
    assert policy(open_embed)["frame-ancestors"] == {"*"}
    assert "X-Frame-Options" not in open_embed.headers

    # when the brand gives its website: only that origin (and this site) may
    Brand.objects.filter(pk=cast.acme.pk).update(website="https://shop.acme.example/help")
    restricted = client.get("/embed/acme/")
    found = policy(restricted)
    assert found["frame-ancestors"] == {"'self'", "https://shop.acme.example"}
    # and nothing else about the policy is loosened on the framed page
    for directive in ("default-src", "script-src", "style-src", "object-src", "form-action"):
        assert found[directive] == STRICT[directive], directive

    # then another brand's page, and an unknown widget, are still not framable
    northwind = client.get("/brands/northwind/")
    assert policy(northwind)["frame-ancestors"] == {"'none'"}
    assert northwind.headers["X-Frame-Options"] == "DENY"
    assert client.get("/embed/no-such-brand/").status_code == 404


def test_the_api_docs_load_their_script_from_a_file_not_inline(cast: Any, client: Client) -> None:
    client.force_login(cast.sam)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    boot = client.get("/api/docs/?script=")
    assert boot.status_code == 200
    assert "SwaggerUIBundle" in boot.content.decode()
    assert policy(page)["script-src"] == {"'self'"}


# --- templates ---------------------------------------------------------------------------

# Template comments go; a tag becomes a space and a variable a word, so the HTML parser
# sees the tags and attributes that a template can render.
_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
_DJANGO = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_JS_URL = re.compile(r"^\s*javascript:", re.I)


class _PolicyBreaches(HTMLParser):
    """Collects what the Content-Security-Policy would refuse in one template."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"line {line}: <{tag} {name}=...> (an event-handler attribute)")
            if name == "style":
                self.found.append(f"line {line}: <{tag} style=...> (a style attribute)")
            if name in ("href", "src", "action") and value and _JS_URL.match(value):
                self.found.append(f"line {line}: <{tag} {name}=javascript:...>")
        if tag == "script":
            data_only = names.get("type", "") in ("application/json", "application/ld+json")
            if "src" not in names and "nonce" not in names and not data_only:
                self.found.append(f"line {line}: an inline <script> without a nonce")
        if tag == "style" and "nonce" not in names:
            self.found.append(f"line {line}: a <style> block without a nonce")


def breaches(source: str) -> list[str]:
    parser = _PolicyBreaches()
    text = _COMMENT.sub(" ", source)
    parser.feed(_DJANGO.sub(lambda m: "x" if m.group().startswith("{{") else " ", text))
    return parser.found


def test_no_template_has_an_inline_script_handler_or_style() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    found = {
        str(path.relative_to(TEMPLATES)): hits
        for path in templates
        if (hits := breaches(path.read_text()))
    }
    assert not found, found


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<button onclick="go()">Go</button>',
        '<a href="javascript:go()">Go</a>',
        '<div style="margin:0">x</div>',
        "<style>p { color: red }</style>",
        '<div {% if x %}onmouseover="go()"{% endif %}>x</div>',
    ],
)
def test_the_template_check_catches_what_the_policy_refuses(snippet: str) -> None:
    assert breaches(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'js/live.js' %}\" defer></script>",
        '<script nonce="{{ request.csp_nonce }}">start()</script>',
        '<script type="application/json" id="data">{"a": 1}</script>',
        '<span class="meter w-{% widthratio v 1 20 %}"><span></span></span>',
    ],
)
def test_the_template_check_allows_what_the_policy_allows(snippet: str) -> None:
    assert not breaches(snippet)
