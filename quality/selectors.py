"""Reads for quality: ratings, scores, reviews and the brand's figures."""

from __future__ import annotations

from quality.models import Rating


def rating_for_question(*, question_id: int) -> Rating | None:
    return Rating.objects.filter(question_id=question_id).first()
