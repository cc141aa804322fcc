"""Demo data of the quality app (seed_demo): three conversations Ada resolved for Carol, rated
5, 4 and 2 (not solved), so the standing page, the review queue and the Service tab have
something to show."""

from __future__ import annotations

from typing import Any

from gigcx.models import User
from marketplace.models import Brand, Expert, Product
from quality.models import ExpertScore, Rating
from routing import services as routing

CONVERSATIONS = [
    (
        "Do the Trailblazer 2 run true to size? I am usually a 42.",
        "They run a little small: most people with a 42 take a 42.5.",
        5,
        True,
        "Spot on, thank you!",
    ),
    (
        "How long does the Trailblazer 2 sole last on gravel?",
        "About 800 km on mixed gravel in my pair; rotate with a road shoe to stretch it.",
        4,
        True,
        "",
    ),
    (
        "My Trailblazer 2 squeak on wet floors. Is that normal?",
        "A little at first; it fades after a few runs.",
        2,
        False,
        "Still squeaking after two weeks.",
    ),
]


def seed(*, brand: Brand, actor: Any, created: list[str]) -> None:
    from quality.services import expert_score_recompute, rating_create

    if Rating.objects.filter(brand=brand).exists():
        return
    carol = User.objects.filter(email="carol@example.com").first()
    ada = Expert.objects.filter(brand=brand, user__email="ada@example.com").first()
    product = Product.objects.filter(brand=brand, name="Trailblazer 2 Trail Shoe").first()
    if carol is None or ada is None or product is None:
        return
    routing.presence_set(user=ada.user, status="online")
    for body, reply, score, solved, comment in CONVERSATIONS:
        question, _ = routing.question_create(
            brand=brand, asked_by=carol, body=body, product_id=product.pk
        )
        question = routing.question_send_to_experts(question=question)
        offer = routing.routing_offer_question(question_id=question.pk)
        if not offer or offer[0].expert_id != ada.pk:
            continue
        routing.assignment_accept(assignment_id=offer[0].pk, user=ada.user)
        question.refresh_from_db()
        routing.message_post(question=question, author=ada.user, role="expert", body=reply)
        routing.question_resolve(question_id=question.pk, actor=ada.user)
        question.refresh_from_db()
        rating_create(question=question, score=score, solved=solved, comment=comment, actor=carol)
    routing.presence_set(user=ada.user, status="offline")
    # The worker also does this when it delivers question.rated; the demo shows it at once.
    if not ExpertScore.objects.filter(expert=ada).exists():
        expert_score_recompute(expert_id=ada.pk, trigger=ExpertScore.Trigger.MANUAL)
    created.append("three rated conversations of Ada's (5, 4 and 2 stars)")
