"""How frustrated and how urgent a customer sounds.

``frustration(text)`` scores a message with a small logistic regression over hand-made
features: VADER (``vaderSentiment``) compound and negative share, profanity, insults, shouting
in capitals, exclamation marks, repeated punctuation, negations, and support-specific cues
(repeat contact such as "third time" or "still not", complaints such as "unacceptable",
"cancel", "refund", and sarcasm such as "great, just great"). The coefficients live in
``models/frustration.json``; ``python manage.py train_frustration`` refits them on the public
GoEmotions data (Apache-2.0) and picks the threshold on its dev split.

Urgency has no public training data, so it is a documented rule: explicit urgency words
("urgent", "asap", "sofort") weigh most, time pressure ("today", "tomorrow") less, and a
frustrated customer adds to it.

VADER and most cues are English; German, French and Spanish are covered only by the cue and
profanity lists and by punctuation and capitals, so expect lower scores there.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

MODEL_PATH = Path(__file__).resolve().parent / "models" / "frustration.json"


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


_PROFANITY = _words(
    r"fuck\w*",
    r"f+u+c+k+\w*",
    r"shit\w*",
    r"bullshit",
    r"crap\w*",
    r"damn\w*",
    r"dammit",
    r"goddamn\w*",
    r"ass(?:hole)?s?",
    r"bitch\w*",
    r"bastards?",
    r"piss\w*",
    r"wtf",
    r"stfu",
    r"ffs",
    r"dick(?:head)?s?",
    r"scheiß\w*",
    r"scheiss\w*",
    r"mist",
    r"verdammt\w*",
    r"kacke",
    r"arsch\w*",
    r"merde",
    r"putain",
    r"mierda",
    r"joder",
    r"cazzo",
)
_INSULT = _words(
    r"stupid\w*",
    r"idiot\w*",
    r"moron\w*",
    r"dumb\w*",
    r"useless",
    r"pathetic",
    r"incompetent",
    r"clowns?",
    r"garbage",
    r"trash",
    r"joke",
    r"ridiculous",
    r"absurd",
    r"sucks?",
    r"dumm\w*",
    r"unfähig\w*",
    r"lächerlich\w*",
    r"nutzlos\w*",
)
_NEGATIVE = _words(
    r"wrong",
    r"bad(?:ly)?",
    r"worse",
    r"hate[sd]?",
    r"annoy\w*",
    r"terrible",
    r"awful",
    r"horrible",
    r"disgust\w*",
    r"shame(?:ful)?",
    r"ugh+",
    r"sick of",
    r"fed up",
    r"tired of",
    r"can't believe",
    r"cannot believe",
    r"how dare",
    r"should(?:n't| not)? have",
    r"fault",
    r"broken",
    r"failed?",
    r"problem",
    r"schlecht\w*",
    r"ärger\w*",
    r"nervig\w*",
    r"kaputt\w*",
)
_REPEAT_CONTACT = _words(
    r"(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th) time",
    r"(?:three|four|five|several|many|multiple) times",
    r"again and again",
    r"once again",
    r"yet again",
    r"still (?:not|no|nothing|waiting|haven't|hasn't|isn't|doesn't|don't|broken)",
    r"no (?:one|body) (?:has )?(?:answer\w*|repl\w*|respond\w*|help\w*|call\w*)",
    r"nobody",
    r"no (?:response|reply|answer)",
    r"for (?:days|weeks|months)",
    r"(?:days|weeks|months) (?:now|later|ago)",
    r"immer noch (?:nicht|kein\w*)",
    r"schon wieder",
    r"zum (?:zweiten|dritten|vierten|x-ten) mal",
    r"das (?:zweite|dritte|vierte|x-te) mal",
    r"seit (?:tagen|wochen|monaten)",
    r"toujours pas",
    r"todavía no",
)
_COMPLAINT = _words(
    r"unacceptable",
    r"outrage\w*",
    r"disappoint\w*",
    r"furious",
    r"angry",
    r"pissed off",
    r"cancel\w*",
    r"refund\w*",
    r"money back",
    r"chargeback",
    r"never (?:again|buying|ordering)",
    r"waste of (?:time|money)",
    r"worst",
    r"complain\w*",
    r"lawyer",
    r"scam\w*",
    r"rip-?off",
    r"unverschämt\w*",
    r"frechheit",
    r"inakzeptabel",
    r"enttäusch\w*",
    r"katastroph\w*",
    r"kündig\w*",
    r"erstattung",
    r"geld zurück",
    r"beschwerde",
    r"inadmissible",
    r"inaceptable",
    r"remboursement",
    r"reembolso",
)
_SARCASM = re.compile(
    r"(?:great|perfect|wonderful|fantastic|brilliant|awesome|lovely|nice),? (?:just |really )?"
    r"(?:great|perfect|wonderful|fantastic|brilliant|awesome|lovely|nice)\b"
    r"|\b(?:thanks|thank you) for nothing\b"
    r"|\byeah,? right\b"
    r"|\boh,? (?:great|perfect|wonderful|joy|brilliant)\b"
    r"|\b(?:love|loving) how\b"
    r"|\bwhat a (?:joke|surprise|service)\b"
    r"|\bso helpful\b.*(?:not|never|\?)"
    r"|\bclearly\b.*\bnot\b"
    r"|\bna toll\b|\bsuper,? echt\b|\bvielen dank auch\b",
    re.IGNORECASE,
)
_NEGATION = _words(r"not", r"\w+n't", r"never", r"no", r"nothing", r"nicht", r"kein\w*", r"nie")
_YOU = _words(r"you", r"your", r"you're", r"yourself", r"ihr", r"sie", r"euch")
_URGENT = _words(
    r"urgent\w*",
    r"asap",
    r"immediately",
    r"right now",
    r"right away",
    r"as soon as possible",
    r"emergency",
    r"dringend\w*",
    r"sofort",
    r"eilig",
    r"notfall",
    r"urgente",
    r"inmediatamente",
)
_TIME_PRESSURE = _words(
    r"today",
    r"tonight",
    r"tomorrow",
    r"deadline",
    r"this (?:morning|afternoon|evening|week)",
    r"before (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend)",
    r"heute",
    r"morgen",
    r"aujourd'hui",
    r"demain",
    r"hoy",
    r"mañana",
)
_CAPS_WORD = re.compile(r"\b[A-ZÄÖÜ]{3,}\b")
_WORD = re.compile(r"\b\w+\b")
_REPEATED_PUNCTUATION = re.compile(r"[!?]{2,}|\.{4,}|\?!|!\?")

FEATURES = (
    "vader_compound",
    "vader_negative",
    "vader_positive",
    "vader_negative_part",
    "profanity",
    "insult",
    "negative_words",
    "all_caps",
    "exclamation",
    "repeated_punctuation",
    "question",
    "negation",
    "second_person",
    "repeat_contact",
    "complaint",
    "short",
)

# Which features, when present, are reported as signals (names only; safe to log).
_SIGNAL_FEATURES = {
    "profanity": "profanity",
    "insult": "insult",
    "all_caps": "shouting",
    "repeated_punctuation": "repeated_punctuation",
    "repeat_contact": "repeat_contact",
    "complaint": "complaint",
}


@dataclass(frozen=True)
class Frustration:
    """``score``: probability-like 0..1 that the customer is frustrated; ``urgency``: 0..1;
    ``signals``: names of the cues that fired, in a fixed order (no customer text)."""

    score: float
    urgency: float
    signals: list[str]


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _capped(count: int, cap: int) -> float:
    return min(count, cap) / cap


def features(text: str) -> dict[str, float]:
    """The model's inputs for ``text``, each roughly in 0..1 (compound in -1..1)."""
    vader = _vader().polarity_scores(text)
    words = _WORD.findall(text)
    long_words = [word for word in words if len(word) >= 3 and not word.isdigit()]
    caps = _CAPS_WORD.findall(text)
    # One capitalised acronym ("GPS", "USB") is not shouting; a run of them is.
    shouting = len(caps) >= 2 and len(caps) >= 0.3 * max(len(long_words), 1)
    return {
        "vader_compound": vader["compound"],
        "vader_negative": vader["neg"],
        "vader_positive": vader["pos"],
        "vader_negative_part": max(0.0, -vader["compound"]),
        "profanity": _capped(len(_PROFANITY.findall(text)), 2),
        "insult": _capped(len(_INSULT.findall(text)), 2),
        "negative_words": _capped(len(_NEGATIVE.findall(text)), 3),
        "all_caps": float(shouting),
        "exclamation": _capped(text.count("!"), 3),
        "repeated_punctuation": float(bool(_REPEATED_PUNCTUATION.search(text))),
        "question": float("?" in text),
        "negation": _capped(len(_NEGATION.findall(text)), 3),
        "second_person": _capped(len(_YOU.findall(text)), 2),
        "repeat_contact": _capped(len(_REPEAT_CONTACT.findall(text)), 2),
        # Sarcasm is too rare on Reddit to earn a weight of its own; in support chat it is a
        # complaint, so it counts as one.
        "complaint": _capped(len(_COMPLAINT.findall(text)) + len(_SARCASM.findall(text)), 2),
        "short": float(len(words) <= 3),
    }


