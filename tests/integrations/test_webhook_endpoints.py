"""Managing webhook endpoints: the API and pages, who may, and which URLs are refused."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from gigcx.models import AuditEvent
from integrations import services, urlguard
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.integrations.conftest import Receiver, events_named

pytestmark = pytest.mark.django_db

LIST = "/api/v1/brands/acme/webhooks"
PUBLIC = "93.184.215.14"  # a public address (example.com's), never connected to here


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names resolve from this table (no network); literal addresses resolve to themselves."""
    table: dict[str, list[str]] = {"hooks.example.com": [PUBLIC]}
    real = socket.getaddrinfo

    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in table:
            family = socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]
        try:
            return real(host, port, *args, flags=socket.AI_NUMERICHOST, **kwargs)
        except socket.gaierror:
            if host == "localhost":
                return real(host, port, *args, **kwargs)
            raise

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", fake)
    return table


def _create(client: Any, url: str, **extra: Any) -> Any:
    body = {"url": url, "events": ["question.asked", "question.resolved"], **extra}
    return client.post(LIST, body, format="json")


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(
    cast: Any, api_as: Any, dns: Any
) -> None:
    client = api_as(cast.sam)

    response = _create(client, "https://hooks.example.com/gigcx", description="CRM")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["question.asked", "question.resolved"]
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.secret == created["secret"]
    assert created["secret"] not in endpoint.secret_sealed  # stored encrypted
    assert endpoint.created_by == cast.sam
    listed = client.get(LIST).json()
    assert [row["id"] for row in listed["results"]] == [endpoint.pk]
    assert "secret" not in listed["results"][0]
    assert "secret" not in client.get(f"{LIST}/{endpoint.pk}").json()
    assert AuditEvent.objects.filter(action="webhook.created", actor=cast.sam).exists()


def test_create_honours_idempotency_key(cast: Any, api_as: Any, dns: Any) -> None:
    client = api_as(cast.sam)
    body = {"url": "https://hooks.example.com/a", "events": ["question.asked"]}

    first = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(LIST, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(
        LIST,
        {**body, "url": "https://hooks.example.com/b"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the secret too: stored sealed, returned again
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1"),
        ("https://10.1.2.3/hook", "10.1.2.3"),
        ("https://192.168.0.10/hook", "192.168.0.10"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("https://[::1]/hook", "::1"),
        ("https://[fe80::1]/hook", "fe80::1"),
        ("https://[::ffff:127.0.0.1]/hook", "127.0.0.1"),
        ("https://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104 - the address under test
        ("https://224.0.0.1/hook", "224.0.0.1"),
        ("https://localhost/hook", "private, loopback"),
        ("https://intranet.example.com/hook", "10.0.0.5"),
        ("http://hooks.example.com/hook", "Use an https:// URL"),
        ("ftp://hooks.example.com/hook", "Use an https:// URL"),
        ("https://user:pw@hooks.example.com/hook", "user name and password"),
        ("https://no-such-host.invalid/hook", "could not be resolved"),
        ("not a url", "https://"),
    ],
)
def test_unsafe_urls_are_refused_with_a_clear_400(
    cast: Any, api_as: Any, dns: Any, url: str, says: str
) -> None:
    # given: a name whose DNS answers mix a public and a private address
    dns["intranet.example.com"] = [PUBLIC, "10.0.0.5"]

    response = _create(api_as(cast.sam), url)

    assert response.status_code == 400, (url, response.content)
    error = response.json()["error"]
    assert says in error["fields"]["url"][0], error
    assert not WebhookEndpoint.objects.exists()


def test_the_development_settings_allow_a_local_http_receiver(
    cast: Any, api_as: Any, settings: Any
) -> None:
    settings.GIGCX_WEBHOOKS_ALLOW_PRIVATE = True
    assert _create(api_as(cast.sam), "https://127.0.0.1:8443/hook").status_code == 201
    assert _create(api_as(cast.sam), "http://127.0.0.1:8000/hook").status_code == 400
    settings.GIGCX_WEBHOOKS_ALLOW_HTTP = True
    assert _create(api_as(cast.sam), "http://127.0.0.1:8000/hook").status_code == 201


def test_a_name_that_rebinds_to_a_private_address_after_saving_is_not_called(
    cast: Any, receiver: Receiver, dns: Any, settings: Any
) -> None:
    # given: an endpoint saved while its name resolved to a public address
    endpoint, _ = services.webhook_endpoint_create(
        brand=cast.acme,
        url="https://hooks.example.com/x",
        events=["question.asked"],
        actor=cast.sam,
    )
    from routing import services as routing_services

    routing_services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 run narrow?"
    )
    services.webhook_event_fanout(event=events_named("question.asked")[0])
    # when: the name now answers with the metadata service's address
    settings.GIGCX_WEBHOOKS_ALLOW_PRIVATE = False
    dns["hooks.example.com"] = ["169.254.169.254"]
    attempt = services.webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)

    # then: refused before any connection, and retried later like any failure
    assert attempt is not None
    assert attempt.delivery.last_error.startswith("Refused: hooks.example.com resolves to 169.254")
    assert attempt.delivery.status == WebhookDelivery.Status.PENDING
    assert receiver.requests == []


def test_bad_fields_are_named(cast: Any, api_as: Any, dns: Any) -> None:
    client = api_as(cast.sam)

    unknown = client.post(
        LIST, {"url": "https://hooks.example.com/x", "events": ["question.deleted"]}, format="json"
    )
    empty = client.post(LIST, {"url": "https://hooks.example.com/x", "events": []}, format="json")
    extra = client.post(
        LIST,
        {"url": "https://hooks.example.com/x", "events": ["question.asked"], "secret": "mine"},
        format="json",
    )

    assert unknown.status_code == 400
    assert "Unknown event question.deleted" in unknown.json()["error"]["fields"]["events"][0]
    assert empty.status_code == 400
    assert "at least one" in empty.json()["error"]["fields"]["events"][0]
    assert extra.status_code == 400
    assert "secret" in extra.json()["error"]["fields"]


def test_change_disable_rotate_and_delete_are_audited(cast: Any, api_as: Any, dns: Any) -> None:
    client = api_as(cast.maya)  # a manager
    created = _create(client, "https://hooks.example.com/x").json()
    detail = f"{LIST}/{created['id']}"

    changed = client.patch(detail, {"events": ["payout.paid"], "is_active": False}, format="json")
    rotated = client.post(f"{detail}/rotate-secret")
    bad = client.patch(detail, {"url": "https://10.0.0.1/"}, format="json")
    deleted = client.delete(detail)

    assert changed.status_code == 200
    assert changed.json()["events"] == ["payout.paid"]
    assert changed.json()["is_active"] is False
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (created["secret"], "")
    assert bad.status_code == 400
    assert "10.0.0.1" in bad.json()["error"]["message"]
    assert deleted.status_code == 204
    assert not WebhookEndpoint.objects.exists()
    actions = set(AuditEvent.objects.filter(actor=cast.maya).values_list("action", flat=True))
    assert {
        "webhook.created",
        "webhook.changed",
        "webhook.secret_rotated",
        "webhook.deleted",
    } <= actions


def _acme_endpoint_with_a_delivery(cast: Any, receiver: Receiver) -> tuple[Any, Any]:
    endpoint, _ = services.webhook_endpoint_create(
        brand=cast.acme, url=receiver.url, events=["question.asked"], actor=cast.sam
    )
    from routing import services as routing_services

    routing_services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 run narrow?"
    )
    [delivery] = services.webhook_event_fanout(event=events_named("question.asked")[0])
    return endpoint, delivery


