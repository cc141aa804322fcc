"""Which language a page, an email or an API error is written in.

The order, first match wins:

1. the signed-in person's own setting (``User.language``; blank means "automatic");
2. the choice made with the language switcher (Django's language cookie);
3. on a brand's pages (not the API), for a browser that names its languages: the browser's
   preferred language if the brand serves it, otherwise the site default if the brand serves
   that, otherwise the brand's first language the site is translated into;
4. the browser (``Accept-Language``);
5. ``settings.LANGUAGE_CODE``.

Emails are written in the recipient's language (``language_for``), whoever triggered them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

T = TypeVar("T")

SUPPORTED = {code for code, _name in settings.LANGUAGES}
BRAND_LANGUAGES_CACHE_SECONDS = 60


def supported(code: str | None) -> str | None:
    """The site language for ``code`` ("de-AT" -> "de"), or None if the site has none."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def iterate_in(language: str, items: Iterable[T]) -> Iterator[T]:
    """``items``, each one made in ``language``: for a streamed response, whose body is made
    after ``LanguageMiddleware`` has restored the thread's language (and, under ASGI, maybe
    in another thread). The language is active only while an item is made."""
    iterator = iter(items)
    while True:
        with translation.override(language):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def browser_languages(request: HttpRequest) -> list[str]:
    """The site languages the browser accepts, best first (may be empty)."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    found: list[str] = []
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        language = supported(code)
        if language and language not in found:
            found.append(language)
    return found


def user_language(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return supported(getattr(user, "language", "") or None)


def brand_languages(slug: str) -> list[str]:
    """The languages a brand serves that the site is translated into, in the brand's order."""
    key = f"gigcx:brand-languages:{slug}"
    languages = cache.get(key)
    if languages is None:
        from marketplace.models import Brand

        row = Brand.objects.filter(slug=slug).values_list("languages", flat=True).first()
        languages = [code for code in (supported(c) for c in (row or [])) if code]
        cache.set(key, languages, BRAND_LANGUAGES_CACHE_SECONDS)
    return list(languages)


def language_for(user: Any = None, brand: Any = None) -> str:
    """The language to write to ``user`` in (an email, a notification): her setting, then the
    brand's (the site default if the brand serves it, as on its pages, else its first language
    the site is translated into), then the site default."""
    chosen = user_language(user)
    if chosen:
        return chosen
    if brand is not None:
        served = [code for code in map(supported, getattr(brand, "languages", None) or []) if code]
        if served and settings.LANGUAGE_CODE not in served:
            return served[0]
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Activate the language of the request (see the module docstring) for its whole life.

    It sits after the authentication middleware. ``request.LANGUAGE_CODE`` holds the choice,
    and the response says it (``Content-Language``; ``Vary: Accept-Language, Cookie``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        explicit = user_language(getattr(request, "user", None)) or supported(
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        )
        # The footer's switcher shows "Automatic" as chosen while this is False.
        request.language_chosen = bool(explicit)  # type: ignore[attr-defined]
        language = explicit or next(iter(browser_languages(request)), settings.LANGUAGE_CODE)
        previous = translation.get_language()
        self._activate(request, language)
        try:
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        finally:
            # The thread (a test, the next request) starts from where it was.
            translation.activate(previous)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        slug = view_kwargs.get("slug")
        if not slug or getattr(request, "language_chosen", True):
            return None
        if request.path.startswith("/api/") or not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            return None
        served = brand_languages(str(slug))
        if not served:
            return None
        fallback = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in served else served[0]
        wanted = next((code for code in browser_languages(request) if code in served), fallback)
        self._activate(request, wanted)
        return None

    @staticmethod
    def _activate(request: HttpRequest, language: str) -> None:
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
