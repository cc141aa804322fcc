"""Every API endpoint and method, called by each kind of caller against brand A's (Acme's)
rows: only the allowed calls succeed, and nothing of Acme leaks to the others (issue 11).

The endpoints come from the URL resolver, so a new route fails here until its row of
:data:`MATRIX` says who may call it. Each call runs in a transaction that is rolled back, so
every caller meets the same world.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api_world import (
    ROLES,
    World,
    acme_world,
    api_patterns,
    callback_time,
    database_fingerprint,
    handler_methods,
    role_headers,
    rolled_back,
    row_counts,
    url_kwargs,
)
from tests.test_schema_contract import example, openapi

pytestmark = pytest.mark.django_db

# fmt: off
# Who may call what, against Acme's rows. Columns: anonymous, customer (Carol, who asked the
# question), expert (Ada, who answers it), staff of Acme (Sam, owner), staff of Northwind (Nora,
# owner), Acme's API key. A cell is the status the call answers:
#   2xx   allowed, and done;  4xx other than 401/403/404: allowed, refused on its merits
#   401   not signed in;  403 signed in, may not;  404 not there for this caller, exactly as
#   for a brand or row that does not exist.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    # (route name, method):                   anon cust  expt  stfA  stfB  key
    ("root", "get"):                           (200, 200, 200, 200, 200, 200),
    ("expert-profile", "get"):                 (401, 404, 200, 404, 404, 403),
    ("expert-profile", "patch"):               (401, 200, 200, 200, 200, 403),
    ("invitation-accept", "post"):             (401, 404, 404, 404, 404, 403),
    ("brand-create", "post"):                  (401, 201, 201, 201, 201, 403),
    ("brand-detail", "get"):                   (200, 200, 200, 200, 200, 200),
    ("brand-detail", "patch"):                 (401, 404, 404, 200, 404, 200),
    ("categories", "get"):                     (200, 200, 200, 200, 200, 200),
    ("categories", "post"):                    (401, 404, 404, 201, 404, 201),
    ("category-detail", "get"):                (200, 200, 200, 200, 200, 200),
    ("category-detail", "patch"):              (401, 404, 404, 200, 404, 200),
    ("products", "get"):                       (200, 200, 200, 200, 200, 200),
    ("products", "post"):                      (401, 404, 404, 201, 404, 201),
    ("product-import", "post"):                (401, 404, 404, 201, 404, 201),
    ("product-detail", "get"):                 (200, 200, 200, 200, 200, 200),
    ("product-detail", "patch"):               (401, 404, 404, 200, 404, 200),
    ("product-detail", "delete"):              (401, 404, 404, 200, 404, 200),
    ("members", "get"):                        (401, 404, 404, 200, 404, 200),
    ("experts", "get"):                        (401, 404, 404, 200, 404, 200),
    ("expert-detail", "get"):                  (401, 404, 404, 200, 404, 200),
    ("expert-detail", "patch"):                (401, 404, 404, 200, 404, 200),
    ("expert-suspend", "post"):                (401, 404, 404, 200, 404, 200),
    ("expert-reinstate", "post"):              (401, 404, 404, 409, 404, 409),
    ("expert-skill-verification", "post"):     (401, 404, 404, 200, 404, 200),
    ("expert-skill-verification", "delete"):   (401, 404, 404, 200, 404, 200),
    ("invitations", "get"):                    (401, 404, 404, 200, 404, 200),
    ("invitations", "post"):                   (401, 404, 404, 201, 404, 201),
    ("invitation-import", "post"):             (401, 404, 404, 201, 404, 201),
    ("invitation-resend", "post"):             (401, 404, 404, 200, 404, 200),
    ("invitation-revoke", "post"):             (401, 404, 404, 200, 404, 200),
    ("applications", "get"):                   (401, 200, 200, 200, 200, 200),
    ("applications", "post"):                  (401, 201, 409, 409, 201, 403),
    ("application-detail", "get"):             (401, 404, 404, 200, 404, 200),
    ("application-approve", "post"):           (401, 404, 404, 200, 404, 200),
    ("application-reject", "post"):            (401, 404, 404, 200, 404, 200),
    ("quizzes", "get"):                        (401, 200, 200, 200, 200, 200),
    ("quizzes", "post"):                       (401, 404, 404, 201, 404, 201),
    ("quiz-detail", "get"):                    (401, 404, 200, 200, 404, 200),
    ("quiz-detail", "patch"):                  (401, 404, 404, 200, 404, 200),
    ("quiz-attempts", "get"):                  (401, 404, 200, 200, 404, 200),
    ("quiz-attempts", "post"):                 (401, 404, 201, 404, 404, 403),
    ("api-keys", "get"):                       (401, 404, 404, 200, 404, 403),
    ("api-keys", "post"):                      (401, 404, 404, 201, 404, 403),
    ("api-key-revoke", "delete"):              (401, 404, 404, 200, 404, 403),
    ("questions", "get"):                      (401, 404, 404, 200, 404, 200),
    ("questions", "post"):                     (201, 201, 201, 201, 201, 403),
    ("knowledge", "get"):                      (200, 200, 200, 200, 200, 200),
    ("knowledge", "post"):                     (401, 404, 404, 201, 404, 201),
    ("knowledge-gaps", "get"):                 (401, 404, 404, 200, 404, 200),
    ("knowledge-detail", "get"):               (401, 404, 404, 200, 404, 200),
    ("knowledge-detail", "patch"):             (401, 404, 404, 200, 404, 200),
    ("knowledge-publish", "post"):             (401, 404, 404, 200, 404, 200),
    ("knowledge-unpublish", "post"):           (401, 404, 404, 200, 404, 200),
    ("knowledge-archive", "post"):             (401, 404, 404, 200, 404, 200),
    ("knowledge-restore", "post"):             (401, 404, 404, 200, 404, 200),
    ("knowledge-calibration", "get"):          (401, 404, 404, 200, 404, 200),
    ("knowledge-calibration", "patch"):        (401, 404, 404, 200, 404, 200),
    ("routing-settings", "get"):               (401, 404, 404, 200, 404, 200),
    ("routing-settings", "patch"):             (401, 404, 404, 200, 404, 200),
    ("question-detail", "get"):                (401, 200, 200, 200, 404, 200),
    ("question-messages", "get"):              (401, 200, 200, 200, 404, 200),
    ("question-messages", "post"):             (401, 201, 201, 201, 404, 201),
    ("question-copilot", "get"):               (401, 403, 200, 403, 404, 403),
    ("question-human", "post"):                (401, 200, 404, 404, 404, 404),
    ("question-feedback", "post"):             (401, 404, 404, 404, 404, 404),
    ("question-knowledge-draft", "post"):      (401, 403, 403, 409, 404, 409),
    ("question-resolve", "post"):              (401, 200, 200, 200, 404, 200),
    ("question-escalate", "post"):             (401, 404, 200, 404, 404, 403),
    ("question-release", "post"):              (401, 404, 200, 404, 404, 403),
    ("expert-presence", "get"):                (401, 403, 200, 403, 403, 403),
    ("expert-presence", "post"):               (401, 403, 200, 403, 403, 403),
    ("expert-heartbeat", "post"):              (401, 403, 200, 403, 403, 403),
    ("expert-offers", "get"):                  (401, 403, 200, 403, 403, 403),
    ("expert-assignments", "get"):             (401, 403, 200, 403, 403, 403),
    ("offer-accept", "post"):                  (401, 404, 200, 404, 404, 403),
    ("offer-decline", "post"):                 (401, 404, 200, 404, 404, 403),
    ("metrics", "get"):                        (401, 404, 404, 200, 404, 200),
    ("brand-customer", "get"):                 (401, 404, 404, 200, 404, 200),
    ("reviews", "get"):                        (401, 404, 404, 200, 404, 200),
    ("review-detail", "get"):                  (401, 404, 404, 200, 404, 200),
    ("review-detail", "post"):                 (401, 404, 404, 200, 404, 200),
    ("quality-settings", "get"):               (401, 404, 404, 200, 404, 200),
    ("quality-settings", "patch"):             (401, 404, 404, 200, 404, 200),
    ("expert-reviews", "get"):                 (401, 403, 200, 403, 403, 403),
    ("expert-standing", "get"):                (401, 403, 200, 403, 403, 403),
    ("expert-history", "get"):                 (401, 403, 200, 403, 403, 403),
    ("expert-quality", "get"):                 (401, 404, 404, 200, 404, 200),
    ("expert-probation", "post"):              (401, 404, 404, 409, 404, 409),
    ("question-rating", "get"):                (401, 404, 404, 404, 404, 404),
    ("question-rating", "post"):               (401, 409, 403, 403, 404, 403),
    ("question-reopen", "post"):               (401, 409, 403, 403, 404, 403),
    ("expert-earnings", "get"):                (401, 403, 200, 403, 403, 403),
    ("expert-payouts", "get"):                 (401, 403, 200, 403, 403, 403),
    ("expert-payouts", "post"):                (401, 403, 400, 403, 403, 403),
    ("expert-payout-destination", "get"):      (401, 403, 200, 403, 403, 403),
    ("expert-payout-destination", "put"):      (401, 403, 200, 403, 403, 403),
    ("rate-card", "get"):                      (401, 404, 404, 200, 404, 200),
    ("rate-card", "put"):                      (401, 404, 404, 201, 404, 201),
    ("payout-batches", "get"):                 (401, 404, 404, 200, 404, 200),
    ("payout-batches", "post"):                (401, 404, 404, 201, 404, 201),
    ("payout-batch-paid", "post"):             (401, 404, 404, 200, 404, 200),
    ("earning-hold", "post"):                  (401, 404, 404, 409, 404, 409),
    ("earning-release", "post"):               (401, 404, 404, 409, 404, 409),
    # (a paid earning is clawed back: what the balance lacks becomes the expert's debt)
    ("earning-reverse", "post"):               (401, 404, 404, 200, 404, 200),
    ("me", "get"):                             (401, 200, 200, 200, 200, 200),
    ("me", "delete"):                          (401, 200, 409, 409, 409, 403),
    ("me-export", "get"):                      (401, 200, 200, 200, 200, 403),
    # the audit log: a brand's for its staff and key; the whole log for site admins only
    ("brand-audit", "get"):                    (401, 404, 404, 200, 404, 200),
    ("audit", "get"):                          (401, 403, 403, 403, 403, 403),
    # webhooks: the brand's owners and managers, and its (manager) key
    ("webhooks", "get"):                       (401, 404, 404, 200, 404, 200),
    ("webhooks", "post"):                      (401, 404, 404, 400, 404, 400),
    ("webhook-detail", "get"):                 (401, 404, 404, 200, 404, 200),
    ("webhook-detail", "patch"):               (401, 404, 404, 200, 404, 200),
    ("webhook-detail", "delete"):              (401, 404, 404, 204, 404, 204),
    ("webhook-rotate-secret", "post"):         (401, 404, 404, 200, 404, 200),
    ("webhook-deliveries", "get"):             (401, 404, 404, 200, 404, 200),
    ("webhook-delivery-replay", "post"):       (401, 404, 404, 200, 404, 200),
    # voice: people only; the call's customer and expert act on it, Acme's staff watch it
    ("question-call", "get"):                  (401, 200, 200, 200, 404, 403),
    ("question-call", "post"):                 (401, 201, 404, 404, 404, 403),
    ("callback-book", "post"):                 (401, 201, 404, 404, 404, 403),
    ("call-accept", "post"):                   (401, 404, 200, 404, 404, 403),
    ("call-decline", "post"):                  (401, 404, 200, 404, 404, 403),
    ("call-connected", "post"):                (401, 200, 404, 404, 404, 403),
    ("call-hang-up", "post"):                  (401, 200, 404, 404, 404, 403),
    ("call-rate", "post"):                     (401, 409, 404, 404, 404, 403),
    ("callback-take", "post"):                 (401, 404, 200, 404, 404, 403),
    ("callback-call", "post"):                 (401, 404, 404, 404, 404, 403),
    ("expert-calls", "get"):                   (401, 403, 200, 403, 403, 403),
    ("expert-callbacks", "get"):               (401, 403, 200, 403, 403, 403),
}
# fmt: on

DENIED = {401, 403, 404}
# 404s that speak of a row the caller may see (so they leak nothing): Carol's open question has
# no rating yet, and no automated answer to give feedback on.
ABOUT_A_VISIBLE_ROW = {
    ("question-rating", "get", role) for role in ("customer", "expert", "staff_a", "api_key")
} | {("question-feedback", "post", "customer")}
NOWHERE = 999_999


def operations() -> list[tuple[str, str, Any]]:
    return [
        (pattern.name, method, pattern)
        for pattern in api_patterns()
        for method in handler_methods(pattern.callback.view_class)
    ]


def bodies(cast: Any, world: World) -> dict[tuple[str, str], Any]:
    """A valid body for each write (the others get the schema's first guess, whose ids are
    1s): the calls that the matrix allows then succeed, unless the state of Acme's rows
    refuses them. Ids come from the world, so PostgreSQL's sequences do not matter."""
    from marketplace import demo
    from tests.marketplace.test_quizzes import answers

    shoe = cast.trail_shoe.pk
    return {
        ("expert-profile", "patch"): {"display_name": "Ada L.", "capacity": 2},
        ("brand-create", "post"): {"name": "Zephyr Gear", "slug": "zephyr", "languages": ["en"]},
        ("brand-detail", "patch"): {"tagline": "Gear for the long trail."},
        ("categories", "post"): {"name": "Socks"},
        ("category-detail", "patch"): {"name": "Shoes"},
        ("products", "post"): {"name": "Trail Sock", "category_id": cast.trail_shoe.category_id},
        ("product-detail", "patch"): {"name": "Trailblazer 3"},
        ("questions", "post"): {
            "body": "Do you ship to Norway?",
            "product_id": shoe,
            "contact_email": "ola@example.com",
        },
        ("product-import", "post"): {"csv": "name,sku\nSummit Boot,SB1\n", "confirm": True},
        ("invitation-import", "post"): {
            "csv": "email,products\nlee@example.com,TB2\n",
            "confirm": True,
        },
        ("quizzes", "post"): {
            "title": "Tent basics",
            "product_id": shoe,
            "questions": [
                {"text": "Poles?", "choices": [{"text": "2", "is_correct": True}, {"text": "3"}]}
            ],
        },
        ("quiz-attempts", "post"): {"answers": answers(world.rows["quiz"], correct=True)},
        ("knowledge-calibration", "patch"): {"target_precision": 0.9},
        ("routing-settings", "patch"): {"offer_timeout_seconds": 60},
        ("question-messages", "post"): {"body": "Thanks, I will try the wide fit."},
        ("expert-payouts", "post"): {"brand": "acme"},
        ("expert-payout-destination", "put"): {
            "provider": "stripe",
            "stripe_account": "acct_1AdaLovelace",
        },
        ("rate-card", "put"): {
            "currency": "EUR",
            "default_amount": 500,
            "platform_fee_bps": 1500,
            "lines": [{"product_id": shoe, "amount": 700}],
        },
        ("me", "delete"): {"confirm": demo.DEMO_PASSWORD},
        # (a new endpoint's URL is resolved now: the plausible one is refused, a 400)
        ("webhook-detail", "patch"): {
            "description": "CRM sync",
            "events": ["question.resolved", "question.rated"],
        },
        ("callback-book", "post"): {"starts_at": callback_time().isoformat()},
        ("call-rate", "post"): {"rating": 5},
    }