@pytest.mark.parametrize("who", ["nora", "ada", "carol"])
def test_other_brands_staff_experts_and_customers_get_404(
    cast: Any, api_as: Any, receiver: Receiver, who: str
) -> None:
    endpoint, delivery = _acme_endpoint_with_a_delivery(cast, receiver)
    client = api_as(getattr(cast, who))
    detail = f"{LIST}/{endpoint.pk}"

    for response in (
        client.get(LIST),
        _create(client, receiver.url),
        client.get(detail),
        client.patch(detail, {"is_active": False}, format="json"),
        client.delete(detail),
        client.post(f"{detail}/rotate-secret"),
        client.get(f"{detail}/deliveries"),
        client.post(f"{detail}/deliveries/{delivery.pk}/replay"),
    ):
        assert response.status_code == 404, (who, response.request["PATH_INFO"])
        assert receiver.url not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert WebhookEndpoint.objects.count() == 1
    assert (
        not AuditEvent.objects.filter(action__startswith="webhook.", actor__isnull=False)
        .exclude(actor=cast.sam)
        .exists()
    )


def test_another_brands_endpoint_ids_are_not_found_under_yours(
    cast: Any, api_as: Any, receiver: Receiver
) -> None:
    endpoint, delivery = _acme_endpoint_with_a_delivery(cast, receiver)
    client = api_as(cast.nora)

    assert client.get(f"/api/v1/brands/northwind/webhooks/{endpoint.pk}").status_code == 404
    replay = f"/api/v1/brands/northwind/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay"
    assert client.post(replay).status_code == 404


