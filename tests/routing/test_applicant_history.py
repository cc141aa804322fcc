from __future__ import annotations

from typing import Any

import pytest

from marketplace import services as marketplace

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("held_tasks")]


def test_the_review_page_shows_the_applicants_questions_to_this_brand_only(
    cast: Any, ask: Any, api_as: Any
) -> None:
    # given: carol asked Acme once (and Northwind once), then applied to Acme
    ask("Do the Trailblazer 2 run narrow?")
    from routing.services import question_create

    question_create(brand=cast.northwind, asked_by=cast.carol, body="Gravel wheelset: tubeless?")
    application = marketplace.application_submit(
        brand=cast.acme,
        user=cast.carol,
        items=[(cast.trail_shoe.pk, 4)],
        languages=["en"],
        motivation="I run in them every day.",
        accept_terms=True,
    )

    history = (
        api_as(cast.sam).get(f"/api/v1/brands/acme/applications/{application.pk}").json()["history"]
    )

    section = next(s for s in history["sections"] if s["title"] == "Questions asked")
    assert len(section["lines"]) == 1
    assert "Trailblazer 2 Trail Shoe" in section["lines"][0]
    assert "Waiting for an expert" in section["lines"][0]
