"""Abuse controls: the client address comes only from trusted proxies, and every form and API
write a stranger can reach is rate limited in the shared cache (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gigcx.accounts import user_create
from gigcx.models import User
from gigcx.throttling import ScopedRateThrottle, WriteRateThrottle, client_ip
from marketplace.demo import DEMO_PASSWORD
from marketplace.models import Application, QuizAttempt
from routing.models import Question
from tests.marketplace.test_quizzes import answers, shoe_quiz
from tests.marketplace.test_quizzes import apply as apply_for_quiz

ASK_API = "/api/v1/brands/acme/questions"


def anonymous_question(n: int) -> dict[str, Any]:
    return {"body": f"Is the Trailblazer 2 waterproof, try {n}?", "contact_email": "x@x.example"}


@pytest.fixture
def ten_questions_a_minute(monkeypatch: Any) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"questions": "10/min"})


def test_a_rotating_x_forwarded_for_does_not_escape_the_question_limit(
    cast: Any, api: Any, held_tasks: list[Any], ten_questions_a_minute: None
) -> None:
    codes = [
        api.post(
            ASK_API,
            anonymous_question(n),
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(14)
    ]

    assert codes == [201] * 10 + [429] * 4
    assert Question.objects.count() == 10


def test_behind_one_trusted_proxy_each_client_has_its_own_budget(
    cast: Any, api: Any, held_tasks: list[Any], ten_questions_a_minute: None, settings: Any
) -> None:
    settings.GIGCX_TRUSTED_PROXIES = 1

    # every request comes from the proxy (REMOTE_ADDR 127.0.0.1); the proxy appends the
    # address it saw; whatever the client wrote before it is spoofable and ignored
    def ask(n: int, client: str) -> int:
        header = f"10.9.9.{n}, {client}"
        return api.post(
            ASK_API, anonymous_question(n), format="json", HTTP_X_FORWARDED_FOR=header
        ).status_code

    first = [ask(n, "198.51.100.7") for n in range(11)]
    second = [ask(n, "198.51.100.8") for n in range(3)]

    assert first == [201] * 10 + [429]
    assert second == [201] * 3


def test_client_ip_trusts_only_the_configured_proxies(rf: Any, settings: Any) -> None:
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2", REMOTE_ADDR="10.0.0.1")
    settings.GIGCX_TRUSTED_PROXIES = 0
    assert client_ip(request) == "10.0.0.1"
    settings.GIGCX_TRUSTED_PROXIES = 1
    assert client_ip(request) == "2.2.2.2"
    settings.GIGCX_TRUSTED_PROXIES = 2
    assert client_ip(request) == "1.1.1.1"
    settings.GIGCX_TRUSTED_PROXIES = 5  # fewer hops than proxies: the leftmost one
    assert client_ip(request) == "1.1.1.1"
    garbage = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.1")
    settings.GIGCX_TRUSTED_PROXIES = 1
    assert client_ip(garbage) == "10.0.0.1"


def test_the_html_ask_form_is_limited_with_a_friendly_page(
    cast: Any, client: Any, held_tasks: list[Any], settings: Any
) -> None:
    settings.GIGCX_FORM_RATE_LIMITS = {**settings.GIGCX_FORM_RATE_LIMITS, "ask": "3/min"}
    url = reverse("routing:ask", kwargs={"slug": "acme"})
    data = {"body": "Do the Trailblazer 2 run narrow?", "preference": "auto"}
    data["contact_email"] = "someone@x.example"

    answers = [
        client.post(url, {**data, "body": f"{data['body']} {n}"}, HTTP_X_FORWARDED_FOR=f"9.9.9.{n}")
        for n in range(4)
    ]

    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert Question.objects.count() == 3
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert "Too many attempts" in refused.content.decode()
    # reading the form is never limited
    assert client.get(url).status_code == 200


def test_the_admin_login_locks_out_per_address_and_per_email(
    cast: Any, client: Any, settings: Any
) -> None:
    User.objects.create_superuser(email="root@gigcx.example", password="a-long-admin-pass")
    settings.GIGCX_FORM_RATE_LIMITS = {**settings.GIGCX_FORM_RATE_LIMITS, "admin_login": "5/15m"}
    login = "/admin/login/"

    wrong = [
        client.post(login, {"username": "root@gigcx.example", "password": f"guess-{n}"})
        for n in range(5)
    ]
    assert [r.status_code for r in wrong] == [200] * 5  # the form again, with its error

    # the right password from the same address, then from another address: both locked out
    right = {"username": "root@gigcx.example", "password": "a-long-admin-pass"}
    locked = client.post(login, right)
    elsewhere = client.post(login, right, REMOTE_ADDR="192.0.2.50")
    assert (locked.status_code, elsewhere.status_code) == (429, 429)
    assert "Retry-After" in locked
    assert "_auth_user_id" not in client.session

    # another account from another address is not affected
    get_user_model().objects.create_superuser(email="ops@gigcx.example", password="another-pass1")
    ok = client.post(
        login,
        {"username": "ops@gigcx.example", "password": "another-pass1"},
        REMOTE_ADDR="192.0.2.51",
    )
    assert ok.status_code == 302


def test_allauth_login_failures_and_password_resets_are_limited(
    cast: Any, client: Any, mailoutbox: list[Any]
) -> None:
    login = reverse("account_login")
    failures = [
        client.post(login, {"login": "carol@example.com", "password": f"nope-{n}"}).status_code
        for n in range(7)
    ]
    assert failures == [200] * 7  # the form again, with an error
    # after 5 failures even the right password is refused for now, from any address
    right = client.post(
        login, {"login": "carol@example.com", "password": DEMO_PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )
    assert right.status_code == 200
    assert "Too many failed login attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session

    reset = reverse("account_reset_password")
    resets = [client.post(reset, {"email": "carol@example.com"}).status_code for _ in range(7)]
    assert resets[:5] == [302] * 5
    assert resets[5:] == [429, 429]
    assert len(mailoutbox) == 5


def test_signups_are_limited_per_address(db: Any, client: Any) -> None:
    signup = reverse("account_signup")
    codes = [
        client.post(
            signup,
            {
                "email": f"new{n}@x.example",
                "password1": "a-Long-pass-123",
                "password2": "a-Long-pass-123",
            },
            HTTP_X_FORWARDED_FOR=f"7.7.7.{n}",
        ).status_code
        for n in range(21)
    ]
    assert codes[:20] == [302] * 20
    assert codes[20] == 429


def test_applying_and_quiz_attempts_are_limited_on_the_api(
    cast: Any, api_as: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        WriteRateThrottle, "THROTTLE_RATES", {"applications": "2/min", "quiz_attempts": "2/min"}
    )
    client = api_as(cast.carol)
    apply = reverse("api:applications", kwargs={"slug": "acme"})
    body = {
        "products": [{"product_id": cast.trail_shoe.pk, "level": 3}],
        "languages": ["en"],
        "motivation": "I hike every weekend.",
        "accept_terms": True,
    }
    codes = [client.post(apply, body, format="json").status_code for _ in range(3)]
    assert codes == [201, 409, 429]
    assert Application.objects.filter(user=cast.carol).count() == 1
    # reads are not counted
    assert client.get(apply).status_code == 200

    quiz = shoe_quiz(cast, cooldown_hours=0)
    dora = user_create(email="dora@example.com", password=DEMO_PASSWORD, verified=True)
    apply_for_quiz(cast, dora)
    url = reverse("api:quiz-attempts", kwargs={"slug": "acme", "quiz_id": quiz.pk})
    client = api_as(dora)
    codes = [
        client.post(url, {"answers": answers(quiz, correct=False)}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    assert QuizAttempt.objects.filter(user=dora).count() == 2


def test_form_limits_hold_in_process_memory_while_the_cache_is_down(
    cast: Any, client: Any, held_tasks: list[Any], settings: Any
) -> None:
    from gigcx import throttling

    throttling._local.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.GIGCX_FORM_RATE_LIMITS = {**settings.GIGCX_FORM_RATE_LIMITS, "ask": "2/min"}
    url = reverse("routing:ask", kwargs={"slug": "acme"})
    data = {"preference": "auto", "contact_email": "down@x.example"}

    codes = [
        client.post(url, {**data, "body": f"Are these waterproof? {n}"}).status_code
        for n in range(3)
    ]

    assert codes == [302, 302, 429]
    assert Question.objects.count() == 2


# --- quotas kept in the database -------------------------------------------------------------


def test_the_brands_hourly_quota_bounds_a_flood_from_addresses_behind_trusted_proxies(
    cast: Any, api: Any, held_tasks: list[Any], settings: Any
) -> None:
    # given: every sender a different real client behind the proxy, each under the per-address
    # limit, and Acme accepting 5 visitors' questions an hour
    settings.GIGCX_TRUSTED_PROXIES = 1
    cast.acme.anonymous_questions_per_hour = 5
    cast.acme.save(update_fields=["anonymous_questions_per_hour"])

    responses = [
        api.post(
            ASK_API, anonymous_question(n), format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        for n in range(7)
    ]

    assert [r.status_code for r in responses] == [201] * 5 + [429] * 2
    refused = responses[-1]
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert "accepts in an hour (5)" in refused.json()["error"]["message"]
    assert refused["Retry-After"] == "300"
    assert Question.objects.filter(brand=cast.acme).count() == 5
    # another brand's visitors are not affected
    northwind = api.post(
        "/api/v1/brands/northwind/questions",
        {"body": "Are the Gravel wheels tubeless?", "contact_email": "y@y.example"},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert northwind.status_code == 201


def test_the_ask_page_says_the_quota_is_used_up(
    cast: Any, client: Any, held_tasks: list[Any]
) -> None:
    cast.acme.questions_per_customer_per_day = 1
    cast.acme.save(update_fields=["questions_per_customer_per_day"])
    client.force_login(cast.carol)
    form = {"body": "Do the Trailblazer 2 run narrow?", "preference": "auto", "tone_analysis": "on"}
    assert client.post("/brands/acme/ask/", form).status_code == 302
    refused = client.post("/brands/acme/ask/", {**form, "body": "And are they waterproof?"})
    assert refused.status_code == 429
    assert "limit of 1 question a day" in refused.content.decode()
    assert Question.objects.filter(asked_by=cast.carol).count() == 1


def test_one_customers_daily_quota(cast: Any, api_as: Any, held_tasks: list[Any]) -> None:
    cast.acme.questions_per_customer_per_day = 2
    cast.acme.save(update_fields=["questions_per_customer_per_day"])
    client = api_as(cast.carol)

    codes = [
        client.post(ASK_API, {"body": f"Question number {n} about the shoe?"}, format="json")
        for n in range(3)
    ]

    assert [r.status_code for r in codes] == [201, 201, 429]
    assert "limit of 2 questions a day" in codes[-1].json()["error"]["message"]
    assert Question.objects.filter(asked_by=cast.carol).count() == 2
    # another customer is not affected
    dave = user_create(email="dave.quota@example.com", password="x-12345678", name="Dave")
    other = api_as(dave).post(ASK_API, {"body": "Do they run narrow?"}, format="json")
    assert other.status_code == 201


def test_quotas_are_set_on_the_details_page_and_in_the_api_within_bounds(
    cast: Any, client: Any, api_as: Any
) -> None:
    client.force_login(cast.maya)
    response = client.post(
        "/brands/acme/manage/details/",
        {
            "name": "Acme Outdoors",
            "languages": ["en"],
            "anonymous_questions_per_hour": 40,
            "questions_per_customer_per_day": 8,
        },
    )
    assert response.status_code == 302
    cast.acme.refresh_from_db()
    assert (cast.acme.anonymous_questions_per_hour, cast.acme.questions_per_customer_per_day) == (
        40,
        8,
    )
    api = api_as(cast.sam)
    bad = api.patch("/api/v1/brands/acme", {"anonymous_questions_per_hour": 0}, format="json")
    assert bad.status_code == 400
    assert "anonymous_questions_per_hour" in bad.json()["error"]["fields"]
    good = api.patch("/api/v1/brands/acme", {"questions_per_customer_per_day": 20}, format="json")
    assert good.json()["questions_per_customer_per_day"] == 20
