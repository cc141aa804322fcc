"""The badges an expert can earn in a pool, and their written rules. Pure data, no database.

The standing page shows ``RULES`` word for word; quality.services.badges awards them from SQL
aggregates, on every score recompute (a rating, a review) and nightly. A badge is kept once
earned, with the date it was earned.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

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


def _filled(text: str | Promise, values: dict[str, object]) -> str:
    return str(text) % values


# The rule's words in the reader's language, with its numbers filled in when shown.
_lazy_filled = lazy(_filled, str)


@dataclass(frozen=True)
class BadgeRule:
    kind: str
    label: str | Promise
    rule: str | Promise


RULES: tuple[BadgeRule, ...] = (
    BadgeRule(
        "first_10",
        _("First 10 resolutions"),
        _lazy_filled(
            _("Resolve %(count)s conversations in this pool."), {"count": FIRST_RESOLUTIONS}
        ),
    ),
    BadgeRule(
        "top_rated_month",
        _("Top-rated month"),
        _lazy_filled(
            _(
                "Have the best customer rating of the pool over a calendar month (the Bayesian "
                "average, as in your score), with at least %(count)s ratings that month. "
                "Awarded after the month ends; it can be earned again every month."
            ),
            {"count": TOP_MONTH_MIN_RATINGS},
        ),
    ),
    BadgeRule(
        "calmer_customers",
        _("Calmer customers"),
        _lazy_filled(
            _(
                "Customers end your conversations calmer than they started, on average, over "
                "at least %(count)s conversations in which they wrote twice or more."
            ),
            {"count": CALMER_MIN_CONVERSATIONS},
        ),
    ),
)
