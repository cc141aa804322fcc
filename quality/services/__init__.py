"""Quality services (writes). Import from here; the modules split by subdomain."""

from quality.services.badges import badges_award, badges_award_top_rated_month
from quality.services.leaderboard import leaderboard_opt_set
from quality.services.ratings import rating_create, rating_reopen
from quality.services.reviews import (
    quality_settings_update,
    review_enqueue_low_rating,
    review_sample,
    review_submit,
)
from quality.services.rollup import metrics_rollup, metrics_rollup_day
from quality.services.scores import (
    expert_probation_decide,
    expert_score_parts,
    expert_score_recompute,
    expert_scores_recompute_all,
)

__all__ = [
    "badges_award",
    "badges_award_top_rated_month",
    "leaderboard_opt_set",
    "expert_probation_decide",
    "expert_score_parts",
    "expert_score_recompute",
    "expert_scores_recompute_all",
    "metrics_rollup",
    "metrics_rollup_day",
    "quality_settings_update",
    "rating_create",
    "rating_reopen",
    "review_enqueue_low_rating",
    "review_sample",
    "review_submit",
]
