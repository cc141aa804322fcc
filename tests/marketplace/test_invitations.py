"""Inviting customers to the advocate program: one by one, by CSV, resend, revoke, states."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from gigcx.models import AuditEvent
from marketplace import services
from marketplace.models import Invitation
from tests.test_tenancy import database_fingerprint

pytestmark = pytest.mark.django_db


def test_staff_invite_one_person_and_the_email_carries_a_link_with_the_products(
    cast: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_as(cast.maya).post(
            "/api/v1/brands/acme/invitations",
            {"email": "Kim@Example.com", "product_ids": [cast.trail_shoe.pk]},
            format="json",
        )

    # then
    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    assert response.json()["products"] == [
        {"id": cast.trail_shoe.pk, "name": "Trailblazer 2 Trail Shoe"}
    ]
    assert len(callbacks) == 1  # the email waited for COMMIT
    message = mail.outbox[0]
    assert message.to == ["kim@example.com"]
    assert "Acme Outdoors invites you" in message.subject
    assert "Trailblazer 2 Trail Shoe" in message.body
    assert re.search(r"http://localhost:8000/invitations/\S+/", message.body)
    assert "token" not in response.content.decode()  # the link is for the invitee only
    assert AuditEvent.objects.filter(action="invitation.created", actor=cast.maya).exists()


def test_inviting_twice_or_inviting_a_pool_member_is_a_conflict(cast: Any, api_as: Any) -> None:
    client = api_as(cast.sam)
    first = client.post(
        "/api/v1/brands/acme/invitations", {"email": "kim@example.com"}, format="json"
    )
    again = client.post(
        "/api/v1/brands/acme/invitations", {"email": "kim@example.com"}, format="json"
    )
    member = client.post(
        "/api/v1/brands/acme/invitations", {"email": "ada@example.com"}, format="json"
    )
    assert first.status_code == 201
    assert again.status_code == 409
    assert "resend it instead" in again.json()["error"]["message"]
    assert member.status_code == 409
    assert "already in the pool" in member.json()["error"]["message"]
    assert Invitation.objects.count() == 1


def test_bad_emails_and_foreign_products_are_field_errors(cast: Any, api_as: Any) -> None:
    client = api_as(cast.sam)
    bad_email = client.post("/api/v1/brands/acme/invitations", {"email": "kim"}, format="json")
    foreign = client.post(
        "/api/v1/brands/acme/invitations",
        {"email": "kim@example.com", "product_ids": [cast.northwind_product.pk]},
        format="json",
    )
    assert bad_email.status_code == 400
    assert "email" in bad_email.json()["error"]["fields"]
    assert foreign.status_code == 400
    assert "product_ids" in foreign.json()["error"]["fields"]
    assert not Invitation.objects.exists()


def test_the_list_shows_each_state_and_filters_by_it(cast: Any, api_as: Any) -> None:
    pending = services.invitation_create(brand=cast.acme, email="p@example.com", actor=cast.sam)
    expired = services.invitation_create(brand=cast.acme, email="e@example.com", actor=cast.sam)
    revoked = services.invitation_create(brand=cast.acme, email="r@example.com", actor=cast.sam)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    services.invitation_revoke(invitation=revoked, actor=cast.sam)
    client = api_as(cast.quinn)

    states = {
        row["email"]: row["state"]
        for row in client.get("/api/v1/brands/acme/invitations").json()["results"]
    }
    only_expired = client.get("/api/v1/brands/acme/invitations", {"state": "expired"}).json()

    assert states == {
        "p@example.com": "pending",
        "e@example.com": "expired",
        "r@example.com": "revoked",
    }
    assert [row["email"] for row in only_expired["results"]] == ["e@example.com"]
    assert pending.state == "pending"


def test_resending_an_expired_invitation_renews_it(
    cast: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invitation = services.invitation_create(brand=cast.acme, email="e@example.com", actor=cast.sam)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(cast.sam).post(f"/api/v1/brands/acme/invitations/{invitation.pk}/resend")

    assert response.status_code == 200
    assert response.json()["state"] == "pending"
    assert response.json()["send_count"] == 2
    assert len(mail.outbox) == 1


def test_revoked_and_accepted_invitations_cannot_be_resent(cast: Any, api_as: Any) -> None:
    invitation = services.invitation_create(brand=cast.acme, email="r@example.com", actor=cast.sam)
    client = api_as(cast.sam)
    revoked = client.post(f"/api/v1/brands/acme/invitations/{invitation.pk}/revoke")
    again = client.post(f"/api/v1/brands/acme/invitations/{invitation.pk}/revoke")
    resend = client.post(f"/api/v1/brands/acme/invitations/{invitation.pk}/resend")
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert again.status_code == 200  # idempotent
    assert resend.status_code == 409


def test_quality_reviewers_see_invitations_but_cannot_send_them(cast: Any, api_as: Any) -> None:
    client = api_as(cast.quinn)
    before = database_fingerprint()
    assert client.get("/api/v1/brands/acme/invitations").status_code == 200
    response = client.post(
        "/api/v1/brands/acme/invitations", {"email": "kim@example.com"}, format="json"
    )
    assert response.status_code == 403
    assert database_fingerprint() == before


def test_csv_preview_writes_nothing_and_confirm_validates_again(cast: Any, api_as: Any) -> None:
    # given
    client = api_as(cast.maya)
    text = "email,products\nkim@example.com,TB2\nlee@example.com,Ridgeline 2P Tent\n"
    preview = client.post("/api/v1/brands/acme/invitations/import", {"csv": text}, format="json")
    assert preview.status_code == 200
    assert (preview.json()["valid"], preview.json()["imported"]) == (2, 0)
    assert not Invitation.objects.exists()

    # when: between preview and confirm someone else invites Lee
    services.invitation_create(brand=cast.acme, email="lee@example.com", actor=cast.sam)
    confirm = client.post(
        "/api/v1/brands/acme/invitations/import", {"csv": text, "confirm": True}, format="json"
    )

    # then: the confirmation sees it and writes nothing
    assert confirm.status_code == 400
    assert confirm.json()["error"]["fields"] == {
        "line 3": ["lee@example.com already has a pending invitation; resend it instead"]
    }
    assert list(Invitation.objects.values_list("email", flat=True)) == ["lee@example.com"]

    # and with only_valid it imports Kim alone
    partial = client.post(
        "/api/v1/brands/acme/invitations/import",
        {"csv": text, "confirm": True, "only_valid": True},
        format="json",
    )
    assert partial.status_code == 201
    assert partial.json()["imported"] == 1
    assert Invitation.objects.filter(email="kim@example.com").exists()


def test_the_invitations_page_invites_and_shows_errors_beside_the_field(
    cast: Any, client: Any
) -> None:
    client.force_login(cast.maya)
    bad = client.post("/brands/acme/manage/invitations/", {"email": "ada@example.com"})
    assert bad.status_code == 400
    assert 'id="id_email-errors"' in bad.content.decode()
    ok = client.post(
        "/brands/acme/manage/invitations/",
        {"email": "kim@example.com", "products": [cast.trail_shoe.pk]},
    )
    assert ok.status_code == 302
    page = client.get("/brands/acme/manage/invitations/").content.decode()
    assert "kim@example.com" in page
    assert "Revoke" in page
    invitation = Invitation.objects.get()
    revoke = client.post(f"/brands/acme/manage/invitations/{invitation.pk}/revoke/")
    assert revoke.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_an_invitation_page_upload_with_a_bad_header_says_what_is_expected(
    cast: Any, client: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(cast.maya)
    upload = SimpleUploadedFile("x.csv", b"who,what\na,b\n", content_type="text/csv")
    response = client.post("/brands/acme/manage/invitations/import/", {"file": upload})
    assert response.status_code == 400
    assert "missing column(s): email" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_tampered_confirmation_is_refused(cast: Any, client: Any) -> None:
    client.force_login(cast.maya)
    response = client.post(
        "/brands/acme/manage/invitations/import/", {"payload": "forged", "only_valid": "1"}
    )
    assert response.status_code == 302
    assert not Invitation.objects.exists()
