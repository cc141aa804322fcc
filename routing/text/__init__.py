"""Text intelligence for triage: language, product, frustration, PII, knowledge base.

Pure Python over scikit-learn, VADER, lingua and phonenumbers; no Django models, so it
imports without a configured database. The routing app's triage task calls these functions
and logs only ids and scores, never the customer's text.
"""

from routing.text.frustration import Frustration, frustration, frustration_threshold
from routing.text.knowledge import (
    AUTO_ANSWER_THRESHOLD,
    KnowledgeIndex,
    Match,
    should_answer_automatically,
)
from routing.text.language import detect_language
from routing.text.products import guess_product
from routing.text.redaction import Redaction, redact

__all__ = [
    "AUTO_ANSWER_THRESHOLD",
    "Frustration",
    "KnowledgeIndex",
    "Match",
    "Redaction",
    "detect_language",
    "frustration",
    "frustration_threshold",
    "guess_product",
    "redact",
    "should_answer_automatically",
]