@dataclass(frozen=True)
class FrustrationModel:
    weights: dict[str, float]
    intercept: float
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(self.weights[name] * values[name] for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self, **about: Any) -> str:
        payload = {
            **about,
            "features": list(FEATURES),
            "weights": {name: round(self.weights[name], 6) for name in FEATURES},
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 4),
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def load_model(path: Path = MODEL_PATH) -> FrustrationModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    if set(data["weights"]) != set(FEATURES):
        # A model trained on other features would silently score nonsense.
        raise ValueError(f"{path.name} was trained on other features; run train_frustration.")
    return FrustrationModel(
        weights={name: float(value) for name, value in data["weights"].items()},
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
    )


@lru_cache(maxsize=1)
def _model() -> FrustrationModel:
    return load_model()


def frustration_threshold() -> float:
    """Score at or above which a customer counts as frustrated (chosen on GoEmotions dev)."""
    return _model().threshold


def urgency_of(text: str, score: float) -> float:
    """Rule-based: urgency words 0.45 each (up to two), time pressure 0.2 each (up to two),
    plus a quarter of the frustration score; capped at 1."""
    urgent = min(len(_URGENT.findall(text)), 2)
    pressing = min(len(_TIME_PRESSURE.findall(text)), 2)
    return round(min(1.0, 0.45 * urgent + 0.2 * pressing + 0.25 * score), 4)


def frustration(text: str) -> Frustration:
    """Score how frustrated and how urgent ``text`` sounds. Never logs the text."""
    values = features(text)
    score = _model().probability(values)
    signals = [signal for name, signal in _SIGNAL_FEATURES.items() if values[name] > 0]
    if values["vader_compound"] <= -0.5:
        signals.insert(0, "negative_sentiment")
    if _SARCASM.search(text):
        signals.append("sarcasm")
    if _URGENT.search(text):
        signals.append("urgent")
    return Frustration(round(score, 4), urgency_of(text, score), signals)
