"""The OpenAPI schema tells the truth: every list answers in the shape the schema declares
(a page or a bare list, items included), and no endpoint answers 500 to any caller, an API
key included (issue 11)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from marketplace import services as marketplace
from marketplace.models import Application, QuizAttempt
from tests.marketplace.test_quizzes import shoe_quiz

pytestmark = pytest.mark.django_db


def openapi() -> dict[str, Any]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema))


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable`` to JSON Schema's ``null`` type, recursively."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@pytest.fixture
def world(cast: Any, ask: Any) -> dict[str, Any]:
    from tests.api_world import acme_webhook

    question = ask()
    quiz = shoe_quiz(cast)
    endpoint, _, _ = acme_webhook(cast)
    return {
        "slug": "acme",
        "expert_id": cast.ada_expert.pk,
        "quiz_id": quiz.pk,
        "question_id": question.pk,
        "endpoint_id": endpoint.pk,
    }


def site_admin() -> Any:
    from gigcx.accounts import user_totp_enrol
    from gigcx.models import User
    from marketplace import demo

    root = User.objects.filter(email="root@gigcx.example").first()
    if root is None:
        root = User.objects.create_superuser(email="root@gigcx.example", password="a-long-pass-42")
        user_totp_enrol(user=root, secret=demo.DEMO_TOTP_SECRET)
    return root


def caller_for(cast: Any, path: str) -> Any:
    if path == "/api/v1/audit":
        return site_admin()  # the whole log: site admins only
    if path.startswith("/api/v1/expert/"):
        return cast.ada
    if path.startswith("/api/v1/questions/"):
        return cast.carol
    return cast.sam


def test_every_list_answers_in_the_shape_the_schema_declares(
    cast: Any, world: dict[str, Any], api_as: Any
) -> None:
    schema = openapi()
    components = as_json_schema(schema["components"])
    checked = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get or "200" not in get["responses"]:
            continue
        declared = get["responses"]["200"].get("content", {}).get("application/json", {})
        body_schema = declared.get("schema", {})
        ref = body_schema.get("$ref", "")
        if body_schema.get("type") != "array" and "/Paginated" not in ref:
            continue
        names = re.findall(r"{(\w+)}", path)
        if any(name not in world for name in names):
            pytest.fail(f"no value for a parameter of {path}")
        url = path.format(**{name: world[name] for name in names})
        response = api_as(caller_for(cast, path)).get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body = response.json()
        validator = jsonschema.Draft202012Validator(
            {**as_json_schema(body_schema), "components": components}
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (url, errors[:5])
        checked.append((path, "page" if ref else "list"))
    pages = [path for path, kind in checked if kind == "page"]
    assert len(pages) >= 17, pages
    assert len(checked) >= 21, checked


def example(node: Any, components: dict[str, Any], name: str, cast: Any, depth: int = 0) -> Any:
    """A plausible value for an OpenAPI schema node: what a schema fuzzer's first, valid
    guess would be (the product id is a real one, so the request reaches the service)."""
    if depth > 6:
        return None
    if "$ref" in node:
        return example(components[node["$ref"].split("/")[-1]], components, name, cast, depth + 1)
    for key in ("allOf", "oneOf", "anyOf"):
        if key in node:
            return example(node[key][0], components, name, cast, depth + 1)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {
            key: example(value, components, key, cast, depth + 1)
            for key, value in node.get("properties", {}).items()
            if not value.get("readOnly")
        }
    if kind == "array":
        return [example(node.get("items", {}), components, name, cast, depth + 1)]
    if kind == "integer":
        return cast.trail_shoe.pk if name.startswith("product") else node.get("minimum", 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return {
        "email": "probe@x.example",
        "date": "2026-11-01",
        "date-time": "2026-11-01T10:00:00Z",
        "uri": "https://x.example/",
    }.get(node.get("format", ""), "A plausible answer of some length")


CALLERS = ["anonymous", "customer", "expert", "staff_a", "staff_b", "api_key"]


@pytest.mark.parametrize("caller", CALLERS)
def test_no_endpoint_answers_500_to_any_caller(
    cast: Any, world: dict[str, Any], api: Any, caller: str
) -> None:
    """Every operation of the schema, with an empty body and with a plausible one (and its
    query parameters filled in), as each kind of caller."""
    api.raise_request_exception = False
    people = {"customer": cast.carol, "expert": cast.ada, "staff_a": cast.sam, "staff_b": cast.nora}
    if caller in people:
        api.force_login(people[caller])
    elif caller == "api_key":
        _, plain = marketplace.api_key_create(brand=cast.acme, name="probe", actor=cast.sam)
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    schema = openapi()
    components = schema["components"]["schemas"]
    failures = []
    for path, operations in schema["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        url = path.format(**{name: world.get(name, 1) for name in names})
        for method in ("get", "post", "put", "patch", "delete"):
            operation = operations.get(method)
            if not operation:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            plausible = (
                example(content["application/json"]["schema"], components, "", cast)
                if "application/json" in content
                else {}
            )
            query = {
                p["name"]: example(p.get("schema", {}), components, p["name"], cast)
                for p in operation.get("parameters", [])
                if p["in"] == "query"
            }
            if method == "get":
                answers = [api.get(url), api.get(url, query)]
            else:
                send = getattr(api, method)
                answers = [send(url, {}, format="json"), send(url, plausible, format="json")]
            failures += [(method, url, a.status_code) for a in answers if a.status_code >= 500]
    assert failures == []


def test_an_api_key_cannot_apply_or_take_a_quiz(cast: Any, world: dict[str, Any], api: Any) -> None:
    _, plain = marketplace.api_key_create(brand=cast.acme, name="crm", actor=cast.sam)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plain}")
    body = {
        "products": [{"product_id": cast.trail_shoe.pk, "level": 3}],
        "languages": ["en"],
        "motivation": "An integration applying.",
        "accept_terms": True,
    }

    applied = api.post("/api/v1/brands/acme/applications", body, format="json")
    attempted = api.post(
        f"/api/v1/brands/acme/quizzes/{world['quiz_id']}/attempts", {"answers": {}}, format="json"
    )

    assert (applied.status_code, attempted.status_code) == (403, 403)
    assert "API keys cannot apply" in applied.json()["error"]["message"]
    assert not Application.objects.exists()
    assert not QuizAttempt.objects.exists()
    # reading the review queue with the key still works
    assert api.get("/api/v1/brands/acme/applications").status_code == 200


def test_every_operation_documents_its_error_statuses_in_the_one_error_shape() -> None:
    schema = openapi()
    error = {"$ref": "#/components/schemas/Error"}
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"401", "429"}
            if "{" in path:
                expected.add("404")
            if method in ("post", "put", "patch", "delete"):
                expected.add("409")
            if "requestBody" in operation or any(
                p["in"] == "query" for p in operation.get("parameters", [])
            ):
                expected.add("400")
            missing += [f"{method} {path} {code}" for code in expected - set(responses)]
            for code, response in responses.items():
                if code >= "400" and response["content"]["application/json"]["schema"] != error:
                    missing.append(f"{method} {path} {code}: not the error shape")
    assert missing == []
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
