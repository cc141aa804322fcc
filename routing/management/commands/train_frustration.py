"""Refit the frustration model on GoEmotions and write routing/text/models/frustration.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from routing.text.datasets import datasets_dir, missing_message
from routing.text.frustration import MODEL_PATH


class Command(BaseCommand):
    help = (
        "Fit the frustration model on GoEmotions train, choose its threshold on dev, print the "
        "dev AUC and write the coefficients (GIGCX_DATASETS_DIR points at the data)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=MODEL_PATH,
            help="Where to write the model JSON (default: the committed model).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the figures, write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = datasets_dir(Path(settings.BASE_DIR))
        if folder is None or not (folder / "goemotions").is_dir():
            self.stdout.write(missing_message("train_frustration skipped"))
            return
        # scikit-learn is imported only here, not when the app scores a message.
        from routing.text.frustration_training import train

        trained = train(folder)
        self.stdout.write(
            f"GoEmotions: {trained.train_size} train, {trained.dev_size} dev comments; "
            f"dev AUC {trained.dev_auc:.4f}; threshold {trained.model.threshold:.4f}"
        )
        if options["dry_run"]:
            return
        output: Path = options["output"]
        output.write_text(trained.to_json(), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output.name}"))
