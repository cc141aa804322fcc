from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client: Any) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok", "cache": "ok", "live": "ok"}
    assert body["text_backend"] == "onnx"  # the default install's sentence embeddings


def test_healthz_is_503_and_names_the_broken_part_when_the_broker_is_down(
    client: Any, settings: Any
) -> None:
    from gigcx.celery import app

    # given a broker nobody listens on
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "unreachable"
