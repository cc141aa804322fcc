"""Walk the pages of each role in Chromium and keep a screenshot of each."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import Product
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_and_login_pages(page: Any, live_server: Any, cast: Any) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Answers from people who own the product."
    screenshot(page, "home")

    page.click("text=Log in")
    page.wait_for_url("**/accounts/login/")
    screenshot(page, "login")

    # a wrong password is answered on the form, not by a crash
    page.fill("input[name=login]", "ada@example.com")
    page.fill("input[name=password]", "not-the-password")
    page.click("form.stacked button[type=submit]")
    assert page.locator(".form-errors").is_visible()
    screenshot(page, "login-error")


def test_the_three_role_dashboards(page: Any, live_server: Any, cast: Any) -> None:
    log_in(page, live_server.url, "carol@example.com")
    page.goto(live_server.url + "/customer/")
    assert page.locator("text=Acme Outdoors").first.is_visible()
    screenshot(page, "customer-home")

    page.context.clear_cookies()
    log_in(page, live_server.url, "ada@example.com")
    page.goto(live_server.url + "/expert/")
    assert page.locator(".badge.verified").first.is_visible()
    screenshot(page, "expert-console")

    page.context.clear_cookies()
    log_in(page, live_server.url, "sam@acme.example")
    page.goto(live_server.url + "/brands/acme/manage/")
    assert page.locator("text=Trailblazer 2 Trail Shoe").first.is_visible()
    screenshot(page, "brand-dashboard")
    page.click(".tabs >> text=Inbox")
    assert page.locator("h1").inner_text() == "Inbox"
    screenshot(page, "staff-queue")


def test_staff_add_a_product_and_see_errors_beside_the_field(
    page: Any, live_server: Any, cast: Any
) -> None:
    log_in(page, live_server.url, "maya@acme.example")
    page.goto(live_server.url + "/brands/acme/manage/")

    # a duplicate name: the error sits under the name field and nothing is stored
    page.fill("#add-product input[name=name]", "Trailblazer 2 Trail Shoe")
    page.click("#add-product button[type=submit]")
    error = page.locator("#id_name-errors")
    assert "There is already a product called" in error.inner_text()
    screenshot(page, "brand-dashboard-error")
    assert Product.objects.filter(name="Trailblazer 2 Trail Shoe").count() == 1

    # then a good one
    page.fill("#add-product input[name=name]", "Summit GTX Boot")
    page.select_option("#add-product select[name=category]", label="Footwear")
    page.click("#add-product button[type=submit]")
    assert page.locator(".message.success").inner_text() == "Added Summit GTX Boot."
    assert Product.objects.filter(brand=cast.acme, name="Summit GTX Boot").exists()


def test_the_site_works_on_a_phone(phone: Any, live_server: Any, cast: Any) -> None:
    log_in(phone, live_server.url, "sam@acme.example")
    phone.goto(live_server.url + "/brands/acme/manage/")
    nav = phone.locator(".site-nav")
    assert not nav.is_visible()  # folded away behind the menu button
    phone.click(".nav-toggle-label")
    assert nav.is_visible()
    assert phone.locator(".site-nav >> text=Acme Outdoors").is_visible()
    screenshot(phone, "brand-dashboard-phone")
    # nothing overflows sideways
    wide = phone.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
    )
    assert wide == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
