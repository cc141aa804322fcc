"""The badges an expert can earn in a pool, and their written rules. Pure data, no database.

The standing page shows ``RULES`` word for word; quality.services.badges awards them from SQL
aggregates, on every score recompute (a rating, a review) and nightly. A badge is kept once
earned, with the date it was earned.
"""

from __future__ import annotations

from dataclasses import dataclass

# First 10 resolutions: conversations she resolved in this pool, ever.
FIRST_RESOLUTIONS = 10
# Top-rated month: the best Bayesian CSAT of the pool over the last calendar month (ratings
# shrunk towards the pool's mean of that month, quality.scoring.CSAT_PRIOR_WEIGHT), among
# experts with at least this many ratings that month. One expert a month; ties go to the one
# with more ratings.
TOP_MONTH_MIN_RATINGS = 5
# Calmer customers: positive mean sentiment lift over at least this many conversations
# (those with two customer messages or more, in the score's window).
CALMER_MIN_CONVERSATIONS = 10


@dataclass(frozen=True)
class BadgeRule:
    kind: str
    label: str
    rule: str


RULES: tuple[BadgeRule, ...] = (
    BadgeRule(
        "first_10",
        "First 10 resolutions",
        f"Resolve {FIRST_RESOLUTIONS} conversations in this pool.",
    ),
    BadgeRule(
        "top_rated_month",
        "Top-rated month",
        "Have the best customer rating of the pool over a calendar month (the Bayesian "
        f"average, as in your score), with at least {TOP_MONTH_MIN_RATINGS} ratings that "
        "month. Awarded after the month ends; it can be earned again every month.",
    ),
    BadgeRule(
        "calmer_customers",
        "Calmer customers",
        "Customers end your conversations calmer than they started, on average, over at "
        f"least {CALMER_MIN_CONVERSATIONS} conversations in which they wrote twice or more.",
    ),
)
