"""Text intelligence for triage: language, product, frustration, PII, knowledge base.

Pure Python over scikit-learn, VADER, lingua and phonenumbers; no Django models, so it
imports without a configured database. The routing app's triage task calls these functions
and logs only ids and scores, never the customer's text.
"""

from routing.text.frustration import Frustration, frustration
from routing.text.language import detect_language
from routing.text.redaction import Redaction, redact

__all__ = ["Frustration", "Redaction", "detect_language", "frustration", "redact"]
