"""Text intelligence for triage: language, product, frustration, PII, knowledge base.

    redact(text) -> Redaction(text, kinds)
    detect_language(text, allowed) -> (code | None, confidence)
    frustration(text) -> Frustration(score, urgency, signals); frustration_threshold()
    guess_product(text, [(product_id, name, aliases)]) -> (product_id | None, confidence)
    KnowledgeIndex([(entry_id, question, answer)]).best(text, k=3) -> [Match(entry_id, score)]
    index.should_answer(matches) / index.auto_answer_threshold

Pure Python over scikit-learn, VADER, lingua, phonenumbers and onnxruntime; no Django
models, so it imports without a configured database. The routing app's triage task calls
these functions and logs only ids, scores and signal names, never the customer's text.
Scores are 0..1 (a match's confidence adds a share of its lead: a quarter with the
embeddings, twice it with TF-IDF). The knowledge
index compares sentence embeddings (all-MiniLM-L6-v2 on onnxruntime) where that runtime is
installed, as it is by default, and TF-IDF otherwise (``GIGCX_TEXT_BACKEND``, see
``embeddings.py``); language, product, frustration and PII do not change with it.
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
from routing.text.redaction import Redaction, mask_cards, redact

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
    "mask_cards",
    "redact",
    "should_answer_automatically",
]
