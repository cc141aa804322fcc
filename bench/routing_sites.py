"""Routing that generalises: one set of default weights, measured on two Stack Exchange sites.

coffee.stackexchange.com is a six-week burst; matheducators.stackexchange.com is slower, with
many answers per question. A hard "answers in the last 7 days" window fits the first and
starves the second. This benchmark compares, on both sites in one run, with the SE-route
protocol of bench/routing_se.py (first 70% of questions by date are history, the rest new):

- two recency baselines from the datasets' SOURCES.md: activity inside a fixed window
  (7 days) and activity decayed with a half-life of the site's last 30 questions;
- GigCX's `rank` with the production activity feature (decayed by the brand's own question
  count, on a log scale: `scoring.recency_value`) over a small grid of half-life, log unit
  and skill weight, scored on both sites' tuning splits and on their new questions (the
  grid is printed whole, so a setting that fits one cell by luck shows as such);
- paired bootstrap intervals of GigCX minus the better baseline, per site.

Run: python bench/routing_sites.py   (data: $GIGCX_DATASETS_DIR, default ../shared/datasets)
"""

from __future__ import annotations

import sys
import time
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import routing_se as se  # noqa: E402  # the SE-route protocol: loading, metrics, bootstrap

from routing import scoring  # noqa: E402

SITES = ("stackexchange-coffee", "stackexchange-matheducators")
WINDOW = timedelta(days=7)
BASELINE_HALF_LIFE = 30  # questions (SOURCES.md: "the last 30 questions of the site")

# What is tuned: how recency is measured and how much tag skill weighs against it. Activity,
# quality and text fit stay at the production weights (quality and text fit are small by
# design: a rated expert must outrank an otherwise equal one; text fit breaks ties).
HALF_LIVES = (10, 15, 20, 30, 50)
UNITS = (0.1, 0.3, 1.0)
SKILL_WEIGHTS = (1.0, 1.5, 2.0, 3.0)
FIXED = {name: scoring.DEFAULT_WEIGHTS[name] for name in ("activity", "quality", "text_fit")}


@dataclass(frozen=True)
class Site:
    name: str
    test: list[se.Case]
    tune: list[se.Case]
    decayed: dict[tuple[int, int], dict[int, float]]  # (question id, half-life) -> expert -> sum
    questions_total: int
    new_total: int


def decayed_sums(
    cases: Sequence[se.Case], question_times: Sequence, answers: Sequence[se.Answer]
) -> dict[tuple[int, int], dict[int, float]]:
    """For each case and half-life: sum over the expert's past answers of
    0.5 ** (site questions asked since that answer / half-life)."""
    out: dict[tuple[int, int], dict[int, float]] = {}
    for case in cases:
        q = case.question
        now_index = bisect_left(question_times, q.at)
        past = [x for x in answers if x.at < q.at and x.author is not None]
        for half_life in {*HALF_LIVES, BASELINE_HALF_LIFE, scoring.RECENCY_HALF_LIFE_QUESTIONS}:
            sums: dict[int, float] = {}
            for x in past:
                since = now_index - bisect_left(question_times, x.at)
                sums[x.author] = sums.get(x.author, 0.0) + 0.5 ** (since / half_life)
            out[(q.id, half_life)] = sums
    return out


def load_site(name: str) -> Site | None:
    path = se.datasets_dir() / name / "Posts.xml"
    if not path.is_file():
        print(f"{name}: {path} not found, skipped (bench/README.md says where to get it).")
        return None
    questions, answers = se.load(path)
    by_id = {q.id: q for q in questions}
    split = int(len(questions) * se.HISTORY_SHARE)
    tune_from = int(len(questions) * (se.HISTORY_SHARE - se.TUNE_SHARE))
    new, tune = questions[split:], questions[tune_from:split]
    test_all = se.build_cases(new, new[0].at, by_id, answers, WINDOW)
    tune_all = se.build_cases(tune, tune[0].at, by_id, answers, WINDOW)
    test, tuned = se.answerable(test_all), se.answerable(tune_all)
    times = [q.at for q in questions]
    return Site(
        name=name,
        test=test,
        tune=tuned,
        decayed=decayed_sums([*test, *tuned], times, answers),
        questions_total=len(questions),
        new_total=len(new),
    )


def window_baseline(site: Site) -> se.Ranker:
    return se.activity_ranker


def decayed_baseline(site: Site, half_life: int = BASELINE_HALF_LIFE) -> se.Ranker:
    def ranked(case: se.Case) -> list[int]:
        sums = site.decayed[(case.question.id, half_life)]
        ordered = sorted(
            case.candidates,
            key=lambda f: (-sums.get(f.expert, 0.0), -f.last_answer_at.timestamp(), f.expert),
        )
        return [f.expert for f in ordered]

    return ranked


def gigcx(site: Site, weights: Mapping[str, float], half_life: int, unit: float) -> se.Ranker:
    """`scoring.rank` with production features; activity is the decayed recency."""

    def ranked(case: se.Case) -> list[int]:
        sums = site.decayed[(case.question.id, half_life)]
        feats = []
        for f in case.candidates:
            base = se.gigcx_features(f, case.prior_rate, f.expert, se.SATURATION)
            feats.append(
                scoring.CandidateFeatures(
                    expert_id=f.expert,
                    skill=base.skill,
                    activity=scoring.recency_value(sums.get(f.expert, 0.0), unit=unit),
                    quality=base.quality,
                    text_fit=base.text_fit,
                )
            )
        return [s.expert_id for s in scoring.rank(feats, weights=weights)]

    return ranked


def fmt(row: tuple[float, ...]) -> str:
    return "  ".join(f"{v:5.2f}" for v in row)


_better: dict[tuple[str, int], tuple[float, ...]] = {}


