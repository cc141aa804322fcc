"""HTML pages of quality: the expert's standing and history, reviews, the brand's figures."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from quality import scoring, selectors


@login_required
def expert_standing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/expert_standing.html",
        {
            "standings": selectors.expert_standing(user_id=request.user.pk),
            "handled": selectors.expert_handled_assignments(user_id=request.user.pk)[:100],
            "rules": selectors.tier_rules(),
            "weights": [
                (scoring.PART_LABELS[name], weight) for name, weight in scoring.WEIGHTS.items()
            ],
            "prior_weight": scoring.CSAT_PRIOR_WEIGHT,
            "low": (scoring.LOW_RUN_COUNT, scoring.LOW_RUN_WINDOW, scoring.LOW_RATING),
        },
    )
