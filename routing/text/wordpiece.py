"""BERT's uncased WordPiece tokenizer in plain Python, for the ONNX sentence encoder.

all-MiniLM-L6-v2 reads the 30,522-token uncased vocabulary (``models/minilm-vocab.txt``, one
token a line, line number = token id). Tokenising a support message is a few hundred
microseconds here, so the ``tokenizers`` package (12 MB installed) is not needed.

The steps are the model's own: drop control characters and turn whitespace into spaces, put
spaces around CJK ideographs, lower-case and remove accents, split on whitespace and
punctuation, then split each word into the longest vocabulary pieces from the left
(continuations carry a ``##`` prefix); a word that cannot be split is ``[UNK]``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

VOCAB_PATH = Path(__file__).parent / "models" / "minilm-vocab.txt"
MAX_WORD_CHARS = 100

# CJK Unified Ideographs and their extensions: each ideograph is a word of its own.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    # Every non-alphanumeric ASCII printable counts ("$", "^", "`" are not Unicode P*).
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _clean(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in "\t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif code == 0 or code == 0xFFFD or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif _is_cjk(code):
            out.append(f" {char} ")
        else:
            out.append(char)
    return "".join(out)


def _strip_accents(word: str) -> str:
    return "".join(
        char for char in unicodedata.normalize("NFD", word) if unicodedata.category(char) != "Mn"
    )


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in _clean(text).lower().split():
        current = ""
        for char in _strip_accents(chunk):
            if _is_punctuation(char):
                if current:
                    words.append(current)
                    current = ""
                words.append(char)
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    """Text to token ids for one vocabulary. ``encode`` adds ``[CLS]`` and ``[SEP]``."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.unk = vocab["[UNK]"]
        self.cls = vocab["[CLS]"]
        self.sep = vocab["[SEP]"]
        self.pad = vocab["[PAD]"]

    @classmethod
    def from_file(cls, path: Path = VOCAB_PATH) -> WordPiece:
        tokens = path.read_text(encoding="utf-8").split("\n")
        return cls({token: index for index, token in enumerate(tokens) if token})

    def _pieces(self, word: str) -> list[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else f"##{word[start:end]}"
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def encode(self, text: str, max_length: int = 128) -> list[int]:
        """Token ids of ``text`` framed by ``[CLS]`` and ``[SEP]``, cut to ``max_length``."""
        ids: list[int] = []
        for word in _words(text):
            ids.extend(self._pieces(word))
            if len(ids) >= max_length - 2:
                break
        return [self.cls, *ids[: max_length - 2], self.sep]


@lru_cache(maxsize=1)
def minilm_tokenizer() -> WordPiece:
    return WordPiece.from_file()
