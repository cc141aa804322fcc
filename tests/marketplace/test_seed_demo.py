from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management import call_command

from gigcx.models import User
from marketplace import demo
from marketplace.models import Application, Brand, Expert, ExpertSkill, Invitation, Product, Quiz

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"gigcx", "marketplace"}
    }


def test_seed_demo_builds_the_cast_and_is_idempotent() -> None:
    first = StringIO()
    call_command("seed_demo", stdout=first)
    after_first = row_counts()
    second = StringIO()
    call_command("seed_demo", stdout=second)

    assert row_counts() == after_first
    assert "Created" in first.getvalue()
    assert "nothing to do" in second.getvalue()
    assert "ada@example.com" in second.getvalue()  # logins printed every time
    acme = Brand.objects.get(slug="acme")
    assert Product.objects.filter(brand=acme).count() == 6
    assert set(Expert.objects.filter(brand=acme).values_list("status", flat=True)) == {
        "approved",
        "probation",
        "applied",
    }
    assert ExpertSkill.objects.filter(
        expert__user__email="ada@example.com",
        product__name="Trailblazer 2 Trail Shoe",
        verified_at__isnull=False,
    ).exists()
    assert acme.memberships.count() == 3
    # recruitment: a quiz for the trail shoe, a pending invitation, a pending application
    quiz = Quiz.objects.get(brand=acme)
    assert quiz.product.name == "Trailblazer 2 Trail Shoe"
    assert quiz.questions.count() == 3
    assert all(q.choices.filter(is_correct=True).count() == 1 for q in quiz.questions.all())
    assert Invitation.objects.with_state("pending").filter(brand=acme).count() == 1
    application = Application.objects.get(brand=acme)
    assert (application.user.email, application.status) == ("marie@example.com", "pending")


def test_demo_users_can_log_in(client: Any) -> None:
    call_command("seed_demo", stdout=StringIO())
    response = client.post(
        "/accounts/login/", {"login": "sam@acme.example", "password": "gigcx-demo-2026"}
    )
    # Sam owns Acme, so the login asks for the code of the demo authenticator app
    assert response["Location"] == "/accounts/2fa/authenticate/"
    code = StringIO()
    call_command("demo_totp", stdout=code)
    done = client.post("/accounts/2fa/authenticate/", {"code": code.getvalue().split()[0]})
    assert done.status_code == 302
    assert client.get("/brands/acme/manage/").status_code == 200


def test_seed_demo_says_how_to_get_the_owners_code_and_runs_twice(db: Any) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    assert "manage.py demo_totp" in out.getvalue()
    assert demo.DEMO_TOTP_SECRET in out.getvalue()
    assert Authenticator.objects.filter(user__email="sam@acme.example", type="totp").count() == 1


def test_a_production_site_refuses_the_demo_cast_unless_told_otherwise(
    db: Any, settings: Any
) -> None:
    from django.core.management.base import CommandError

    # given DEBUG off and no explicit permission (a production site)
    settings.GIGCX_ALLOW_DEMO_DATA = False

    # then seeding refuses, says how to allow it, and creates nobody
    with pytest.raises(CommandError, match="GIGCX_ALLOW_DEMO_DATA=true"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(email="sam@acme.example").exists()
