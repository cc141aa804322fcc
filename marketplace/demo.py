"""The named cast shared by demo data and tests (STYLE 29): Acme Outdoors and its people."""

from __future__ import annotations

DEMO_PASSWORD = "gigcx-demo-2026"  # noqa: S105 - printed by seed_demo, for local demos only
# Owners must use two-factor authentication, demo owners included: Sam's authenticator app
# holds this secret (base32). ``manage.py demo_totp`` prints its current code; it can also be
# typed into any authenticator app. Public on purpose, like the password: demos only.
DEMO_TOTP_SECRET = "GIGCXDEMOSAMPORTERACMEOUTDOORSXX"  # noqa: S105

BRAND = {
    "slug": "acme",
    "name": "Acme Outdoors",
    "tagline": "Gear for long days outside.",
    "languages": ["en", "de"],
}

# category -> [(product name, sku)]
CATALOGUE = {
    "Footwear": [("Trailblazer 2 Trail Shoe", "TB2"), ("Summit GTX Boot", "SGB")],
    "Tents": [("Ridgeline 2P Tent", "RL2"), ("Basecamp 4P Tent", "BC4")],
    "Packs": [("Daypack 22", "DP22"), ("Expedition 65", "EX65")],
}
SUBCATEGORIES = {"Footwear": ["Running"]}

STAFF = [
    ("sam@acme.example", "Sam Porter", "owner"),
    ("maya@acme.example", "Maya Lind", "manager"),
    ("quinn@acme.example", "Quinn Reyes", "qa"),
]

# email, display name, languages, capacity, status, [(product, level, verified)]
EXPERTS = [
    (
        "ada@example.com",
        "Ada Lovelace",
        ["en"],
        2,
        "approved",
        [("Trailblazer 2 Trail Shoe", 5, True), ("Summit GTX Boot", 3, False)],
    ),
    (
        "grace@example.com",
        "Grace Hopper",
        ["en", "de"],
        1,
        "approved",
        [("Ridgeline 2P Tent", 4, True), ("Basecamp 4P Tent", 4, True)],
    ),
    (
        "linus@example.com",
        "Linus Berg",
        ["de", "en"],
        3,
        "probation",
        [("Expedition 65", 4, False), ("Daypack 22", 5, True)],
    ),
    (
        "marie@example.com",
        "Marie Curie",
        ["fr", "en"],
        2,
        "applied",
        [("Summit GTX Boot", 4, False)],
    ),
]

CUSTOMERS = [("carol@example.com", "Carol Danvers"), ("dave@example.com", "Dave Park")]

# A product quiz staff wrote for the trail shoe (one correct choice per question).
QUIZ = {
    "title": "Trailblazer 2 essentials",
    "product": "Trailblazer 2 Trail Shoe",
    "level": 4,
    "pass_mark": 66,
    "cooldown_hours": 24,
    "questions": [
        (
            "How much heel-to-toe drop does the Trailblazer 2 have?",
            [("4 mm", False), ("8 mm", True), ("12 mm", False)],
        ),
        (
            "What should a customer do when the outsole lugs wear below 2 mm?",
            [
                ("Replace the shoe; grip on wet rock is gone", True),
                ("Glue new lugs on", False),
                ("Nothing, lugs do not matter", False),
            ],
        ),
        (
            "Which lacing trick stops heel slip on descents?",
            [("Straight bar lacing", False), ("A runner's loop (heel lock)", True)],
        ),
    ],
}

# A purchaser invited to the program who has not answered yet.
INVITATION = ("kim@example.com", ["Trailblazer 2 Trail Shoe", "Summit GTX Boot"])

# A pending application waiting in the review queue (Marie applied above).
APPLICATION = {
    "email": "marie@example.com",
    "products": [("Summit GTX Boot", 4), ("Trailblazer 2 Trail Shoe", 3)],
    "languages": ["en", "fr"],
    "motivation": "I have hiked the Tour du Mont Blanc twice in my Summit boots and answer "
    "gear questions in my local hiking club every week.",
}