def better_baseline(site: Site, cases: Sequence[se.Case]) -> tuple[float, ...]:
    """The means of the better of the two baselines (by hit@5, then MRR), computed once."""
    key = (site.name, id(cases))
    if key not in _better:
        _better[key] = max(
            (
                se.means(se.per_case(b, cases))
                for b in (window_baseline(site), decayed_baseline(site))
            ),
            key=lambda m: (m[1], m[3]),
        )
    return _better[key]


def margin(site: Site, ranker: se.Ranker, cases: Sequence[se.Case]) -> float:
    """Mean of (hit@5, MRR) minus the same for the better of the two baselines."""
    ours = se.means(se.per_case(ranker, cases))
    base = better_baseline(site, cases)
    return (ours[1] + ours[3]) / 2 - (base[1] + base[3]) / 2


def worst(site: Site, ranker: se.Ranker, cases: Sequence[se.Case]) -> float:
    """The worst of the four differences (hit@1, hit@5, hit@10, MRR) to the better baseline."""
    ours = se.means(se.per_case(ranker, cases))
    base = better_baseline(site, cases)
    return min(a - b for a, b in zip(ours, base, strict=True))


def main() -> int:
    started = time.perf_counter()
    sites = [s for s in (load_site(name) for name in SITES) if s is not None]
    if not sites:
        return 0

    # Each cell: on the tuning splits, the worse site's margin over its better baseline
    # (mean of hit@5 and MRR); on the new questions, the worst of the eight differences (four
    # figures, two sites) to the site's better baseline, >= 0 when every figure holds.
    grid: dict[tuple[int, float, float], tuple[float, float]] = {}
    for half_life in HALF_LIVES:
        for unit in UNITS:
            for skill in SKILL_WEIGHTS:
                weights = {**FIXED, "skill": skill}
                rankers = [gigcx(site, weights, half_life, unit) for site in sites]
                grid[(half_life, unit, skill)] = (
                    min(margin(s, r, s.tune) for s, r in zip(sites, rankers, strict=True)),
                    min(worst(s, r, s.test) for s, r in zip(sites, rankers, strict=True)),
                )
    chosen = max(grid, key=lambda key: grid[key][0])
    production = (scoring.RECENCY_HALF_LIFE_QUESTIONS, scoring.RECENCY_UNIT)
    production_weights = dict(scoring.DEFAULT_WEIGHTS)

    print("Routing on two sites (SE-route protocol; bench/routing_se.py has one site in depth)")
    print(
        f"best on both tuning splits: half-life {chosen[0]} questions, log unit {chosen[1]:g}, "
        f"skill weight {chosen[2]:g} (activity, quality, text fit at {FIXED['activity']:g}, "
        f"{FIXED['quality']:g}, {FIXED['text_fit']:g})"
    )
    print(
        f"production (routing/scoring.py): half-life {production[0]}, log unit "
        f"{production[1]:g}, weights {se.weights_text({})}"
    )
    print()
    verdicts = []
    for site in sites:
        rows = {
            "window baseline (answers in 7 days)": se.per_case(window_baseline(site), site.test),
            f"decayed baseline (half-life {BASELINE_HALF_LIFE} questions)": se.per_case(
                decayed_baseline(site), site.test
            ),
            "before: 7-day window feature, act 6": se.per_case(
                se.gigcx_ranker({"activity": 6.0, "skill": 1.5, "quality": 0.5, "text_fit": 1.0}),
                site.test,
            ),
            "GigCX defaults (production)": se.per_case(
                gigcx(site, production_weights, *production), site.test
            ),
        }
        print(
            f"{site.name}: {site.questions_total} questions; {len(site.test)} of "
            f"{site.new_total} new ones answered by someone known"
        )
        width = max(len(n) for n in rows)
        print(f"  {'ranking':<{width}}  hit@1  hit@5  hit@10   MRR")
        for name, result in rows.items():
            print(f"  {name:<{width}}  {fmt(se.means(result))}")
        baselines = list(rows)[:2]
        better = max(baselines, key=lambda n: (se.means(rows[n])[1], se.means(rows[n])[3]))
        ours = rows["GigCX defaults (production)"]
        for k, label in enumerate(("hit@1", "hit@5", "hit@10", "MRR")):
            _, low, high = se.paired_bootstrap([r[k] for r in ours], [r[k] for r in rows[better]])
            difference = se.means(ours)[k] - se.means(rows[better])[k]
            ok = difference >= 0
            verdicts.append(ok)
            print(
                f"  GigCX - better baseline ({better.split(' (')[0]}) {label:<6} "
                f"{difference:+.2f}  (paired bootstrap 5-95%: {low:+.2f} .. {high:+.2f})"
                f"{'' if ok else '  BELOW'}"
            )
        print()
    print("grid: tuning splits' worse-site margin over the better baseline (mean of hit@5, MRR)")
    print("      | worst of the 8 differences on the new questions (>= 0: every figure holds)")
    for half_life in HALF_LIVES:
        cells = "".join(
            f"  u{unit:g}/s{skill:g}: {grid[(half_life, unit, skill)][0]:+.3f}"
            f"|{grid[(half_life, unit, skill)][1]:+.3f}"
            for unit in UNITS
            for skill in SKILL_WEIGHTS
        )
        print(f"  hl {half_life:>3}{cells}")
    holding = sorted(key for key, (_, test) in grid.items() if test >= 0)
    print(
        f"  {len(holding)} of {len(grid)} cells hold every figure on both sites: "
        + (", ".join(f"hl {h} u{u:g}/s{k:g}" for h, u, k in holding) or "none")
    )
    print()
    print(
        "=> production defaults are "
        + ("at or above" if all(verdicts) else "BELOW")
        + " the better recency baseline on every metric and site"
    )
    print(f"time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
