"""Schemathesis against the app in-process (WSGI), as each kind of caller (issue 11): every
operation of the OpenAPI schema, with generated parameters and bodies against Acme's real
rows, answers without a server error, with a status code the schema documents and a body
in the shape it declares.

``GIGCX_SCHEMATHESIS_EXAMPLES`` (default 4) sets the examples per operation and caller; the
run is derandomized, so CI sees the same requests every time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_world import acme_world, role_headers, rolled_back
from tests.test_schema_contract import openapi

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GIGCX_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
CALLERS = ["anonymous", "customer", "expert", "staff_a", "api_key"]


@contextmanager
def one_connection() -> Iterator[None]:
    """Requests share the test's connection and transaction, as under Django's test client
    (which likewise keeps a request's start and end from closing the connection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def path_parameters(operation: Any, ids: dict[str, int]) -> dict[str, Any]:
    names = [p.name for p in operation.path_parameters]
    return {name: "acme" if name == "slug" else ids[name] for name in names}


@pytest.mark.parametrize("caller", CALLERS)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(cast: Any, caller: str) -> None:
    world = acme_world(cast)
    schema = schemathesis.openapi.from_dict(openapi())
    schema.app = WSGIHandler()
    headers = role_headers(caller, cast, world)
    failures: list[str] = []
    operations = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategy = operation.as_strategy(
            path_parameters=path_parameters(operation, world.ids), headers=headers
        )

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            cache.clear()  # rate limits are tested elsewhere
            with rolled_back():
                response = case.call()
                try:
                    case.validate_response(response, checks=CHECKS)
                except (AssertionError, BaseExceptionGroup) as error:  # reported together
                    found = getattr(error, "exceptions", [error])
                    failures.extend(
                        f"{case.operation.label} as {caller}: {response.status_code} "
                        f"{' '.join(str(one).split())[:240]} | {response.text[:160]}"
                        for one in found
                    )

        with one_connection():
            run()

    assert operations >= 100
    assert failures == [], "\n".join(sorted(set(failures)))
