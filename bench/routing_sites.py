"""Routing that generalises: one set of default weights, tuned and measured on two sites.

coffee.stackexchange.com is a six-week burst; matheducators.stackexchange.com is slower, with
many answers per question. Each site is split by time (questions sorted by date):

- the tuning period, questions 40-70%: the weights and the activity decay are chosen here;
- the evaluation period, questions 70-100% (the SE-route protocol's new questions, as in
  bench/routing_se.py): reported, never looked at while choosing.

Every question in either period is replayed with only what happened before it: the
candidates are the people who answered before the period began (minus the asker), and
their features count only answers dated before the question.

Each site's product ranking is compared with two recency baselines from the datasets'
SOURCES.md on the same questions: answers inside a fixed 7-day window, and answers decayed
with a half-life of the site's last 30 questions (both break ties by the latest answer).
"The better baseline" is taken per figure: the product is compared on hit@1 with whichever
baseline has the higher hit@1 on those questions, and so on for hit@5, hit@10 and MRR.

Run:
    python bench/routing_sites.py          the product's defaults (routing/scoring.py) on both
                                            periods of both sites, with paired bootstrap
                                            intervals on the evaluation periods
    python bench/routing_sites.py --tune   the search on both tuning periods together, the
                                            chosen setting on the evaluation periods, and
                                            leave-one-site-out (tuned on one site's tuning
                                            period, evaluated on the other's evaluation period)

Data: $GIGCX_DATASETS_DIR, default ../shared/datasets; a missing site is skipped with a note.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import routing_se as se  # noqa: E402  # the SE-route protocol: loading, metrics, bootstrap

from routing import scoring  # noqa: E402

SITES = ("stackexchange-coffee", "stackexchange-matheducators")
TUNE_FROM = 0.4  # the tuning period: questions 40% .. 70% by date
EVAL_FROM = se.HISTORY_SHARE  # the evaluation period: questions 70% .. 100%
WINDOW = timedelta(days=7)
BASELINE_HALF_LIFE = 30  # questions (SOURCES.md: "the last 30 questions of the site")
METRICS = ("hit@1", "hit@5", "hit@10", "MRR")


@dataclass(frozen=True)
class Setting:
    """What the search chooses: the activity feature's decay and shape, and the weights of
    the factors the data can measure. The activity weight stays fixed: only ratios change a
    ranking here, and its size against spare capacity, fair share and empathy (weight 1 each,
    which these sites cannot measure) is a product decision, not a fit."""

    half_life: float
    unit: float
    last_share: float
    skill: float
    quality: float
    text_fit: float
    activity: float

    def weights(self) -> dict[str, float]:
        return {
            "skill": self.skill,
            "activity": self.activity,
            "quality": self.quality,
            "text_fit": self.text_fit,
        }

    def text(self) -> str:
        return (
            f"half-life {self.half_life:g} questions, log unit {self.unit:g}, "
            f"last-resolution share {self.last_share:g}; weights skill {self.skill:g}, "
            f"activity {self.activity:g}, quality {self.quality:g}, text fit {self.text_fit:g}"
        )


def production() -> Setting:
    weights = scoring.DEFAULT_WEIGHTS
    return Setting(
        half_life=scoring.RECENCY_HALF_LIFE_QUESTIONS,
        unit=scoring.RECENCY_UNIT,
        last_share=scoring.RECENCY_LAST_SHARE,
        skill=weights["skill"],
        quality=weights["quality"],
        text_fit=weights["text_fit"],
        activity=weights["activity"],
    )


# The search: coordinate ascent over these values, from the values first in each tuple
# (the shape of the old defaults), until a full round changes nothing.
SEARCH: dict[str, tuple[float, ...]] = {
    "half_life": (15, 5, 10, 20, 30, 50, 80),
    "unit": (0.1, 0.03, 0.3, 1.0),
    "last_share": (0.0, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 1.0),
    "skill": (1.5, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0),
    "quality": (0.2, 0.0, 0.5, 1.0, 2.0),
    "text_fit": (0.5, 0.0, 0.25, 1.0, 2.0),
}
ACTIVITY_WEIGHT = 10.0
HOURS_HALF_LIVES = (6, 24, 72, 168)  # the alternative clock for the latest resolution
MAX_ROUNDS = 5


@dataclass(frozen=True)
class Period:
    site: str
    name: str
    cases: list[se.Case]
    questions: int  # in the period, answerable or not


@dataclass
class Site:
    name: str
    tune: Period
    eval: Period
    # (question id, half-life) -> expert -> sum of 0.5 ** (questions since the answer / hl)
    decayed: dict[tuple[int, float], dict[int, float]]
    # question id -> expert -> site questions asked since her latest answer
    since_last: dict[int, dict[int, int]]
    base: dict[int, dict[int, tuple[float, float | None, float | None]]]  # skill, quality, fit
    questions_total: int


def load_site(name: str) -> Site | None:
    path = se.datasets_dir() / name / "Posts.xml"
    if not path.is_file():
        print(f"{name}: {path} not found, skipped (bench/README.md says where to get it).")
        return None
    questions, answers = se.load(path)
    by_id = {q.id: q for q in questions}
    tune_q = questions[int(len(questions) * TUNE_FROM) : int(len(questions) * EVAL_FROM)]
    eval_q = questions[int(len(questions) * EVAL_FROM) :]
    short = name.removeprefix("stackexchange-")
    periods = {}
    for label, chunk in (("tuning", tune_q), ("evaluation", eval_q)):
        cases = se.answerable(se.build_cases(chunk, chunk[0].at, by_id, answers, WINDOW))
        periods[label] = Period(short, label, cases, len(chunk))
    times = [q.at for q in questions]
    half_lives = {*SEARCH["half_life"], BASELINE_HALF_LIFE, scoring.RECENCY_HALF_LIFE_QUESTIONS}
    decayed: dict[tuple[int, float], dict[int, float]] = {}
    since_last: dict[int, dict[int, int]] = {}
    base: dict[int, dict[int, tuple[float, float | None, float | None]]] = {}
    for case in (*periods["tuning"].cases, *periods["evaluation"].cases):
        q = case.question
        now_index = bisect_left(times, q.at)
        past = [x for x in answers if x.at < q.at and x.author is not None]
        since = {x.author: now_index - bisect_left(times, x.at) for x in past}  # latest wins
        since_last[q.id] = since
        for half_life in half_lives:
            sums: dict[int, float] = {}
            for x in past:
                gone = now_index - bisect_left(times, x.at)
                sums[x.author] = sums.get(x.author, 0.0) + 0.5 ** (gone / half_life)
            decayed[(q.id, half_life)] = sums
        base[q.id] = {}
        for f in case.candidates:
            features = se.gigcx_features(f, case.prior_rate, f.expert, se.SATURATION)
            base[q.id][f.expert] = (features.skill, features.quality, features.text_fit)
    return Site(
        name=short,
        tune=periods["tuning"],
        eval=periods["evaluation"],
        decayed=decayed,
        since_last=since_last,
        base=base,
        questions_total=len(questions),
    )


Ranker = Callable[[se.Case], list[int]]


def window_baseline(site: Site) -> Ranker:
    return se.activity_ranker


def decayed_baseline(site: Site) -> Ranker:
    def ranked(case: se.Case) -> list[int]:
        sums = site.decayed[(case.question.id, BASELINE_HALF_LIFE)]
        ordered = sorted(
            case.candidates,
            key=lambda f: (-sums.get(f.expert, 0.0), -f.last_answer_at.timestamp(), f.expert),
        )
        return [f.expert for f in ordered]

    return ranked


def gigcx(site: Site, setting: Setting, hours_half_life: float | None = None) -> Ranker:
    """The product's `scoring.rank` with its activity feature (`scoring.activity_score`).
    ``hours_half_life``: the alternative the issue asks about, the latest resolution's age in
    hours (halved every so many hours) instead of in the site's questions."""
    weights = setting.weights()

    def ranked(case: se.Case) -> list[int]:
        q = case.question.id
        sums = site.decayed[(q, setting.half_life)]
        since = site.since_last[q]
        feats = []
        for f in case.candidates:
            skill, quality, text_fit = site.base[q][f.expert]
            age: float | None = since.get(f.expert)
            last_half_life = setting.half_life
            if hours_half_life is not None:
                age = (case.question.at - f.last_answer_at).total_seconds() / 3600
                last_half_life = hours_half_life
            activity = scoring.activity_score(
                sums.get(f.expert, 0.0),
                age,
                unit=setting.unit,
                last_share=setting.last_share,
                half_life=last_half_life,
            )
            feats.append(
                scoring.CandidateFeatures(
                    expert_id=f.expert,
                    skill=skill,
                    activity=activity,
                    quality=quality,
                    text_fit=text_fit,
                )
            )
        return [s.expert_id for s in scoring.rank(feats, weights=weights)]

    return ranked


