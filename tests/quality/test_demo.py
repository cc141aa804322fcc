"""seed_demo's quality part: rated conversations, once however often it runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from marketplace.models import Expert
from quality.models import ExpertScore, Rating

pytestmark = pytest.mark.django_db


def test_seed_demo_rates_three_of_adas_conversations_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    ratings = Rating.objects.filter(brand__slug="acme").order_by("question_id")
    assert [(r.score, r.solved) for r in ratings] == [(5, True), (4, True), (2, False)]
    ada = Expert.objects.get(brand__slug="acme", user__email="ada@example.com")
    assert {r.expert_id for r in ratings} == {ada.pk}
    assert ExpertScore.objects.filter(expert=ada).exists()
    assert ada.quality_score is not None
    assert ada.tier == "bronze"