def test_quality_reviewers_may_not_manage_webhooks(
    cast: Any, api_as: Any, client: Any, receiver: Receiver
) -> None:
    endpoint, _ = _acme_endpoint_with_a_delivery(cast, receiver)

    response = api_as(cast.quinn).get(LIST)
    assert response.status_code == 403
    assert "owner or manager" in response.json()["error"]["message"]
    client.force_login(cast.quinn)
    assert client.get("/brands/acme/manage/webhooks/").status_code == 404
    assert client.get(f"/brands/acme/manage/webhooks/{endpoint.pk}/").status_code == 404
    # nor is the tab shown to her on any staff page; a manager sees it
    for page in (
        "/brands/acme/manage/",
        "/brands/acme/manage/pool/",
        "/brands/acme/manage/reviews/",
    ):
        html = client.get(page).content.decode()
        assert 'aria-label="Acme Outdoors staff pages"' in html, page
        assert "/manage/webhooks/" not in html, page
    client.force_login(cast.maya)
    assert "/manage/webhooks/" in client.get("/brands/acme/manage/pool/").content.decode()


def test_the_deliveries_list_filters_by_status(cast: Any, api_as: Any, receiver: Receiver) -> None:
    endpoint, delivery = _acme_endpoint_with_a_delivery(cast, receiver)
    client = api_as(cast.sam)
    url = f"{LIST}/{endpoint.pk}/deliveries"

    pending = client.get(url, {"status": "pending"}).json()
    delivered = client.get(url, {"status": "delivered"}).json()
    bad = client.get(url, {"status": "lost"})

    assert [row["message_id"] for row in pending["results"]] == [delivery.message_id]
    assert pending["results"][0]["payload"]["type"] == "question.asked"
    assert delivered["count"] == 0
    assert bad.status_code == 400


def test_the_page_adds_an_endpoint_shows_the_secret_and_reveals_it_on_request(
    cast: Any, client: Any, dns: Any
) -> None:
    client.force_login(cast.sam)
    assert client.get("/brands/acme/manage/webhooks/").status_code == 200

    refused = client.post(
        "/brands/acme/manage/webhooks/",
        {"url": "https://169.254.169.254/", "events": ["question.asked"]},
    )
    added = client.post(
        "/brands/acme/manage/webhooks/",
        {"url": "https://hooks.example.com/x", "events": ["question.asked"]},
    )

    assert refused.status_code == 400
    assert "169.254.169.254" in refused.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    # the form redirects (a reload cannot add it twice); the page it lands on shows the
    # secret once, and a reload of that page does not
    assert added.status_code == 302
    assert added["Location"] == f"/brands/acme/manage/webhooks/{endpoint.pk}/"
    assert endpoint.secret not in added.content.decode()
    first = client.get(added["Location"])
    assert endpoint.secret in first.content.decode()
    page = client.get(f"/brands/acme/manage/webhooks/{endpoint.pk}/")
    assert endpoint.secret not in page.content.decode()
    revealed = client.post(f"/brands/acme/manage/webhooks/{endpoint.pk}/reveal/")
    assert endpoint.secret in revealed.content.decode()
    assert AuditEvent.objects.filter(action="webhook.secret_revealed", actor=cast.sam).exists()
    disabled = client.post(f"/brands/acme/manage/webhooks/{endpoint.pk}/disable/")
    assert disabled.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_a_brand_api_key_manages_its_own_brands_webhooks_only(
    cast: Any, api: Any, dns: Any
) -> None:
    from marketplace import services as marketplace_services

    _, key = marketplace_services.api_key_create(brand=cast.acme, name="crm", actor=cast.sam)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}

    created = api.post(
        LIST,
        {"url": "https://hooks.example.com/crm", "events": ["question.resolved"]},
        format="json",
        **auth,
    )
    other = api.get("/api/v1/brands/northwind/webhooks", **auth)

    assert created.status_code == 201, created.content
    assert WebhookEndpoint.objects.get().created_by is None
    assert AuditEvent.objects.filter(action="webhook.created").exists()
    assert api.get(LIST, **auth).json()["count"] == 1
    assert other.status_code == 404


def test_the_request_goes_to_the_checked_address_with_the_name_only_in_the_host_header(
    cast: Any, receiver: Receiver, dns: Any
) -> None:
    # given: a name only our checked table knows (the HTTP client could not resolve it)
    port = receiver.url.split(":")[2].split("/")[0]
    dns["receiver.test"] = ["127.0.0.1"]
    services.webhook_endpoint_create(
        brand=cast.acme,
        url=f"http://receiver.test:{port}/hooks",
        events=["question.asked"],
        actor=cast.sam,
    )
    from routing import services as routing_services

    routing_services.question_create(
        brand=cast.acme, asked_by=cast.carol, body="Do the Trailblazer 2 run narrow?"
    )
    [delivery] = services.webhook_event_fanout(event=events_named("question.asked")[0])

    attempt = services.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert attempt is not None
    assert attempt.delivery.status == WebhookDelivery.Status.DELIVERED
    [received] = receiver.requests
    assert received.headers["Host"] == f"receiver.test:{port}"