Rows = list[tuple[float, ...]]
_baselines: dict[tuple[str, str], dict[str, Rows]] = {}


def baselines(site: Site, period: Period) -> dict[str, Rows]:
    key = (site.name, period.name)
    if key not in _baselines:
        _baselines[key] = {
            "7-day window baseline": se.per_case(window_baseline(site), period.cases),
            f"decayed baseline ({BASELINE_HALF_LIFE} questions)": se.per_case(
                decayed_baseline(site), period.cases
            ),
        }
    return _baselines[key]


def better_baseline(site: Site, period: Period) -> Rows:
    """Per question, the figures of whichever baseline is better on each figure over these
    questions: the product must beat the stronger of the two on every figure."""
    rows = list(baselines(site, period).values())
    pick = [max(rows, key=lambda r, k=k: se.means(r)[k]) for k in range(len(METRICS))]
    return [tuple(pick[k][i][k] for k in range(len(METRICS))) for i in range(len(rows[0]))]


def margin(
    site: Site, period: Period, setting: Setting, hours_half_life: float | None = None
) -> float:
    """Mean over hit@1, hit@5, hit@10 and MRR of the product minus the better baseline."""
    ours = se.means(se.per_case(gigcx(site, setting, hours_half_life), period.cases))
    theirs = se.means(better_baseline(site, period))
    return statistics.fmean(a - b for a, b in zip(ours, theirs, strict=True))


