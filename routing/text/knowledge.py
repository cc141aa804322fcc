"""Find knowledge-base entries (FAQ, approved expert answers) that answer a new question.

``KnowledgeIndex(entries)`` takes ``(entry_id, question, answer)`` triples, or with a fourth
item the other ways customers ask the same thing (``KnowledgeEntry.phrasings``), and ranks the
entries for a new question. With the default install it compares all-MiniLM-L6-v2 sentence
embeddings (``routing/text/embeddings.py``: paraphrases with no word in common still meet).
Where that runtime is missing it falls back to TF-IDF cosine similarity of the entry's
question: 40 % from words and 60 % from character 2-4-grams within words (typos, inflections,
compounds such as "Reißverschluss"/"Reissverschluss"); on BANKING77 that mix beat word bigrams
and other n-gram ranges. An entry with many phrasings (12 or more) scores the mean of its best
three: several that come close make a surer match than one that happens to (on BANKING77, averaged
over three draws of held-out intents, that beat the best single phrasing, the mean of the
best 2, 5 or 12, a centroid, normalising by how tight or crowded each entry's phrasings are,
and mixing in TF-IDF). A handful of hand-written phrasings are deliberately different ways of
asking, so an entry with fewer scores the mean of its best one per four (the best alone up to
seven). With either backend, the answer text can only help: when the
question resembles the answer more than the entry's phrasings, a quarter of the score comes
from the answer; an empty answer never lowers a score. ``cached_index`` keeps the index of
each knowledge base version, so entries are embedded once per process, not once per
question.

Whether to answer automatically is a threshold on the best match's confidence
(``Match.confidence``: its score plus a share of its lead over the best entry with a
different answer, so two different answers almost tied are not quoted; the share is the
backend's ``MARGIN_WEIGHTS``):

- at or above the threshold: confident enough for the AI line to answer (still labelled as
  automated, with "Talk to an expert" one click away);
- below it: hand the question to a human, optionally showing the matches to the expert.

Each backend has its own margin weight and threshold (scores of the backends are not
comparable), chosen by ``bench/suggest_tune.py`` on ten tuning draws of BANKING77 (seeds 3
to 12, each with 10 intents held out of the knowledge base to play questions nobody has
answered), never on the three draws ``bench/suggest.py`` reports: the weight that answers
the most in-scope questions at >= 93 % accuracy (the default brand target) with <= 2 % of
out-of-scope questions answered, averaged over the draws; then the lowest threshold at
which the ten draws pooled keep those two limits. TF-IDF: twice the lead, 1.07 (29 %
answered, 0.980 right, 2.0 % out of scope answered). Sentence embeddings (``onnx``, the
default install, and ``torch``): a quarter of the lead, as before, and 0.90 (the pooled
draws give 0.895 at 52 % answered, 0.984 right, 2.0 %: the default stays, and thresholds
brands calibrated on this unchanged confidence stay valid). Other confidences tried on the
tuning draws did no better for the embeddings: the lead over the best other entry's single
nearest phrasing, the share of the ten nearest phrasings that belong to the best entry, and
a logistic model over the score, the lead and those (seeds 3 to 7: within a point of the
quarter lead, mostly below); the score less the entry's own typical score (how close its
phrasings come to each other), a point and a half ahead on seeds 3 to 7, tied it over all
ten (52.5 %). Out-of-scope questions whose intent has a close known neighbour score like
in-scope ones, whatever the combination.
Brands move from there with their own outcomes (``routing/services/knowledge.py``); triage
passes the brand's threshold to ``index.should_answer(matches, threshold)``, and always
sends frustrated customers to a person whatever the score. When a backend's confidence
changes meaning, the thresholds brands calibrated on it are dropped by a data migration
(``0012_tfidf_confidence_rescaled`` did so for TF-IDF).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from routing.text.embeddings import (
    ALIASES,
    BACKENDS,
    EmbeddingsUnavailable,
    embed,
    fall_back,
    text_backend,
)

# (entry id, question, answer) or (entry id, question, answer, other phrasings of the question)
Entry = tuple[int, str, str] | tuple[int, str, str, tuple[str, ...]]

AUTO_ANSWER_THRESHOLD = 1.07
EMBEDDINGS_AUTO_ANSWER_THRESHOLD = 0.90
EMBEDDING_BACKENDS = ("onnx", "torch")
AUTO_ANSWER_THRESHOLDS = {
    "tfidf": AUTO_ANSWER_THRESHOLD,
    "onnx": EMBEDDINGS_AUTO_ANSWER_THRESHOLD,
    "torch": EMBEDDINGS_AUTO_ANSWER_THRESHOLD,
}
ANSWER_WEIGHT = 0.25
# How much of the lead over the best entry with a different answer the confidence adds, per
# backend (see the module docstring for how each was chosen).
MARGIN_WEIGHTS = {"tfidf": 2.0, "onnx": 0.25, "torch": 0.25}
MARGIN_WEIGHT = MARGIN_WEIGHTS["onnx"]
WORD_WEIGHT = 0.4
# An entry with several phrasings scores the mean of its best PHRASINGS_WEIGHED: several that
# come close are surer than one that happens to (an entry with one phrasing scores it alone).
PHRASINGS_WEIGHED = 3
# ... once it has enough phrasings that three can be expected to come near any one wording
# (PHRASINGS_PER_WEIGHED per phrasing weighed). A handful of hand-written phrasings are
# deliberately different ways of asking: the best of them alone speaks, so adding one never
# lowers the score of a question asked exactly as the entry's own.
PHRASINGS_PER_WEIGHED = 4


def phrasings_weighed(count: int) -> int:
    """How many of an entry's ``count`` best phrasings its score is the mean of."""
    return max(1, min(PHRASINGS_WEIGHED, count // PHRASINGS_PER_WEIGHED))


@dataclass(frozen=True)
class Match:
    """One entry for one question. ``score`` is the similarity 0..1; ``confidence`` adds the
    backend's share (``MARGIN_WEIGHTS``) of the lead over the best entry with a different
    answer: one entry far ahead is safer to quote than two different answers almost tied."""

    entry_id: int
    score: float
    confidence: float = -1.0

    def __post_init__(self) -> None:
        if self.confidence < 0:
            object.__setattr__(self, "confidence", self.score)


def confidence(best: float, runner_up: float, backend: str = "onnx") -> float:
    """How sure the index is of its best entry: its score plus the backend's margin weight
    (``MARGIN_WEIGHTS``) times its lead over the best entry that answers differently."""
    return best + MARGIN_WEIGHTS[backend] * max(best - runner_up, 0.0)


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

    def __init__(
        self,
        entries: Sequence[Entry],
        backend: str | None = None,
        groups: list[str] | None = None,
    ) -> None:
        self.backend = ALIASES.get(backend or "", backend) or text_backend()
        if self.backend not in BACKENDS:
            raise ValueError(f"Unknown text backend {self.backend!r}.")
        self.auto_answer_threshold = AUTO_ANSWER_THRESHOLDS[self.backend]
        self.margin_weight = MARGIN_WEIGHTS[self.backend]
        self.ids = [int(entry[0]) for entry in entries]
        phrasings = [_phrasings(entry) for entry in entries]
        answers = [entry[2] for entry in entries]
        # One row per phrasing, an entry's rows side by side (see _per_entry).
        rows = [text for texts in phrasings for text in texts]
        self._counts = np.array([len(texts) for texts in phrasings], dtype=np.int64)
        self._starts = np.cumsum(self._counts) - self._counts
        self._row_entry = np.repeat(np.arange(len(entries)), self._counts)
        self._rank_in_entry = np.arange(len(rows)) - np.repeat(self._starts, self._counts)
        # How many of its best phrasings each entry is scored on (see phrasings_weighed).
        self._weighed = np.array([phrasings_weighed(int(n)) for n in self._counts], dtype=np.int64)
        # Entries that give the same answer are not rivals (see Match.confidence); an entry
        # without an answer is nobody's twin.
        keys = groups if groups is not None else [_answer_key(entry) for entry in entries]
        self._groups = np.array([hash(key) for key in keys], dtype=np.int64)
        self._words, self._chars = _vectorizers()
        self._questions: Any = None
        self._answers: Any = None
        self._answered = np.array([bool(answer.strip()) for answer in answers])
        if not entries:
            return
        if self.backend in EMBEDDING_BACKENDS:
            self._questions = embed(rows, backend=self.backend, remember=True)
            self._answers = np.zeros((len(entries), self._questions.shape[1]), dtype=np.float32)
            if self._answered.any():
                # An empty answer is never embedded: it cannot help, and costs a model run.
                answered = [answer for answer in answers if answer.strip()]
                self._answers[self._answered] = embed(answered, backend=self.backend, remember=True)
            return
        self._words.fit(rows + answers)
        self._chars.fit(rows + answers)
        self._questions = self._embed(rows)
        self._answers = self._embed(answers)
        # Transposed once here: scipy would otherwise convert them for every question (half
        # of a TF-IDF look-up's time on a knowledge base of 4,000 phrasings).
        self._questions_by_term = self._questions.T.tocsr()
        self._answers_by_term = self._answers.T.tocsr()

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
        if self.backend in EMBEDDING_BACKENDS:
            queries = embed(texts, backend=self.backend)
            to_questions = self._per_entry(queries @ self._questions.T)
            to_answers = (queries @ self._answers.T) * self._answered
            known = np.ones((len(texts), 1))
        else:
            queries = self._embed(texts)
            to_questions = self._per_entry((queries @ self._questions_by_term).toarray())
            to_answers = (queries @ self._answers_by_term).toarray()
            known = np.array([[self._known_share(text)] for text in texts])
        blended = (1 - ANSWER_WEIGHT) * to_questions + ANSWER_WEIGHT * to_answers
        return np.clip(np.maximum(to_questions, blended) * known, 0, 1)

    def _per_entry(self, rows: np.ndarray) -> np.ndarray:
        """Similarities to each phrasing (columns) to one score per entry: the mean of its
        best ``phrasings_weighed(count)`` phrasings (one to PHRASINGS_WEIGHED)."""
        if len(self._row_entry) == len(self.ids):
            return rows  # one phrasing each
        # Sort each row's columns by entry, best phrasing first within an entry; the entries'
        # blocks keep their places, so the first PHRASINGS_WEIGHED of each block are its best.
        entry_of = np.broadcast_to(self._row_entry, rows.shape)
        order = np.lexsort((-rows, entry_of), axis=-1)
        ranked = np.take_along_axis(rows, order, axis=-1)
        kept = np.where(self._rank_in_entry < self._weighed[self._row_entry], ranked, 0.0)
        sums = np.add.reduceat(kept, self._starts, axis=-1)
        return sums / self._weighed

    def should_answer(self, matches: list[Match], threshold: float | None = None) -> bool:
        """True when the best match is confident enough for the AI line to answer: its
        confidence reaches ``threshold`` (a brand's calibrated one) or the backend's own."""
        limit = self.auto_answer_threshold if threshold is None else threshold
        return bool(matches) and matches[0].confidence >= limit

    def confidences(self, scores: np.ndarray) -> np.ndarray:
        """The confidence of each entry of a score row (see :func:`confidence`), vectorised."""
        if scores.size == 0:
            return scores
        order = np.argsort(-scores, kind="stable")
        top = order[0]
        rivals = scores[self._groups != self._groups[top]]
        runner_up = float(rivals.max()) if rivals.size else 0.0
        lead = np.maximum(scores - runner_up, 0.0)
        # Only the best entry can lead; the others' confidence is their plain score.
        out = scores.copy()
        out[top] = scores[top] + self.margin_weight * lead[top]
        return out

    def best(self, text: str, k: int = 3, only: set[int] | None = None) -> list[Match]:
        """The ``k`` best entries for ``text``, best first; entries scoring 0 are left out.
        ``only`` limits them to these entry ids (one index per brand serves every product)."""
        return self.best_many([text], k=k, only=only)[0]

    def best_many(
        self, texts: list[str], k: int = 3, only: set[int] | None = None
    ) -> list[list[Match]]:
        """:meth:`best` for each text, in one pass through the model (``bench/suggest.py``
        measures the AI line's decision with it)."""
        matrix = self.score_matrix(texts)
        if only is not None:
            matrix = matrix * np.array([entry_id in only for entry_id in self.ids])
        out: list[list[Match]] = []
        for scores in matrix:
            if scores.size == 0 or k <= 0:
                out.append([])
                continue
            sure = self.confidences(scores)
            order = np.argsort(-scores, kind="stable")[:k]
            out.append(
                [
                    Match(self.ids[i], round(float(scores[i]), 4), round(float(sure[i]), 4))
                    for i in order
                    if scores[i] > 0
                ]
            )
        return out


def _phrasings(entry: Entry) -> list[str]:
    """The entry's question and its other phrasings, blank and repeated ones left out."""
    others = entry[3] if len(entry) > 3 else ()  # type: ignore[misc]
    texts = [text.strip() for text in (entry[1], *others)]
    return list(dict.fromkeys(text for text in texts if text)) or [entry[1]]


def _answer_key(entry: Entry) -> str:
    answer = " ".join(entry[2].lower().split())
    return answer if answer else f"\0entry {entry[0]}"


def should_answer_automatically(matches: list[Match]) -> bool:
    """True when the best match of a TF-IDF index is confident enough for the AI line to
    answer. Triage uses ``index.should_answer(matches, threshold)`` instead, which knows the
    index's backend and the brand's calibrated threshold."""
    return bool(matches) and matches[0].confidence >= AUTO_ANSWER_THRESHOLD


_cache: OrderedDict[tuple[str, tuple[Entry, ...]], KnowledgeIndex] = OrderedDict()
_cache_lock = threading.Lock()
CACHED_INDEXES = 32


def cached_index(entries: Sequence[Entry], backend: str | None = None) -> KnowledgeIndex:
    """The index of exactly these entries, built once per process: an edited, added or
    archived entry is a new key, so a stale index is never used. Keeps the most recent
    ``CACHED_INDEXES`` (one per brand and knowledge-base version)."""
    key = (backend or text_backend(), tuple(entries))
    with _cache_lock:
        index = _cache.get(key)
        if index is not None:
            _cache.move_to_end(key)
            return index
    try:
        index = KnowledgeIndex(list(entries), backend=key[0])
    except EmbeddingsUnavailable as error:
        key = (fall_back(error), key[1])
        index = KnowledgeIndex(list(entries), backend=key[0])
    with _cache_lock:
        _cache[key] = index
        while len(_cache) > CACHED_INDEXES:
            _cache.popitem(last=False)
    return index
