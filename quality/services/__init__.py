"""Quality services (writes). Import from here; the modules split by subdomain."""

from quality.services.ratings import rating_create, rating_reopen
from quality.services.scores import (
    expert_probation_decide,
    expert_score_parts,
    expert_score_recompute,
    expert_scores_recompute_all,
)

__all__ = [
    "expert_probation_decide",
    "expert_score_parts",
    "expert_score_recompute",
    "expert_scores_recompute_all",
    "rating_create",
    "rating_reopen",
]
