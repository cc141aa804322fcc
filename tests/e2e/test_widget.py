"""The embeddable widget on a brand's own page: ask anonymously, get the conversation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from routing.models import Question
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitor_asks_through_the_widget_on_the_brands_site(
    page: Any, live_server: Any, cast: Any, mailoutbox: Any
) -> None:
    # given: a page of the brand's shop, on another origin, with the script tag
    script = f"{live_server.url}/static/js/widget.js"
    shop = f"<h1>Acme shop</h1><script src='{script}' data-brand='acme' async></script>"
    with shop_server(shop) as shop_url:
        page.goto(shop_url)
        ask_through_the_widget(page)

    # then: the conversation opened in the widget and the link was mailed
    question = Question.objects.get()
    assert question.contact_email == "visitor@example.com"
    assert question.status in ("waiting", "offered")
    assert mailoutbox[0].to == ["visitor@example.com"]


@contextmanager
def shop_server(html: str) -> Iterator[str]:
    """The brand's own site: a plain HTTP server on another origin (127.0.0.1, not localhost)."""

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


def ask_through_the_widget(page: Any) -> None:
    # when: the visitor opens the widget and asks
    page.click("text=Ask an expert")
    frame = page.frame_locator("iframe[title='Ask an expert']")
    frame.locator("textarea[name=body]").fill("Short")
    frame.locator("input[name=contact_email]").fill("visitor@example.com")
    frame.locator("button[type=submit]").click()
    # the answer arrives asynchronously (fetch): wait for it beside the field
    frame.locator("[data-errors-for=body] >> text=at least 10 characters").wait_for()
    frame.locator("textarea[name=body]").fill("Is the Ridgeline 2P tent free-standing?")
    frame.locator("input[name=preference][value=expert]").check()
    screenshot(page, "widget-ask")
    frame.locator("button[type=submit]").click()

    frame.locator("#chat-log >> text=free-standing").wait_for()
    screenshot(page, "widget-conversation")
