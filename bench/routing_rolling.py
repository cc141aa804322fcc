"""Routing defaults chosen on more tuning data: rolling-origin tuning over each site's history.

bench/routing_sites.py tunes on one period per site (questions 40-70% by date: 51 answerable
questions on coffee, 92 on matheducators), too few to tell a setting from its neighbours.
This replays every earlier question as well, in six blocks of 10% (questions 10-20%, ...,
60-70% by date). Each block is replayed as the evaluation period is: its candidates are the
people who answered before the block began, its features count only answers dated before
each question. The evaluation period (70-100%) stays untouched while choosing and is only
reported.

Two rankings are searched on a grid, both over the product's own activity feature
(``scoring.activity_score`` at the stored half-life, RECENCY_HALF_LIFE_QUESTIONS, with its log
unit and latest-resolution share):

- the weighted sum of ``scoring.rank`` (activity weight 10; skill, quality, text fit);
- near-ties: recency first. Walking down by activity, a group holds everyone within ``band``
  of the group's first expert; only inside a group do skill, quality or text fit re-order.
  With weak evidence it is the activity ranking itself.

The objective is the worst of the eight margins (two sites by hit@1, hit@5, hit@10, MRR,
each minus the better recency baseline on that figure), then their mean, then the earlier
setting in the grid. A steadier objective is printed too: the mean of the worst margin over
resamples of the tuning questions. The choice is then measured in two ways the search cannot
see: nested cross-validation over the blocks (leave one block out; forward chaining, earlier
blocks only), and the evaluation period with paired bootstrap intervals.

Run: python bench/routing_rolling.py   (data: $GIGCX_DATASETS_DIR, default ../shared/datasets;
about 40 s of CPU)
"""

from __future__ import annotations

import sys
import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import routing_se as se  # noqa: E402
import routing_sites as sites_bench  # noqa: E402  # the sites, windows and baselines

from routing import scoring  # noqa: E402

BLOCKS = tuple((i / 10, (i + 1) / 10) for i in range(1, 7))  # questions 10-20% .. 60-70%
EVALUATION = (se.HISTORY_SHARE, 1.0)
# The activity feature's half-life is stored with every expert (Expert.recency_key): a new
# value needs a backfill, so the search keeps the product's.
HALF_LIFE = scoring.RECENCY_HALF_LIFE_QUESTIONS
ACTIVITY_WEIGHT = sites_bench.ACTIVITY_WEIGHT
UNITS = (0.3, 0.03, 0.1, 1.0)
SHARES = (0.03, 0.0, 0.1, 0.2)
SKILL = (2.0, 0.0, 0.5, 1.0, 3.0, 4.0)
QUALITY = (0.2, 0.0, 0.5)
TEXT_FIT = (2.0, 0.0, 0.5, 1.0, 3.0)
BANDS = (0.01, 0.02, 0.05, 0.1, 0.2)
# What re-orders inside a near-tie: (skill, quality, text fit) weights.
TIE_BREAKERS: dict[str, tuple[float, float, float]] = {
    "skill": (1.0, 0.0, 0.0),
    "text fit": (0.0, 0.0, 1.0),
    "skill + text fit": (1.0, 0.0, 1.0),
    "skill + quality": (1.0, 0.1, 0.0),
    "skill + text fit + quality": (2.0, 0.2, 2.0),
    "nothing (activity alone)": (0.0, 0.0, 0.0),
}
SHAPES = tuple((unit, share) for unit in UNITS for share in SHARES)
WEIGHTED = tuple(
    (unit, share, skill, quality, text_fit)
    for unit, share in SHAPES
    for skill in SKILL
    for quality in QUALITY
    for text_fit in TEXT_FIT
)
NEAR_TIES = tuple(
    (unit, share, band, name) for unit, share in SHAPES for band in BANDS for name in TIE_BREAKERS
)
ROBUST_RESAMPLES = 200
ROBUST_SEED = 20150127
Span = tuple[float, float]


