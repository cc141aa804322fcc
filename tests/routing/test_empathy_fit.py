"""Empathy fit in routing: for an upset customer, an expert with whom upset customers end
calmer outranks an otherwise equal one; for a calm customer it makes no difference."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import Expert
from quality.services import expert_score_recompute
from routing import scoring
from routing.selectors import expert_candidates_for_question, routing_settings_for
from routing.text import frustration_threshold
from tests.quality.conftest import CALM, UPSET, converse_through_routing


def twins(ada_empathy: float | None, grace_empathy: float | None) -> list[Any]:
    """Two candidates equal in everything but empathy fit (grace has the lower id, so she
    wins every tie)."""
    common = {
        "skill": 1.0,
        "activity": 0.3,
        "quality": 0.8,
        "load": 0.5,
        "fairness": 0.7,
        "text_fit": None,
    }
    return [
        scoring.CandidateFeatures(expert_id=2, empathy=ada_empathy, **common),
        scoring.CandidateFeatures(expert_id=1, empathy=grace_empathy, **common),
    ]


def test_for_an_upset_question_the_better_empathy_fit_outranks_an_otherwise_equal_expert() -> None:
    ranked = scoring.rank(twins(0.9, 0.4), frustration=0.7, upset_at=0.19)
    assert [s.expert_id for s in ranked] == [2, 1]
    assert ranked[0].breakdown["empathy"]["weight"] == scoring.DEFAULT_WEIGHTS["empathy"]
    assert ranked[0].score - ranked[1].score == pytest.approx(0.5 * 1.0, abs=1e-3)


def test_for_a_calm_question_empathy_fit_makes_no_difference() -> None:
    ranked = scoring.rank(twins(0.9, 0.4), frustration=0.1, upset_at=0.19)
    # a tie: the lower id first, as if empathy fit were not there
    assert [s.expert_id for s in ranked] == [1, 2]
    assert ranked[0].score == ranked[1].score
    assert ranked[0].breakdown["empathy"]["weight"] == 0.0
    assert ranked[0].breakdown["empathy"]["points"] == 0.0


def test_upset_means_at_or_above_the_threshold_given() -> None:
    assert scoring.empathy_weight(1.0, 0.19, 0.19) == 1.0
    assert scoring.empathy_weight(1.0, 0.189, 0.19) == 0.0


@pytest.mark.django_db
def test_routing_reads_the_empathy_fit_quality_wrote_down(
    cast: Any, ask: Any, online: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given: with ada, an upset customer ended calm; quality recomputed her score
    with django_capture_on_commit_callbacks(execute=True):
        converse_through_routing(cast, ask, cast.ada, [UPSET, CALM])
    expert_score_recompute(expert_id=cast.ada_expert.pk)
    ada = Expert.objects.get(pk=cast.ada_expert.pk)
    assert ada.empathy_fit is not None
    assert float(ada.empathy_fit) > 0.5
    online(cast.ada)

    # when: an upset question looks for candidates and is ranked as routing ranks it
    question = ask(UPSET)
    candidates = expert_candidates_for_question(
        question=question, step=1, settings=routing_settings_for(cast.acme.pk)
    )

    # then
    features = {c.expert.pk: c.features for c in candidates}[ada.pk]
    assert features.empathy == pytest.approx(float(ada.empathy_fit))
    assert "upset customers" in features.notes["empathy"]
    upset = scoring.rank([features], frustration=0.7, upset_at=frustration_threshold())[0]
    calm = scoring.rank([features], frustration=0.05, upset_at=frustration_threshold())[0]
    assert upset.breakdown["empathy"]["points"] > 0
    assert calm.breakdown["empathy"]["points"] == 0.0