def objective(sites: Sequence[Site], setting: Setting) -> tuple[float, float]:
    """On the tuning periods: the worse site's margin, then the mean margin."""
    margins = [margin(s, s.tune, setting) for s in sites]
    return min(margins), statistics.fmean(margins)


def search(sites: Sequence[Site], label: str, verbose: bool) -> Setting:
    """Coordinate ascent on the tuning periods of ``sites``: one knob at a time over its
    values, keeping the best (a tie keeps the current value), until a round changes nothing."""
    current = Setting(
        activity=ACTIVITY_WEIGHT, **{name: values[0] for name, values in SEARCH.items()}
    )
    best = objective(sites, current)
    if verbose:
        print(f"search on the tuning periods of {label}; objective = worse site's margin")
        print("  (mean of the four figures minus the better baseline's), then the mean margin")
        print(f"  start: {current.text()}  -> {best[0]:+.3f} / {best[1]:+.3f}")
    for round_no in range(1, MAX_ROUNDS + 1):
        changed = False
        for knob, values in SEARCH.items():
            tried = {}
            for value in values:
                candidate = replace(current, **{knob: value})
                tried[value] = objective(sites, candidate)
            pick = max(values, key=lambda v: (tried[v], v == getattr(current, knob)))
            if verbose:
                cells = "  ".join(
                    f"{v:g}:{tried[v][0]:+.3f}{'*' if v == pick else ''}" for v in values
                )
                print(f"  round {round_no} {knob:<10} {cells}")
            if pick != getattr(current, knob) and tried[pick] > best:
                current, best, changed = replace(current, **{knob: pick}), tried[pick], True
        if not changed:
            break
    if verbose:
        print(f"  chosen: {current.text()}  -> {best[0]:+.3f} / {best[1]:+.3f}")
        print()
    return current


def fmt(values: Sequence[float]) -> str:
    return "  ".join(f"{v:5.2f}" for v in values)


