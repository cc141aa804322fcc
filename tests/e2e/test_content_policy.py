"""The site under its enforced Content-Security-Policy, in Chromium.

Every browser test already fails on a violation (tests/e2e/conftest.py watches each page);
these add what no other test visits (the API docs, the admin's sign-in), the widget framed by
the brand's configured website and refused elsewhere, and a check that the watch can fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import Brand
from tests.e2e.conftest import screenshot, watch_context
from tests.e2e.test_widget import shop_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_watch_sees_what_the_policy_refuses(browser: Any, live_server: Any) -> None:
    # given a page of the site, watched
    found: list[str] = []
    context = watch_context(browser.new_context(), found)
    page = context.new_page()
    page.goto(f"{live_server.url}/privacy/")

    # when something on it tries an inline script, an inline style and a foreign script
    page.evaluate(
        """() => {
          const inline = document.createElement("script");
          inline.textContent = "window.ran = true";
          document.body.append(inline);
          const style = document.createElement("style");
          style.textContent = "body { background: red }";
          document.head.append(style);
          document.body.insertAdjacentHTML("beforeend", '<img src="https://example.com/x.png">');
        }"""
    )
    page.wait_for_timeout(300)

    # then none of it ran, and each refusal was seen
    assert page.evaluate("window.ran") is None
    assert any(v.startswith("script-src-elem refused inline") for v in found), found
    assert any(v.startswith("style-src-elem refused inline") for v in found), found
    assert any("img-src refused https://example.com/x.png" in v for v in found), found
    context.close()


def test_the_api_docs_render_under_the_policy(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    # the operations are listed from the schema, fetched from this site
    page.locator(".opblock-tag").first.wait_for()
    assert page.locator(".opblock-tag").count() > 3
    # an operation opens with its parameters and highlighted example responses
    page.locator(".opblock-summary").first.click()
    page.locator(".opblock-body .responses-wrapper").first.wait_for()
    page.locator(".model-box-control, .tablinks").first.wait_for()
    screenshot(page, "api-docs")


def test_the_admin_sign_in_page_works_under_the_policy(page: Any, live_server: Any) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("input[name=username]").wait_for()
    assert page.locator("#header").is_visible()


def test_the_widget_opens_on_the_brands_own_site_and_nowhere_else(
    browser: Any, watch_csp: Any, live_server: Any, cast: Any
) -> None:
    script = f"{live_server.url}/static/js/widget.js"
    shop = f"<h1>Acme shop</h1><script src='{script}' data-brand='acme' async></script>"
    with shop_server(shop) as shop_url:
        # given the brand names the shop as its website: the widget opens there
        Brand.objects.filter(pk=cast.acme.pk).update(website=shop_url + "help/")
        page = watch_csp(browser.new_context()).new_page()
        page.goto(shop_url)
        page.click("text=Ask an expert")
        frame = page.frame_locator("iframe[title='Ask an expert']")
        frame.locator("textarea[name=body]").wait_for()
        page.context.close()

        # when the brand's website is elsewhere, a copy of the script on this shop
        Brand.objects.filter(pk=cast.acme.pk).update(website="https://shop.acme.example")
        found: list[str] = []
        context = watch_context(browser.new_context(), found)
        page = context.new_page()
        page.goto(shop_url)
        page.click("text=Ask an expert")
        page.wait_for_timeout(1_000)

        # then the browser refuses to show the frame
        assert page.frame_locator("iframe[title='Ask an expert']").locator("textarea").count() == 0
        assert any("frame-ancestors" in v for v in found), found
        context.close()
