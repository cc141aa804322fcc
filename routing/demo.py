"""Demo data of the routing app: Acme's knowledge base and routing settings (seed_demo)."""

from __future__ import annotations

from typing import Any

from marketplace.models import Brand, Product
from routing import services
from routing.models import CannedReply, KnowledgeEntry, RoutingSettings

FAQ = [
    (
        None,
        "What is your return policy?",
        "You can return unused gear within 60 days for a full refund, and worn footwear within "
        "30 days if it has a manufacturing fault. Start a return from your order page.",
    ),
    (
        "Trailblazer 2 Trail Shoe",
        "How do I clean the Trailblazer 2?",
        "Rinse mud off with lukewarm water and a soft brush, remove the insoles, and let the shoes "
        "dry at room temperature away from radiators. Do not machine-wash them.",
    ),
    (
        "Ridgeline 2P Tent",
        "Is the Ridgeline 2P waterproof?",
        "Yes: the fly has a 3000 mm hydrostatic head and taped seams. Pitch the fly tight and "
        "re-proof it every couple of seasons with a silicone spray.",
    ),
    (
        None,
        "How long does delivery take?",
        "Orders ship within one working day; delivery takes 2-4 working days in the EU.",
    ),
]


CANNED_REPLIES = [
    (
        "Start a return",
        "I'm sorry the gear let you down. You can start a return from your order page; "
        "we refund as soon as it reaches us.",
    ),
    (
        "Replacement on its way",
        "We are sending you a replacement today at no cost; you do not need to send the old "
        "one back.",
    ),
]


def seed(*, brand: Brand, actor: Any, created: list[str]) -> None:
    for title, body in CANNED_REPLIES:
        if not CannedReply.objects.filter(brand=brand, title=title).exists():
            services.canned_reply_create(brand=brand, actor=actor, title=title, body=body)
            created.append(f"canned reply '{title}'")
    RoutingSettings.objects.get_or_create(brand=brand)
    for product_name, question, answer in FAQ:
        if KnowledgeEntry.objects.filter(brand=brand, question=question).exists():
            continue
        product = (
            Product.objects.filter(brand=brand, name=product_name).first() if product_name else None
        )
        services.knowledge_entry_create(
            brand=brand,
            question=question,
            answer=answer,
            actor=actor,
            product_id=product.pk if product else None,
        )
        created.append(f"knowledge entry '{question}'")