def report(sites: Sequence[Site], setting: Setting, title: str, *, bootstrap: bool) -> bool:
    """Both periods of every site: the two baselines, the product, the difference to the
    better baseline (with paired bootstrap intervals on the evaluation period)."""
    print(title)
    print(f"  {setting.text()}")
    print(f"  {'site':<14}{'period':<11}{'n':>4}  {'ranking':<32}hit@1  hit@5  hit@10   MRR")
    holds = True
    for site in sites:
        for period in (site.tune, site.eval):
            rows = baselines(site, period)
            ours = se.per_case(gigcx(site, setting), period.cases)
            theirs = better_baseline(site, period)
            head = f"  {site.name:<14}{period.name:<11}{len(period.cases):>4}  "
            blank = " " * (len(head) - 2)
            for i, (name, result) in enumerate({**rows, "GigCX": ours}.items()):
                print(f"{head if i == 0 else '  ' + blank}{name:<32}{fmt(se.means(result))}")
            diffs = [a - b for a, b in zip(se.means(ours), se.means(theirs), strict=True)]
            below = [m for m, d in zip(METRICS, diffs, strict=True) if d < -1e-9]
            if period is site.eval:
                holds = holds and not below
            verdict = "holds" if not below else "BELOW on " + ", ".join(below)
            line = "  ".join(f"{d:+5.2f}" for d in diffs)
            print(f"  {blank}{'minus the better baseline':<32}{line}   {verdict}")
            if bootstrap and period is site.eval:
                intervals = []
                for k in range(len(METRICS)):
                    _, low, high = se.paired_bootstrap([r[k] for r in ours], [r[k] for r in theirs])
                    intervals.append(f"{low:+.2f}..{high:+.2f}")
                print(f"  {blank}{'  paired bootstrap 5-95%':<32}{'  '.join(intervals)}")
    print()
    return holds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--tune",
        action="store_true",
        help="search on the tuning periods, then evaluate the choice and leave-one-site-out",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sites = [s for s in (load_site(name) for name in SITES) if s is not None]
    if not sites:
        return 0
    print("Routing on two Stack Exchange sites, split by time (SE-route protocol)")
    for site in sites:
        print(
            f"  {site.name}: {site.questions_total} questions; tuning period "
            f"{site.tune.questions} ({len(site.tune.cases)} answered by someone known), "
            f"evaluation period {site.eval.questions} ({len(site.eval.cases)})"
        )
    print()

    current = production()
    if args.tune:
        chosen = search(sites, " + ".join(s.name for s in sites), verbose=True)
        print("the latest resolution's age in hours instead of questions (tuning periods;")
        print("  the chosen setting otherwise, its share of the activity feature as listed):")
        for share in sorted({chosen.last_share, 0.1, 0.2}):
            cells = []
            for hours in HOURS_HALF_LIVES:
                alt = replace(chosen, last_share=share)
                margins = [margin(s, s.tune, alt, hours) for s in sites]
                cells.append(f"{hours:g} h: {min(margins):+.3f}")
            in_questions = min(margin(s, s.tune, replace(chosen, last_share=share)) for s in sites)
            print(f"  share {share:<5g} in questions: {in_questions:+.3f}   " + "  ".join(cells))
        print()
        report(sites, chosen, "chosen on both tuning periods:", bootstrap=True)
        if len(sites) == 2:
            print("leave one site out: tuned on one site's tuning period alone")
            for tuned_on, other in (sites, sites[::-1]):
                alone = search([tuned_on], tuned_on.name, verbose=False)
                report(
                    [other],
                    alone,
                    f"tuned on {tuned_on.name}, evaluated on {other.name}:",
                    bootstrap=False,
                )
        same = chosen == current
        print(
            "the product's defaults (routing/scoring.py) "
            + ("are the chosen setting" if same else f"differ: {current.text()}")
        )
    else:
        holds = report(
            sites, current, "the product's defaults (routing/scoring.py):", bootstrap=True
        )
        print(
            "=> on the evaluation periods the defaults are at or above the better recency "
            "baseline on every figure of every site"
            if holds
            else "=> on the evaluation periods the defaults fall BELOW the better recency "
            "baseline on at least one figure (marked above)"
        )
    print(f"time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
