"""Find knowledge-base entries (FAQ, approved expert answers) that answer a new question.

``KnowledgeIndex(entries)`` takes ``(entry_id, question, answer)`` triples and ranks them for a
new question by TF-IDF cosine similarity of the entry's question: 40 % from words and 60 %
from character 2-4-grams within words (typos, inflections, compounds such as
"Reißverschluss"/"Reissverschluss"); on BANKING77 that mix beat word bigrams and other
n-gram ranges. The answer text can only help: when
the question resembles the answer more than the entry's question, a quarter of the score
comes from the answer; an empty answer never lowers a score.

Whether to answer automatically is a threshold on the best match's score:

- ``score >= AUTO_ANSWER_THRESHOLD``: confident enough for the AI line to answer (still
  labelled as automated, with "Talk to an expert" one click away);
- below it: hand the question to a human, optionally showing the matches to the expert.

``AUTO_ANSWER_THRESHOLD`` = 0.7 comes from ``bench/suggest.py`` on BANKING77 (intent
accuracy of the top suggestion against the share of questions answered): at 0.7 the
automatic answers were right nine times in ten (0.90) and about 38 % of questions were
answered; at 0.6 accuracy fell to 0.85 for 64 %, at 0.8 it rose to 0.94 for 17 %. Brands
with a well-kept knowledge base can lower it; the decision always belongs to triage, which
also sends frustrated customers to a human whatever the score.

With ``GIGCX_TEXT_BACKEND=embeddings`` (optional extra ``ml``) the same interface ranks by
the cosine of all-MiniLM-L6-v2 sentence embeddings instead, with its own threshold
``EMBEDDINGS_AUTO_ANSWER_THRESHOLD`` (scores of the two backends are not comparable); use
``index.auto_answer_threshold`` and ``index.should_answer(matches)`` rather than either
constant. Same benchmark: top-1 intent accuracy 0.895 (TF-IDF 0.779); at 0.7 it answers
97 % of questions and is right 0.91 of the time, at 0.8 it answers 84 % with 0.94 right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from routing.text.embeddings import BACKENDS, embed, text_backend

Entry = tuple[int, str, str]

AUTO_ANSWER_THRESHOLD = 0.7
EMBEDDINGS_AUTO_ANSWER_THRESHOLD = 0.7
ANSWER_WEIGHT = 0.25
WORD_WEIGHT = 0.4


@dataclass(frozen=True)
class Match:
    entry_id: int
    score: float


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 1),
        lowercase=True,
        strip_accents="unicode",
        sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regular expression, not a password
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        lowercase=True,
        strip_accents="unicode",
        sublinear_tf=True,
    )
    return words, chars


class KnowledgeIndex:
    """An in-memory index of one brand's knowledge base. Build it once per brand and
    knowledge-base version; ``best`` is cheap. Never logs text.

    ``backend`` is ``"tfidf"`` or ``"embeddings"``; by default GIGCX_TEXT_BACKEND decides.
    """

    def __init__(self, entries: list[Entry], backend: str | None = None) -> None:
        self.backend = backend or text_backend()
        if self.backend not in BACKENDS:
            raise ValueError(f"Unknown text backend {self.backend!r}.")
        self.auto_answer_threshold = (
            EMBEDDINGS_AUTO_ANSWER_THRESHOLD
            if self.backend == "embeddings"
            else AUTO_ANSWER_THRESHOLD
        )
        self.ids = [int(entry_id) for entry_id, _, _ in entries]
        questions = [question for _, question, _ in entries]
        answers = [answer for _, _, answer in entries]
        self._words, self._chars = _vectorizers()
        self._questions: Any = None
        self._answers: Any = None
        self._answered = np.array([bool(answer.strip()) for answer in answers])
        if not entries:
            return
        if self.backend == "embeddings":
            self._questions = embed(questions)
            self._answers = embed(answers)
            return
        self._words.fit(questions + answers)
        self._chars.fit(questions + answers)
        self._questions = self._embed(questions)
        self._answers = self._embed(answers)

    def _embed(self, texts: list[str]) -> Any:
        # Each part is L2-normalised; scaling by the square roots of the weights keeps the
        # joined row at length 1, so a dot product is the weighted mean of the two cosines.
        return hstack(
            [
                self._words.transform(texts) * np.sqrt(WORD_WEIGHT),
                self._chars.transform(texts) * np.sqrt(1 - WORD_WEIGHT),
            ]
        ).tocsr()

    def _known_share(self, text: str) -> float:
        """Share of the text's words and character n-grams the index has seen.

        TF-IDF silently drops terms it does not know, so "my parrot ate the tent pegs" would
        look like a perfect match for an entry about tents. Scaling by the square root of the
        known share is what the cosine would be if each unknown term weighed as much as a
        known one (a lower bound on the penalty: unknown terms are rarer still).
        """
        shares = []
        for vectorizer in (self._words, self._chars):
            terms = vectorizer.build_analyzer()(text)
            if terms:
                known = sum(term in vectorizer.vocabulary_ for term in terms)
                shares.append(known / len(terms))
        return float(np.sqrt(np.mean(shares))) if shares else 0.0

    def score_matrix(self, texts: list[str]) -> np.ndarray:
        """Similarity 0..1 of each text (rows) with every entry (columns, in entry order)."""
        if self._questions is None or not texts:
            return np.zeros((len(texts), len(self.ids)))
        if self.backend == "embeddings":
            queries = embed(texts)
            to_questions = queries @ self._questions.T
            to_answers = (queries @ self._answers.T) * self._answered
            known = np.ones((len(texts), 1))
        else:
            queries = self._embed(texts)
            to_questions = (queries @ self._questions.T).toarray()
            to_answers = (queries @ self._answers.T).toarray()
            known = np.array([[self._known_share(text)] for text in texts])
        blended = (1 - ANSWER_WEIGHT) * to_questions + ANSWER_WEIGHT * to_answers
        return np.clip(np.maximum(to_questions, blended) * known, 0, 1)

    def should_answer(self, matches: list[Match]) -> bool:
        """True when the best match is confident enough for the AI line to answer."""
        return bool(matches) and matches[0].score >= self.auto_answer_threshold

    def best(self, text: str, k: int = 3) -> list[Match]:
        """The ``k`` best entries for ``text``, best first; entries scoring 0 are left out."""
        scores = self.score_matrix([text])[0]
        if scores.size == 0 or k <= 0:
            return []
        order = np.argsort(-scores, kind="stable")[:k]
        return [Match(self.ids[i], round(float(scores[i]), 4)) for i in order if scores[i] > 0]


def should_answer_automatically(matches: list[Match]) -> bool:
    """True when the best match of a default (TF-IDF) index is confident enough for the AI
    line to answer; with a configurable backend prefer ``index.should_answer(matches)``."""
    return bool(matches) and matches[0].score >= AUTO_ANSWER_THRESHOLD
