"""Which language a page is written in: the person's setting, the switcher, the brand, the
browser (gigcx.i18n), and money in the active language's format."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from payments.models import format_money

pytestmark = pytest.mark.django_db


def lang_of(response: Any) -> str:
    return response.headers["Content-Language"]


def test_the_browser_chooses_when_nobody_else_has(client: Any) -> None:
    german = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5")
    english = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="fr-FR,en;q=0.5")
    unknown = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="ja")

    assert lang_of(german) == "de"
    assert '<html lang="de">' in german.content.decode()
    assert "Sprache" in german.content.decode()
    assert lang_of(english) == "en"
    assert lang_of(unknown) == "en"
    assert "Accept-Language" in german.headers["Vary"]


def test_the_switcher_wins_over_the_browser_and_refuses_what_it_does_not_offer(
    client: Any,
) -> None:
    response = client.post("/language/", {"language": "de", "next": "/privacy/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/privacy/"
    assert lang_of(client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")) == "de"

    refused = client.post("/language/", {"language": "xx"})
    assert refused.status_code == 400
    assert "Wählen Sie eine der angebotenen Sprachen." in refused.content.decode()  # still German

    # "auto" forgets the choice: the browser decides again
    client.post("/language/", {"language": "auto"})
    assert lang_of(client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_the_switcher_never_redirects_off_the_site(client: Any) -> None:
    response = client.post("/language/", {"language": "de", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_switcher_keeps_the_query_string_on_this_site_only(client: Any) -> None:
    def back(**data: str) -> str:
        headers = {"HTTP_REFERER": data.pop("referer")} if "referer" in data else {}
        response = client.post("/language/", {"language": "de", **data}, **headers)
        assert response.status_code == 302
        return str(response.headers["Location"])

    assert back(next="/brands/acme/manage/queue/?tab=escalated&mood=upset") == (
        "/brands/acme/manage/queue/?tab=escalated&mood=upset"
    )
    # a Referer is absolute: this site's is kept as a relative URL
    assert back(referer="http://testserver/privacy/?page=2") == "/privacy/?page=2"
    for elsewhere in (
        "//evil.example/?x=1",
        "/\\evil.example/",
        "http://evil.example/privacy/?page=2",
        "javascript:alert(1)",
        "privacy/",
    ):
        assert back(next=elsewhere) == "/", elsewhere
    assert back(referer="https://evil.example/?a=1") == "/"


def test_the_footer_switcher_offers_automatic_and_comes_back_with_the_query(
    client: Any,
) -> None:
    html = client.get("/privacy/?from=footer", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<input type="hidden" name="next" value="/privacy/?from=footer">' in html
    assert re.search(r'<option value="auto"\s+selected>Automatisch</option>', html)  # no choice
    assert not re.search(r'value="de" lang="de"\s+selected', html)

    client.post("/language/", {"language": "de", "next": "/privacy/"})
    html = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'<option value="auto"\s*>Automatisch</option>', html)
    assert re.search(r'value="de" lang="de"\s+selected', html)


def test_a_signed_in_persons_choice_is_kept_on_her_account(client: Any, cast: Any) -> None:
    client.force_login(cast.carol)

    client.post("/language/", {"language": "de"})
    cast.carol.refresh_from_db()
    assert cast.carol.language == "de"

    # on another device (no cookie) her setting still wins over the browser
    client.cookies.clear()
    client.force_login(cast.carol)
    assert lang_of(client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")) == "de"


def test_a_brand_page_speaks_the_brands_language_unless_the_browser_shares_one(
    client: Any, cast: Any
) -> None:
    cast.northwind.languages = ["de"]
    cast.northwind.save(update_fields=["languages"])
    url = f"/brands/{cast.northwind.slug}/"

    assert lang_of(client.get(url, HTTP_ACCEPT_LANGUAGE="en")) == "de"
    assert lang_of(client.get(url, HTTP_ACCEPT_LANGUAGE="fr")) == "de"
    # a client that names no language (a script, curl) gets the site default
    assert lang_of(client.get(url)) == "en"
    # Acme serves English and German: the browser picks between them
    assert lang_of(client.get(f"/brands/{cast.acme.slug}/", HTTP_ACCEPT_LANGUAGE="en")) == "en"
    assert lang_of(client.get(f"/brands/{cast.acme.slug}/", HTTP_ACCEPT_LANGUAGE="de")) == "de"
    assert lang_of(client.get(f"/brands/{cast.acme.slug}/", HTTP_ACCEPT_LANGUAGE="fr")) == "en"
    # an explicit choice wins over the brand
    client.post("/language/", {"language": "en"})
    assert lang_of(client.get(url, HTTP_ACCEPT_LANGUAGE="de")) == "en"


def test_the_api_follows_accept_language(api: Any, cast: Any) -> None:
    response = api.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code in (401, 403)
    assert lang_of(response) == "de"


def test_the_api_answers_a_session_token_caller_in_her_saved_language(api: Any, cast: Any) -> None:
    from tests.api_world import session_token

    cast.carol.language = "de"
    cast.carol.save(update_fields=["language"])
    token = session_token(cast.carol)
    before = translation.get_language()

    missing = api.get(
        "/api/v1/questions/999999", HTTP_X_SESSION_TOKEN=token, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "Diese Frage gibt es nicht."
    assert lang_of(missing) == "de"
    assert translation.get_language() == before  # the thread is left as it was
    # without a saved language, the browser still decides
    cast.carol.language = ""
    cast.carol.save(update_fields=["language"])
    english = api.get(
        "/api/v1/questions/999999", HTTP_X_SESSION_TOKEN=token, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["error"]["message"] == "No such question."
    assert lang_of(english) == "en"
    # and an anonymous caller is answered in her browser's language
    anonymous = api.get("/api/v1/questions/999999", HTTP_ACCEPT_LANGUAGE="de")
    assert lang_of(anonymous) == "de"


def test_a_request_leaves_the_thread_in_the_language_it_found(client: Any) -> None:
    before = translation.get_language()
    client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="de")

    assert translation.get_language() == before


def test_money_is_written_in_the_active_languages_format() -> None:
    with translation.override("en"):
        assert format_money(123456, "EUR") == "1,234.56 EUR"
        assert format_money(-5, "USD") == "-0.05 USD"
    with translation.override("de"):
        assert format_money(123456, "EUR") == "1.234,56 EUR"
        assert format_money(100000, "JPY") == "100.000 JPY"
