"""Redaction recall and precision on the golden corpora (tests/routing/test_redaction*.py).

Counts placeholders: a placeholder the corpus expects and redact() produced is a true
positive; one it produced that the corpus does not expect is a false positive (something an
expert needed was masked); one it missed is a false negative (personal data reached an
expert). Sentences are the corpus's own, so this measures the detectors, not a sample.

Run: python bench/redaction.py
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from routing.text import redact  # noqa: E402
from routing.text.redaction import PLACEHOLDERS  # noqa: E402
from tests.routing import test_redaction, test_redaction_support  # noqa: E402

PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
KIND = {placeholder: kind for kind, placeholder in PLACEHOLDERS.items()}


def placeholders(text: str) -> Counter[str]:
    return Counter(KIND[m.group()] for m in PLACEHOLDER.finditer(text))


def main() -> int:
    cases = [
        *test_redaction.MASKED,
        *((kept, kept) for kept in test_redaction.KEPT),
        *test_redaction_support.SUPPORT_MASKED,
        *((kept, kept) for kept in test_redaction_support.SUPPORT_KEPT),
    ]
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    exact = 0
    for written, expected in cases:
        got = redact(written).text
        exact += got == expected
        want, have = placeholders(expected), placeholders(got)
        for kind in PLACEHOLDERS:
            tp[kind] += min(want[kind], have[kind])
            fp[kind] += max(0, have[kind] - want[kind])
            fn[kind] += max(0, want[kind] - have[kind])
    print(f"redaction on {len(cases)} golden sentences: {exact} exactly as expected")
    print(f"  {'kind':<8} {'expected':>8} {'recall':>7} {'precision':>9}")
    for kind in [*PLACEHOLDERS, "all"]:
        t = sum(tp.values()) if kind == "all" else tp[kind]
        p = sum(fp.values()) if kind == "all" else fp[kind]
        n = sum(fn.values()) if kind == "all" else fn[kind]
        recall = t / (t + n) if t + n else 1.0
        precision = t / (t + p) if t + p else 1.0
        print(f"  {kind:<8} {t + n:>8} {recall:>7.3f} {precision:>9.3f}")
    print(
        "  (the detectors were written against these sentences: the figures show that nothing\n"
        "  regressed, not how they do on text nobody has seen)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
