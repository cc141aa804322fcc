"""The whole recruitment journey through the web pages and the API, and its negative paths.

Invite purchasers by CSV -> the invitee signs up through the emailed link -> applies with
pre-filled products -> passes the product quiz -> staff approve -> the expert is in the pool
with a verified skill. Every refusal is checked to change nothing in the database.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gigcx.models import AuditEvent, User
from marketplace import services
from marketplace.models import (
    Application,
    Expert,
    ExpertSkill,
    Invitation,
    QuizAttempt,
)
from tests.test_tenancy import database_fingerprint

pytestmark = pytest.mark.django_db

PURCHASERS = "email,products\nkim@example.com,TB2\nnot-an-email,TB2\nlee@example.com,NOPE\n"


def trail_quiz(cast: Any) -> Any:
    return services.quiz_create(
        brand=cast.acme,
        title="Trailblazer 2 essentials",
        product_id=cast.trail_shoe.pk,
        level=4,
        pass_mark=50,
        cooldown_hours=24,
        questions=[
            {
                "text": "Drop?",
                "choices": [{"text": "4 mm"}, {"text": "8 mm", "is_correct": True}],
            },
            {
                "text": "Lugs below 2 mm?",
                "choices": [{"text": "Replace", "is_correct": True}, {"text": "Glue"}],
            },
        ],
        actor=cast.sam,
    )


def link_path(message: Any) -> str:
    url = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    return urlparse(url).path


def correct_answers(quiz: Any) -> dict[str, str]:
    return {
        f"q_{question.pk}": str(question.choices.get(is_correct=True).pk)
        for question in quiz.questions.all()
    }


def test_invite_by_csv_sign_up_apply_pass_the_quiz_and_get_approved(
    cast: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    quiz = trail_quiz(cast)

    # given: Maya uploads purchasers; the preview reports the two bad rows and writes nothing
    client.force_login(cast.maya)
    upload = SimpleUploadedFile("buyers.csv", PURCHASERS.encode(), content_type="text/csv")
    preview = client.post("/brands/acme/manage/invitations/import/", {"file": upload})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "not-an-email" in html
    assert "is not an email address" in html
    assert "no product &#x27;NOPE&#x27; in the catalogue" in html
    assert not Invitation.objects.exists()
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)

    # when: she confirms importing only the valid row
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/brands/acme/manage/invitations/import/", {"payload": payload, "only_valid": "1"}
        )

    # then: one invitation, with the shoe, and an email carrying the link
    assert done.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.status) == ("kim@example.com", "pending")
    assert list(invitation.products.all()) == [cast.trail_shoe]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kim@example.com"]
    link = link_path(mail.outbox[0])

    # when: Kim opens the link, creates her account through it, and accepts
    client.logout()
    landing = client.get(link)
    assert landing.status_code == 200
    assert "Acme Outdoors invites you" in landing.content.decode()
    to_signup = client.post(link + "accept/")
    assert to_signup.status_code == 302
    assert "/accounts/signup/" in to_signup["Location"]
    signed_up = client.post(
        to_signup["Location"],
        {
            "email": "kim@example.com",
            "password1": "trail-runner-2026!",
            "password2": "trail-runner-2026!",
        },
    )
    assert signed_up.status_code == 302, signed_up.content.decode()[:2000]
    kim = User.objects.get(email="kim@example.com")
    # the link proved the address: no confirmation email round trip is needed
    assert kim.emailaddress_set.get().verified
    accepted = client.post(link + "accept/")
    assert accepted["Location"] == "/brands/acme/apply/"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", kim)
    assert Expert.objects.get(brand=cast.acme, user=kim).status == "invited"
    assert client.get(link)["Location"] == "/brands/acme/apply/"  # the email, opened again

    # then: the application form has her products pre-filled
    form = client.get("/brands/acme/apply/").content.decode()
    selected = re.search(
        rf'<select name="level_{cast.trail_shoe.pk}".*?</select>', form, flags=re.S
    ).group(0)
    assert '<option value="3" selected>' in selected

    # when: she applies
    applied = client.post(
        "/brands/acme/apply/",
        {
            f"level_{cast.trail_shoe.pk}": "4",
            "languages": ["en"],
            "motivation": "I ran two ultras in them.",
            "accept_terms": "on",
        },
    )
    assert applied.status_code == 302
    application = Application.objects.get(user=kim)
    assert application.invitation == invitation
    assert Expert.objects.get(brand=cast.acme, user=kim).status == "applied"

    # and takes the quiz: the page never shows which answer is right, then she passes
    quiz_page = client.get(f"/brands/acme/quizzes/{quiz.pk}/").content.decode()
    assert "is_correct" not in quiz_page
    assert "correct" not in quiz_page.lower().replace("correctly", "")
    passed = client.post(f"/brands/acme/quizzes/{quiz.pk}/", correct_answers(quiz))
    assert passed.status_code == 200
    assert "Passed!" in passed.content.decode()

    # when: Sam approves her from the review queue
    client.force_login(cast.sam)
    queue = client.get("/brands/acme/manage/applications/").content.decode()
    assert "kim@example.com" in queue
    review = client.get(f"/brands/acme/manage/applications/{application.pk}/").content.decode()
    assert "Trailblazer 2 essentials" in review  # her quiz attempt is in her history
    approved = client.post(
        f"/brands/acme/manage/applications/{application.pk}/",
        {"approve": "1", "status": "approved", "reason": "Great answers."},
    )
    assert approved.status_code == 302

    # then: she is in the pool with her skill, verified by the quiz at its level
    expert = Expert.objects.get(brand=cast.acme, user=kim)
    assert expert.status == "approved"
    skill = ExpertSkill.objects.get(expert=expert)
    assert (skill.product, skill.level, skill.verified_level) == (cast.trail_shoe, 4, 4)
    assert skill.verified_at is not None
    pool = client.get("/brands/acme/manage/pool/?verified=1").content.decode()
    assert "kim@example.com" in pool
    assert AuditEvent.objects.filter(
        action="application.approved", target_id=str(application.pk), actor=cast.sam
    ).exists()
    assert AuditEvent.objects.filter(action="skill.verified", target_id=str(skill.pk)).exists()


def test_an_expired_or_revoked_link_is_refused_and_changes_nothing(
    cast: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    with django_capture_on_commit_callbacks(execute=True):
        expired = services.invitation_create(
            brand=cast.acme, email="carol@example.com", actor=cast.sam
        )
        revoked = services.invitation_create(
            brand=cast.acme, email="old@example.com", actor=cast.sam
        )
    expired_link, revoked_link = (link_path(message) for message in mail.outbox)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    services.invitation_revoke(invitation=revoked, actor=cast.sam)
    client.force_login(cast.carol)
    before = database_fingerprint()

    # when
    expired_page = client.get(expired_link)
    expired_accept = client.post(expired_link + "accept/")
    revoked_page = client.get(revoked_link)

    # then
    assert expired_page.status_code == 410
    assert "This invitation has expired" in expired_page.content.decode()
    assert expired_accept.status_code == 410
    assert revoked_page.status_code == 410
    assert "has withdrawn this invitation" in revoked_page.content.decode()
    assert database_fingerprint() == before
    assert not Expert.objects.filter(brand=cast.acme, user=cast.carol).exists()


def test_a_resent_invitation_invalidates_the_old_link(
    cast: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            brand=cast.acme, email="carol@example.com", actor=cast.sam
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_resend(invitation=invitation, actor=cast.sam)
    old, new = (link_path(message).split("/")[2] for message in mail.outbox)
    client = api_as(cast.carol)

    refused = client.post("/api/v1/invitations/accept", {"token": old}, format="json")
    accepted = client.post("/api/v1/invitations/accept", {"token": new}, format="json")

    assert refused.status_code == 404
    assert accepted.status_code == 200
    assert accepted.json()["brand"] == "acme"


def test_an_invitation_only_works_for_the_invited_address(
    cast: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(brand=cast.acme, email="carol@example.com", actor=cast.sam)
    token = link_path(mail.outbox[0]).split("/")[2]
    client = api_as(cast.grace)
    before = database_fingerprint()

    response = client.post("/api/v1/invitations/accept", {"token": token}, format="json")

    assert response.status_code == 403
    assert "sent to carol@example.com" in response.json()["error"]["message"]
    assert database_fingerprint() == before


def test_a_forged_token_is_not_found(cast: Any, api_as: Any) -> None:
    response = api_as(cast.carol).post(
        "/api/v1/invitations/accept", {"token": "1:forged:token"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "This invitation link is not valid."


def test_retaking_a_quiz_during_the_cool_down_is_refused_and_records_nothing(
    cast: Any, api_as: Any
) -> None:
    # given: Carol applied and failed the quiz once
    quiz = trail_quiz(cast)
    services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 3)],
        languages=["en"],
        motivation="I love them.",
        accept_terms=True,
    )
    client = api_as(cast.carol)
    url = f"/api/v1/brands/acme/quizzes/{quiz.pk}/attempts"
    wrong = {str(q.pk): q.choices.get(is_correct=False).pk for q in quiz.questions.all()}
    first = client.post(url, {"answers": wrong}, format="json")
    assert first.status_code == 201
    assert first.json()["passed"] is False
    before = database_fingerprint()

    # when: she tries again at once, with the right answers
    right = {str(q.pk): q.choices.get(is_correct=True).pk for q in quiz.questions.all()}
    again = client.post(url, {"answers": right}, format="json")

    # then
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "cooldown"
    assert "You can take this quiz again after" in again.json()["error"]["message"]
    assert database_fingerprint() == before
    assert QuizAttempt.objects.filter(user=cast.carol).count() == 1
    assert ExpertSkill.objects.get(expert__user=cast.carol).verified_at is None


def test_an_applicant_of_one_brand_cannot_act_on_another(cast: Any, api_as: Any) -> None:
    # given: Carol applied to Acme; Northwind has a quiz
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 3)],
        languages=["en"],
        motivation="I love them.",
        accept_terms=True,
    )
    northwind_quiz = services.quiz_create(
        brand=cast.northwind,
        title="Wheels",
        product_id=cast.northwind_product.pk,
        questions=[{"text": "Q", "choices": [{"text": "a", "is_correct": True}, {"text": "b"}]}],
        actor=cast.nora,
    )
    choice = northwind_quiz.questions.get().choices.get(is_correct=True)
    client = api_as(cast.carol)
    before = database_fingerprint()

    # when / then: her application is not reachable under Northwind, nor Northwind's quiz
    assert client.get(f"/api/v1/brands/northwind/applications/{application.pk}").status_code == 404
    assert client.get("/api/v1/brands/northwind/applications").json()["results"] == []
    assert client.get(f"/api/v1/brands/northwind/quizzes/{northwind_quiz.pk}").status_code == 404
    attempt = client.post(
        f"/api/v1/brands/northwind/quizzes/{northwind_quiz.pk}/attempts",
        {"answers": {str(choice.question_id): choice.pk}},
        format="json",
    )
    assert attempt.status_code == 404
    # nor Acme's quiz id under Northwind's address, nor approving herself
    approve = client.post(f"/api/v1/brands/acme/applications/{application.pk}/approve", {})
    assert approve.status_code == 404
    assert database_fingerprint() == before


@pytest.mark.parametrize(
    ("who", "status_code"), [("ada", 404), ("carol", 404), ("nora", 404), ("quinn", 403)]
)
def test_only_brand_editors_decide_applications(
    cast: Any, api_as: Any, who: str, status_code: int
) -> None:
    application = services.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 3)],
        languages=["en"],
        motivation="I love them.",
        accept_terms=True,
    )
    client = api_as(getattr(cast, who))
    before = database_fingerprint()

    approve = client.post(
        f"/api/v1/brands/acme/applications/{application.pk}/approve", {}, format="json"
    )
    reject = client.post(
        f"/api/v1/brands/acme/applications/{application.pk}/reject",
        {"reason": "No."},
        format="json",
    )

    assert (approve.status_code, reject.status_code) == (status_code, status_code)
    assert database_fingerprint() == before
    application.refresh_from_db()
    assert application.status == "pending"


def test_malformed_csv_rows_import_nothing_and_say_why(cast: Any, api_as: Any) -> None:
    client = api_as(cast.maya)
    before = database_fingerprint()

    response = client.post(
        "/api/v1/brands/acme/invitations/import",
        {"csv": PURCHASERS + "kim@example.com,TB2\n", "confirm": True},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "rows_invalid"
    assert "nothing" in body["message"].lower() or "no invitations" in body["message"]
    assert body["fields"] == {
        "line 3": ["'not-an-email' is not an email address"],
        "line 4": ["no product 'NOPE' in the catalogue"],
        "line 5": ["kim@example.com is already on line 2"],
    }
    assert database_fingerprint() == before
    assert mail.outbox == []


def test_a_file_without_the_email_column_is_refused_as_a_whole(cast: Any, api_as: Any) -> None:
    response = api_as(cast.maya).post(
        "/api/v1/brands/acme/invitations/import",
        {"csv": "mail,product\nkim@example.com,TB2\n"},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "missing column(s): email" in message
    assert "unknown column(s): mail, product" in message


def test_an_existing_customer_logs_in_through_the_link_and_lands_on_a_prefilled_form(
    cast: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: Carol already has an account
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            brand=cast.acme,
            email="carol@example.com",
            product_ids=[cast.trail_shoe.pk],
            actor=cast.sam,
        )
    link = link_path(mail.outbox[0])

    # when: she follows "I have an account", logs in and accepts
    landing = client.get(link).content.decode()
    login_url = re.search(r'href="(/accounts/login/\?next=[^"]+)"', landing).group(1)
    logged_in = client.post(
        login_url.replace("&amp;", "&"),
        {"login": "carol@example.com", "password": "gigcx-demo-2026"},
    )
    assert logged_in["Location"] == link
    assert "Accept and continue" in client.get(link).content.decode()
    accepted = client.post(link + "accept/")

    # then
    assert accepted["Location"] == "/brands/acme/apply/"
    form = client.get("/brands/acme/apply/").content.decode()
    assert "We filled in the products from your invitation" in form
    assert Expert.objects.get(brand=cast.acme, user=cast.carol).status == "invited"
