"""Sessions from the cache (gigcx/sessions.py): a signed-in page does not read the session
row, and a cache that is down never turns a login, a page or a logout into an error."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace import demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached_sessions(settings: Any) -> None:
    settings.SESSION_ENGINE = "gigcx.sessions"
    caches["default"].clear()


class DownCache:
    """A cache whose server cannot be reached: every call raises as redis-py does."""

    def _down(self, *args: Any, **kwargs: Any) -> Any:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    get = set = delete = has_key = __contains__ = _down
    aget = aset = adelete = ahas_key = _down


class RecordingCache:
    """The real test cache, remembering the timeouts it was given."""

    def __init__(self) -> None:
        self.inner = caches["default"]
        self.timeouts: list[Any] = []

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self.timeouts.append(timeout)
        self.inner.set(key, value, timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __contains__(self, key: str) -> bool:
        return key in self.inner


def log_in(client: Any, email: str = "carol@example.com") -> Any:
    return client.post("/accounts/login/", {"login": email, "password": demo.DEMO_PASSWORD})


def session_reads(client: Any, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    reads = [q for q in captured.captured_queries if "django_session" in q["sql"]]
    return status, len(reads)


def test_a_signed_in_page_reads_the_session_from_the_cache_not_the_database(
    cast: Any, client: Any
) -> None:
    assert log_in(client).status_code == 302

    status, reads = session_reads(client, "/account/data/")

    assert status == 200
    assert reads == 0
    assert Session.objects.count() == 1  # written through: the database still has it


def test_with_the_cache_down_login_pages_and_logout_work_from_the_database(
    cast: Any, client: Any, monkeypatch: Any
) -> None:
    # given: the cache server is unreachable
    monkeypatch.setattr(cached_db, "caches", {"default": DownCache()})

    # when carol logs in, opens a page and logs out
    assert log_in(client).status_code == 302
    assert Session.objects.count() == 1
    status, reads = session_reads(client, "/account/data/")
    assert (status, reads) == (200, 1)  # her session, read from the database instead
    assert client.post("/accounts/logout/").status_code == 302

    # then: she is logged out for real, and her old session row is gone
    assert client.get("/account/data/").status_code == 302
    assert not Session.objects.filter(session_data__contains="_auth_user_id").exists()


def test_a_session_saved_while_the_cache_was_down_is_read_back_once_it_returns(
    cast: Any, client: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(cached_db, "caches", {"default": DownCache()})
    assert log_in(client).status_code == 302
    monkeypatch.undo()  # the cache is back, and empty

    status, reads = session_reads(client, "/account/data/")
    assert (status, reads) == (200, 1)  # a miss: from the database, then cached
    status, reads = session_reads(client, "/account/data/")
    assert (status, reads) == (200, 0)


def test_a_cached_copy_lives_at_most_the_configured_time(
    cast: Any, client: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.GIGCX_SESSION_CACHE_SECONDS = 90
    recording = RecordingCache()
    monkeypatch.setattr(cached_db, "caches", {"default": recording})

    assert log_in(client).status_code == 302
    client.get("/account/data/")

    assert recording.timeouts
    assert max(recording.timeouts) == 90  # not the two weeks the session itself lasts


def test_a_cache_error_that_is_not_an_outage_is_not_hidden(
    cast: Any, client: Any, monkeypatch: Any
) -> None:
    class Broken(DownCache):
        def _down(self, *args: Any, **kwargs: Any) -> Any:
            raise TypeError("a bug, not an outage")

        get = set = delete = has_key = __contains__ = _down

    monkeypatch.setattr(cached_db, "caches", {"default": Broken()})
    with pytest.raises(TypeError):
        log_in(client)
