"""The periodic sweeps stay quiet in the terminal unless they did something (gigcx/log_filters)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings

from gigcx.log_filters import QuietPeriodicTasks

SWEEPS = ("routing.sweep", "gigcx.sweep_outbox")


def record(logger: str, level: int, msg: str, args: Any) -> logging.LogRecord:
    return logging.LogRecord(logger, level, __file__, 1, msg, args, None)


def beat_sending(task: str) -> logging.LogRecord:
    return record("celery.beat", logging.INFO, "Scheduler: Sending due task %s (%s)", (task, task))


def worker_received(task: str) -> logging.LogRecord:
    context = {"id": "abc", "name": task, "args": "()", "kwargs": "{}", "eta": None}
    return record("celery.worker.strategy", logging.INFO, "Task %(name)s[%(id)s] received", context)


def worker_succeeded(task: str, result: str) -> logging.LogRecord:
    context = {"id": "abc", "name": task, "return_value": result, "runtime": 0.01}
    msg = "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s"
    return record("celery.app.trace", logging.INFO, msg, context)


@pytest.fixture
def quiet() -> QuietPeriodicTasks:
    return QuietPeriodicTasks(tasks=SWEEPS)


@pytest.mark.parametrize("task", SWEEPS)
def test_a_sweep_that_did_nothing_prints_nothing(quiet: QuietPeriodicTasks, task: str) -> None:
    assert not quiet.filter(beat_sending(task))
    assert not quiet.filter(worker_received(task))
    assert not quiet.filter(worker_succeeded(task, "{'expired': 0, 'away': 0, 'routed': 0}"))
    assert not quiet.filter(worker_succeeded(task, "0"))
    assert not quiet.filter(worker_succeeded(task, "{'skipped': 1}"))


def test_a_sweep_that_did_something_prints_one_line(quiet: QuietPeriodicTasks) -> None:
    assert quiet.filter(worker_succeeded("routing.sweep", "{'expired': 1, 'away': 0, 'routed': 2}"))
    assert quiet.filter(worker_succeeded("gigcx.sweep_outbox", "3"))


def test_other_tasks_and_every_warning_or_error_still_print(quiet: QuietPeriodicTasks) -> None:
    assert quiet.filter(beat_sending("payments.send_payouts"))
    assert quiet.filter(worker_received("routing.route_question"))
    failed = record(
        "celery.app.trace",
        logging.ERROR,
        "Task %(name)s[%(id)s] raised unexpected: %(exc)s",
        {"name": "routing.sweep", "id": "abc", "exc": "OperationalError"},
    )
    assert quiet.filter(failed)


def test_settings_attach_the_filter_to_the_celery_loggers() -> None:
    # given: the LOGGING dictConfig as settings define it
    logging_settings: dict[str, Any] = settings.LOGGING
    quiet = logging_settings["filters"]["quiet_periodic_tasks"]

    # then
    assert set(quiet["tasks"]) == set(SWEEPS)
    for name in ("celery.beat", "celery.worker.strategy", "celery.app.trace"):
        assert logging_settings["loggers"][name]["filters"] == ["quiet_periodic_tasks"]
