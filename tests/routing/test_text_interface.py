"""The text layer as the triage task sees it: importable without Django, silent in logs,
and its data-set users skip cleanly without the data."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from routing.text import (
    KnowledgeIndex,
    detect_language,
    frustration,
    guess_product,
    redact,
)
from routing.text.datasets import datasets_dir

ROOT = Path(__file__).resolve().parents[2]
CANARY = "Canary Zebrafish 7741, write to canary.zebra@example.com or +49 30 1234567"


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_text_layer_imports_and_runs_without_django_settings() -> None:
    # given an environment with no Django settings and no database
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    code = (
        "import sys, routing.text as t\n"
        "assert t.redact('mail a@example.com').kinds == ['email']\n"
        "assert 0 <= t.frustration('This is unacceptable').score <= 1\n"
        "t.KnowledgeIndex([(1, 'Is it waterproof?', 'Yes')]).best('waterproof?')\n"
        "assert 'django.db' not in sys.modules, 'imported the ORM'\n"
        "assert 'torch' not in sys.modules, 'the default backend imported torch'\n"
        "print('ok')\n"
    )

    # when
    result = _run(code, env)

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_no_customer_text_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    # given
    caplog.set_level(logging.DEBUG)

    # when every entry point sees the canary
    redact(CANARY)
    detect_language(CANARY, ["en", "de"])
    frustration(CANARY)
    guess_product(CANARY, [(1, "Zebrafish Tent", "ZT1")])
    KnowledgeIndex([(1, "Is the tent waterproof?", "Yes.")]).best(CANARY)

    # then
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Zebrafish" not in logged
    assert "canary.zebra" not in logged
    assert "1234567" not in logged


def test_datasets_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GIGCX_DATASETS_DIR", str(tmp_path))
    assert datasets_dir() == tmp_path.resolve()
    monkeypatch.setenv("GIGCX_DATASETS_DIR", str(tmp_path / "missing"))
    assert datasets_dir() is None


@pytest.mark.parametrize("script", ["bench/frustration.py", "bench/suggest.py"])
def test_benchmarks_skip_with_a_message_without_the_data(script: str, tmp_path: Path) -> None:
    # given
    env = dict(os.environ, GIGCX_DATASETS_DIR=str(tmp_path / "missing"))

    # when
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / script)], env=env, capture_output=True, text=True, timeout=120
    )

    # then
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stdout
    assert "GIGCX_DATASETS_DIR" in result.stdout