def plausible_body(schema: dict[str, Any], path: str, method: str, cast: Any) -> Any:
    operation = schema["paths"].get(path, {}).get(method, {})
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return {}
    return example(content["application/json"]["schema"], schema["components"]["schemas"], "", cast)


def schema_path(pattern: Any) -> str:
    import re

    route = "/api/v1/" + str(pattern.pattern)
    return re.sub(r"<\w+:(\w+)>", r"{\1}", route)


def call(client: APIClient, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    cache.clear()  # rate limits are tested elsewhere; here every call is the first
    send = getattr(client, method)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    if method == "get":
        return send(url, **extra)
    return send(url, body, format="json", **extra)


def test_every_endpoint_answers_each_role_as_the_matrix_says(cast: Any) -> None:
    world = acme_world(cast)
    schema = openapi()
    headers = {role: role_headers(role, cast, world) for role in ROLES}
    valid = bodies(cast, world)
    client = APIClient()
    client.raise_request_exception = False
    fingerprint = database_fingerprint()
    counts = row_counts()
    observed: dict[tuple[str, str], list[int]] = {}
    problems: list[str] = []

    for name, method, pattern in operations():
        url = reverse(f"api:{name}", kwargs=url_kwargs(pattern, world))
        body = valid.get((name, method)) or plausible_body(
            schema, schema_path(pattern), method, cast
        )
        row = []
        for role in ROLES:
            with rolled_back():
                response = call(client, method, url, body, headers[role])
                status = response.status_code
                row.append(status)
                text = response.content.decode(errors="replace")
                where = f"{method.upper()} {name} as {role} ({status})"
                for secret, audience in world.private.items():
                    if secret in text and role not in audience:
                        problems.append(f"{where}: shows {secret!r}")
                if status >= 400:
                    payload = response.json()
                    if set(payload) != {"error"}:
                        problems.append(f"{where}: answers with data {text[:200]}")
                    if method != "get" and (
                        row_counts() != counts or database_fingerprint() != fingerprint
                    ):
                        problems.append(f"{where}: a refused write changed the database")
                if status == 404 and (name, method, role) not in ABOUT_A_VISIBLE_ROW:
                    # the same address with its row missing (or, with no row id, its brand)
                    twin_kwargs = {
                        k: NOWHERE if k != "slug" else v
                        for k, v in url_kwargs(pattern, world).items()
                    }
                    if set(twin_kwargs) == {"slug"}:
                        twin_kwargs["slug"] = "no-such-brand"
                    twin = call(
                        client,
                        method,
                        reverse(f"api:{name}", kwargs=twin_kwargs),
                        body,
                        headers[role],
                    )
                    if twin.status_code != 404 or twin.json() != response.json():
                        problems.append(
                            f"{where}: differs from a missing row: {text[:160]} vs "
                            f"{twin.status_code} {twin.content[:160]!r}"
                        )
                page = response.json() if status == 200 else None
                whole = isinstance(page, dict) and "count" in page and not page.get("next")
                if whole and not page.get("previous") and page["count"] != len(page["results"]):
                    problems.append(f"{where}: counts {page['count']} rows, shows fewer")
        observed[(name, method)] = row

    report = (
        "\n".join(problems)
        + "\n\n"
        + "\n".join(
            f"    ({name!r}, {method!r}):{' ' * max(1, 34 - len(name) - len(method))}"
            f"({', '.join(str(s) for s in row)}),"
            for (name, method), row in observed.items()
        )
    )
    Path("var").mkdir(exist_ok=True)
    Path("var/role-matrix.txt").write_text(report)
    # The observed table, in MATRIX's layout: var/role-matrix.txt (for a new route's row).
    assert problems == []
    expected = {key: list(value) for key, value in MATRIX.items()}
    differing = {
        key: {"observed": observed.get(key), "matrix": expected.get(key)}
        for key in observed.keys() | expected.keys()
        if observed.get(key) != expected.get(key)
    }
    assert differing == {}


def test_an_id_beyond_any_database_integer_is_not_found_rather_than_a_server_error(
    cast: Any,
) -> None:
    """A path id no database column can hold (``/questions/10**30``) answers 404, as a
    missing row does, for every route that takes one (never a database error)."""
    world = acme_world(cast)
    headers = role_headers("staff_a", cast, world)
    client = APIClient()
    client.raise_request_exception = False
    checked = 0
    for name, method, pattern in operations():
        kwargs = url_kwargs(pattern, world)
        if set(kwargs) <= {"slug"}:
            continue
        huge = {k: v if k == "slug" else 10**30 for k, v in kwargs.items()}
        with rolled_back():
            response = call(client, method, reverse(f"api:{name}", kwargs=huge), {}, headers)
        # (a write may refuse its empty body first)
        assert response.status_code in (400, 404), (method, name, response.status_code)
        checked += 1
    assert checked >= 50
