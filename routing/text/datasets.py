"""Readers for the public data sets used to train and benchmark the text layer.

The data lives outside the project (``datasets/SOURCES.md`` in the shared folder says where
each file comes from); it is never copied in. ``GIGCX_DATASETS_DIR`` points at it and
defaults to ``<project root>/../shared/datasets``. Callers check :func:`datasets_dir` and
skip with a message when it returns ``None``.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# GoEmotions labels that count as "frustrated" (datasets/SOURCES.md, GoEmo-frustration).
FRUSTRATION_LABELS = frozenset({"anger", "annoyance", "disappointment", "disapproval", "disgust"})

WHERE_TO_GET_THEM = (
    "GoEmotions: monologg/GoEmotions-pytorch data/original/ (Apache-2.0); "
    "BANKING77: PolyAI-LDN/task-specific-datasets banking_data/ (CC BY 4.0)."
)


def datasets_dir(base: Path | None = None) -> Path | None:
    """The folder holding the public data sets, or ``None`` when it is not there."""
    configured = os.environ.get("GIGCX_DATASETS_DIR")
    if configured:
        folder = Path(configured)
    else:
        folder = (base or PROJECT_ROOT) / ".." / "shared" / "datasets"
    folder = folder.resolve()
    return folder if folder.is_dir() else None


def missing_message(what: str) -> str:
    return (
        f"{what}: the public data sets are not available (set GIGCX_DATASETS_DIR or put them "
        f"in ../shared/datasets beside the project). {WHERE_TO_GET_THEM}"
    )


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: int


def goemotions_frustration(folder: Path, split: str) -> list[LabelledText]:
    """GoEmotions ``split`` ("train" or "dev") as frustrated (1) / not frustrated (0)."""
    names = (folder / "goemotions" / "labels.txt").read_text(encoding="utf-8").split()
    positive = {index for index, name in enumerate(names) if name in FRUSTRATION_LABELS}
    rows: list[LabelledText] = []
    with (folder / "goemotions" / f"{split}.tsv").open(encoding="utf-8", newline="") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            ids = {int(label) for label in parts[1].split(",") if label}
            rows.append(LabelledText(parts[0], int(bool(ids & positive))))
    return rows


@dataclass(frozen=True)
class IntentText:
    text: str
    intent: str


def banking77(folder: Path) -> list[IntentText]:
    """BANKING77 train: customer-service queries with their intent."""
    known = set(json.loads((folder / "banking77" / "categories.json").read_text("utf-8")))
    with (folder / "banking77" / "train.csv").open(encoding="utf-8", newline="") as handle:
        return [
            IntentText(row["text"], row["category"])
            for row in csv.DictReader(handle)
            if row["category"] in known
        ]
