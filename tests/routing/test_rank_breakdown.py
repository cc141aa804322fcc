"""rank writes out a breakdown only when it is read; it is the same as scoring one
candidate on its own."""

from __future__ import annotations

from routing import scoring


def features(expert_id: int, **values: float | None) -> scoring.CandidateFeatures:
    return scoring.CandidateFeatures(
        expert_id=expert_id,
        skill=values.pop("skill", 0.5) or 0.0,
        notes={"skill": "verified level 4 on this product"},
        **values,
    )


def test_a_ranked_breakdown_is_the_one_of_the_candidate_scored_alone() -> None:
    # given: an upset customer, so empathy counts, and one factor without data
    candidates = [
        features(1, activity=0.2, quality=None, load=1.0, empathy=0.9, text_fit=0.4),
        features(2, activity=0.7, quality=0.8, load=0.5, empathy=None, preferred=0.5),
    ]
    weights = {"activity": 12.0}
    # when
    ranked = scoring.rank(candidates, weights=weights, frustration=0.8, upset_at=0.5)
    # then
    assert [s.expert_id for s in ranked] == [2, 1]
    merged = scoring.merged_weights(weights)
    for scored in ranked:
        [alone] = [c for c in candidates if c.expert_id == scored.expert_id]
        expected = scoring.score_candidate(alone, weights=merged, frustration=0.8, upset_at=0.5)
        assert scored.score == expected.score
        assert scored.breakdown == expected.breakdown
    assert ranked[1].breakdown["empathy"]["points"] == 0.9
    assert ranked[0].breakdown["quality"]["points"] == 0.16
    assert ranked[1].breakdown["skill"]["note"] == "verified level 4 on this product"