@dataclass(frozen=True)
class Block:
    """One replayed period of one site: per question, the rank of the first real answerer
    under every setting of each family and under the two baselines."""

    site: str
    span: Span
    first: dict[str, np.ndarray]  # ranking -> (settings, questions) or (questions,)

    @property
    def size(self) -> int:
        return int(self.first["window"].shape[-1])


def replay(
    case: se.Case, decayed: dict[float, dict[int, float]], since: dict[int, int]
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The first real answerer's rank for one question under every setting of each family,
    then under the window and the decayed baseline."""
    cands = case.candidates
    ids = np.array([f.expert for f in cands])
    truth = [j for j, f in enumerate(cands) if f.expert in case.truth]
    features = np.array(
        [
            [g.skill, g.quality or 0.0, g.text_fit or 0.0]
            for g in (se.gigcx_features(f, case.prior_rate, f.expert, se.SATURATION) for f in cands)
        ]
    )
    activity = np.array(
        [
            [
                scoring.activity_score(
                    decayed[HALF_LIFE].get(f.expert, 0.0),
                    since.get(f.expert),
                    unit=unit,
                    last_share=share,
                    half_life=HALF_LIFE,
                )
                for f in cands
            ]
            for unit, share in SHAPES
        ]
    )
    lower_id = ids[None, :] < ids[:, None]  # [j, i]: i has the lower id than j

    # The weighted sum, as scoring.rank: rounded score, ties to the lower id.
    shape_of = np.array([SHAPES.index((u, s)) for u, s, *_ in WEIGHTED])
    weights = np.array([w[2:] for w in WEIGHTED])
    score = np.round(ACTIVITY_WEIGHT * activity[shape_of] + weights @ features.T, 4)
    weighted = np.min(
        [
            ((score > score[:, [j]]) | ((score == score[:, [j]]) & lower_id[j])).sum(axis=1) + 1
            for j in truth
        ],
        axis=0,
    )

    near: list[int] = []
    for act in activity:
        order = np.lexsort((ids, -act))
        ordered = act[order]
        for band in BANDS:
            group = np.empty(len(cands), dtype=int)
            start, number = 0, 0
            while start < len(cands):
                end = int(np.searchsorted(-ordered, -(ordered[start] - band), side="right"))
                group[order[start:end]] = number
                start, number = end, number + 1
            for breaker in TIE_BREAKERS.values():
                other = features @ np.array(breaker)
                near.append(
                    min(
                        int(
                            (
                                (group < group[j])
                                | (
                                    (group == group[j])
                                    & (
                                        (other > other[j])
                                        | (
                                            (other == other[j])
                                            & ((act > act[j]) | ((act == act[j]) & lower_id[j]))
                                        )
                                    )
                                )
                            ).sum()
                        )
                        + 1
                        for j in truth
                    )
                )

    def baseline(key: dict[int, float]) -> int:
        ordered = sorted(
            cands, key=lambda f: (-key.get(f.expert, 0.0), -f.last_answer_at.timestamp(), f.expert)
        )
        return next(i for i, f in enumerate(ordered, 1) if f.expert in case.truth)

    return (
        weighted,
        np.array(near),
        baseline({f.expert: f.recent for f in cands}),
        baseline(decayed[sites_bench.BASELINE_HALF_LIFE]),
    )


def load_blocks(name: str, spans: Sequence[Span]) -> list[Block]:
    questions, answers = se.load(se.datasets_dir() / name / "Posts.xml")
    by_id = {q.id: q for q in questions}
    times = [q.at for q in questions]
    short = name.removeprefix("stackexchange-")
    blocks = []
    for low, high in spans:
        chunk = questions[int(len(questions) * low) : int(len(questions) * high)]
        cases = se.answerable(
            se.build_cases(chunk, chunk[0].at, by_id, answers, sites_bench.WINDOW)
        )
        rows = []
        for case in cases:
            now = bisect_left(times, case.question.at)
            past = [x for x in answers if x.at < case.question.at and x.author is not None]
            gone = {x.id: now - bisect_left(times, x.at) for x in past}
            since = {x.author: gone[x.id] for x in past}  # the latest answer wins
            decayed: dict[float, dict[int, float]] = {}
            for half_life in {HALF_LIFE, sites_bench.BASELINE_HALF_LIFE}:
                sums: dict[int, float] = {}
                for x in past:
                    sums[x.author] = sums.get(x.author, 0.0) + 0.5 ** (gone[x.id] / half_life)
                decayed[half_life] = sums
            rows.append(replay(case, decayed, since))
        blocks.append(
            Block(
                short,
                (low, high),
                {
                    "weighted sum": np.stack([r[0] for r in rows], axis=1),
                    "near-ties": np.stack([r[1] for r in rows], axis=1),
                    "window": np.array([r[2] for r in rows]),
                    "decayed": np.array([r[3] for r in rows]),
                },
            )
        )
    return blocks


def figures(first: np.ndarray) -> np.ndarray:
    """Per question (last axis): hit@1, hit@5, hit@10, reciprocal rank (on a new last axis)."""
    first = first.astype(float)
    return np.stack([first <= 1, first <= 5, first <= 10, 1.0 / first], axis=-1)


def joined(blocks: Sequence[Block], key: str) -> np.ndarray:
    return np.concatenate([b.first[key] for b in blocks], axis=-1)


def better_baseline(blocks: Sequence[Block]) -> np.ndarray:
    """Per question and figure, the baseline that is better on that figure over ``blocks``."""
    window, decayed = figures(joined(blocks, "window")), figures(joined(blocks, "decayed"))
    return np.where(window.mean(axis=0) >= decayed.mean(axis=0), window, decayed)


def margins(by_site: dict[str, list[Block]], family: str) -> np.ndarray:
    """(settings, 8), or (8,) for one setting: each site's four figures minus the better
    baseline's."""
    out = []
    for blocks in by_site.values():
        ours = figures(joined(blocks, family))
        out.append(ours.mean(axis=-2) - better_baseline(blocks).mean(axis=0))
    return np.concatenate(out, axis=-1)


def best(table: np.ndarray) -> int:
    """The worst margin, then the mean margin, then the earlier setting."""
    order = np.lexsort((-np.arange(len(table)), table.mean(axis=1), table.min(axis=1)))
    return int(order[-1])


def robust(by_site: dict[str, list[Block]], family: str) -> int:
    """The setting with the best mean worst margin over resamples of the tuning questions
    (each site resampled on its own): a choice less at the mercy of one question."""
    rng = np.random.default_rng(ROBUST_SEED)
    parts = []
    for blocks in by_site.values():
        ours = figures(joined(blocks, family))  # settings x questions x 4
        window, decayed = figures(joined(blocks, "window")), figures(joined(blocks, "decayed"))
        size = ours.shape[1]
        draws = np.stack(
            [
                np.bincount(rng.integers(0, size, size), minlength=size) / size
                for _ in range(ROBUST_RESAMPLES)
            ]
        )
        theirs = np.maximum(draws @ window, draws @ decayed)
        parts.append(np.einsum("bq,sqk->bsk", draws, ours) - theirs[:, None, :])
    return int(np.argmax(np.concatenate(parts, axis=-1).min(axis=-1).mean(axis=0)))


def nested(
    by_site: dict[str, list[Block]], family: str, folds: Sequence[tuple[list[int], int]]
) -> tuple[np.ndarray, list[int]]:
    """Choose on the training blocks, keep the held-out block's ranks; margins over all
    held-out questions together."""
    chosen: list[int] = []
    held: dict[str, list[Block]] = {site: [] for site in by_site}
    for train, test in folds:
        pick = best(margins({s: [bs[i] for i in train] for s, bs in by_site.items()}, family))
        chosen.append(pick)
        for site, blocks in by_site.items():
            one = blocks[test]
            held[site].append(Block(site, one.span, {**one.first, family: one.first[family][pick]}))
    return margins(held, family), chosen


def describe(family: str, index: int) -> str:
    if family == "weighted sum":
        unit, share, skill, quality, text_fit = WEIGHTED[index]
        return (
            f"log unit {unit:g}, last-resolution share {share:g}; weights skill {skill:g}, "
            f"activity {ACTIVITY_WEIGHT:g}, quality {quality:g}, text fit {text_fit:g}"
        )
    unit, share, band, breaker = NEAR_TIES[index]
    return f"log unit {unit:g}, last-resolution share {share:g}; band {band:g}, ties by {breaker}"


def line(label: str, values: Sequence[float]) -> str:
    cells = "  ".join(f"{v:+.3f}" for v in values)
    return f"  {label:<34}{cells}   worst {min(values):+.3f}"


def main() -> int:
    started = time.perf_counter()
    tuning: dict[str, list[Block]] = {}
    evaluation: dict[str, list[Block]] = {}
    for name in sites_bench.SITES:
        if not (se.datasets_dir() / name / "Posts.xml").is_file():
            print(f"{name}: Posts.xml not found, skipped (bench/README.md says where to get it).")
            return 0
        *rolling, last = load_blocks(name, (*BLOCKS, EVALUATION))
        tuning[rolling[0].site], evaluation[last.site] = rolling, [last]
    print("Routing defaults on rolling tuning blocks (questions 10-70% by date, in 10% blocks)")
    for site in tuning:
        sizes = "+".join(str(b.size) for b in tuning[site])
        total = sum(b.size for b in tuning[site])
        print(
            f"  {site}: {sizes} = {total} answerable tuning questions; evaluation period "
            f"{evaluation[site][0].size}"
        )
    names = [f"{s} {m}" for s in tuning for m in sites_bench.METRICS]
    print(f"  margins below: {', '.join(names)}; each minus the better baseline on that figure")
    print()

    defaults = WEIGHTED.index(
        (
            scoring.RECENCY_UNIT,
            scoring.RECENCY_LAST_SHARE,
            *(scoring.DEFAULT_WEIGHTS[k] for k in ("skill", "quality", "text_fit")),
        )
    )
    print(f"the product's defaults ({describe('weighted sum', defaults)}):")
    print(line("rolling tuning blocks", margins(tuning, "weighted sum")[defaults]))
    print(line("evaluation period", margins(evaluation, "weighted sum")[defaults]))
    print()

    for family, grid in (("weighted sum", WEIGHTED), ("near-ties", NEAR_TIES)):
        table, final = margins(tuning, family), margins(evaluation, family)
        pick = best(table)
        print(f"{family}: {len(grid)} settings; chosen on the rolling blocks:")
        print(f"  {describe(family, pick)}")
        print(line("rolling tuning blocks", table[pick]))
        print(line("evaluation period", final[pick]))
        for site, blocks in evaluation.items():
            ours = figures(blocks[0].first[family][pick])
            theirs = better_baseline(blocks)
            cells = []
            for k in range(len(sites_bench.METRICS)):
                _, low, high = se.paired_bootstrap(ours[:, k].tolist(), theirs[:, k].tolist())
                cells.append(f"{low:+.2f}..{high:+.2f}")
            print(f"  {'  ' + site + ' bootstrap 5-95%':<34}{'  '.join(cells)}")
        n = len(BLOCKS)
        for label, folds in (
            ("leave one block out", [([i for i in range(n) if i != t], t) for t in range(n)]),
            ("forward chaining", [(list(range(t)), t) for t in range(2, n)]),
        ):
            result, chosen = nested(tuning, family, folds)
            print(line(f"nested, {label}", result))
            print(f"    chosen per fold: {'; '.join(describe(family, c) for c in chosen)}")
        holds_final = final.min(axis=1) >= -1e-9
        steady = robust(tuning, family)
        print(f"  chosen by the mean worst margin over {ROBUST_RESAMPLES} resamples instead:")
        print(f"  {describe(family, steady)}")
        print(line("rolling tuning blocks", table[steady]))
        print(line("evaluation period", final[steady]))
        for floor, text in ((0.0, "every figure"), (-0.006, "every figure to within 0.006")):
            near_top = table.min(axis=1) >= floor - 1e-9
            print(
                f"  {near_top.sum()} settings hold {text} on the rolling blocks; "
                f"{(near_top & holds_final).sum()} of them hold all eight on the evaluation period"
            )
        print(f"  all eight on the evaluation period: {holds_final.sum()} of {len(grid)} settings")
        print()
    print(f"time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
