"""The supervision loop of ``manage.py runall`` (gigcx/supervisor.py), with fake commands."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gigcx.management.commands.runall import Command
from gigcx.supervisor import Supervisor, describe_exit, restart_delay

ROOT = Path(__file__).resolve().parents[1]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def run_for(supervisor: Supervisor, seconds: float) -> None:
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    time.sleep(seconds)
    supervisor.request_stop()
    thread.join(timeout=30)
    assert not thread.is_alive()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_restart_delay_doubles_up_to_the_cap() -> None:
    assert [restart_delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-signal.SIGKILL) == "was killed by SIGKILL"


def test_a_crash_looping_process_is_restarted_with_capped_backoff_while_others_keep_running(
    tmp_path: Path,
) -> None:
    # given: one process that always fails at once, one that is healthy
    starts = tmp_path / "starts"
    lines: list[str] = []
    supervisor = Supervisor(
        {
            "crasher": python(f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"),
            "steady": python("import time; time.sleep(60)"),
        },
        say=lines.append,
        backoff_base=0.1,
        backoff_cap=0.4,
        stable_after=30,
        tick=0.02,
    )

    # when
    run_for(supervisor, 2.5)

    # then: one clear line per exit, delays 0.1, 0.2, 0.4, 0.4 ... and the site kept going
    delays = [float(d) for d in re.findall(r"restarting it in ([\d.]+)s", "\n".join(lines))]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.4]
    assert all(d <= 0.4 for d in delays)
    assert re.match(
        r"crasher exited with code 3 after \d+s; restarting it in 0.1s "
        r"\(at \d\d:\d\d:\d\d\), restart #1$",
        lines[0],
    )
    assert len(starts.read_text()) == len(delays) or len(starts.read_text()) == len(delays) + 1
    steady = supervisor.children[1]
    assert steady.restarts == 0
    assert steady.process is not None
    assert steady.process.returncode is not None  # stopped with the rest


def test_the_backoff_starts_again_after_a_process_stayed_up(tmp_path: Path) -> None:
    # given: a process that runs a while (longer than `stable_after`) before each crash
    lines: list[str] = []
    supervisor = Supervisor(
        {"flaky": python("import time; time.sleep(0.3); raise SystemExit(1)")},
        say=lines.append,
        backoff_base=0.1,
        stable_after=0.2,
        tick=0.02,
    )

    # when
    run_for(supervisor, 2.0)

    # then: every restart waits the base delay, never longer
    delays = re.findall(r"restarting it in ([\d.]+)s", "\n".join(lines))
    assert len(delays) >= 3
    assert set(delays) == {"0.1"}


def test_stopping_ends_every_child_and_its_process_group(tmp_path: Path) -> None:
    # given: a child that starts a grandchild in its own group
    pid_file = tmp_path / "grandchild"
    code = (
        "import subprocess, sys, time;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    supervisor = Supervisor({"parent": python(code)}, say=lambda _: None, tick=0.02)

    # when
    run_for(supervisor, 1.5)

    # then
    assert pid_file.exists()
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously
    while alive(grandchild) and not _is_zombie(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild) or _is_zombie(grandchild)
    assert supervisor.children[0].process is not None
    assert supervisor.children[0].process.returncode is not None


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_ctrl_c_stops_everything_cleanly(tmp_path: Path) -> None:
    # given: the supervisor in its own process, as `make run` has it, with a child that
    # records its pid and takes SIGTERM as a normal stop
    pid_file = tmp_path / "child"
    script = textwrap.dedent(
        f"""
        import sys
        from gigcx.supervisor import supervise
        child = (
            "import os, time;"
            "open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
        )
        sys.exit(supervise({{"web": [sys.executable, "-c", child]}}, tick=0.05))
        """
    )
    runner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)  # noqa: S603
    deadline = time.monotonic() + 30
    # (the file exists a moment before the pid is in it: wait for the pid, not the file)
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid_file.exists(), "the child never started"

    # when
    runner.send_signal(signal.SIGINT)

    # then
    assert runner.wait(timeout=30) == 0
    assert not alive(int(pid_file.read_text()))


def test_runall_supervises_web_worker_and_beat(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    seen = {}
    monkeypatch.setattr(
        "gigcx.management.commands.runall.supervise",
        lambda commands, **options: seen.update(commands=commands, **options),
    )

    # when
    monkeypatch.delenv("GIGCX_SITE_URL", raising=False)
    Command().handle(addr="127.0.0.1", port=8123, concurrency=2)

    # then
    commands = seen["commands"]
    # links in emails use the address the site runs on
    assert seen["env"]["GIGCX_SITE_URL"] == "http://localhost:8123"
    assert list(commands) == ["web", "worker", "beat"]
    assert commands["web"][-1] == "127.0.0.1:8123"  # with the reloader, as `make run` wants
    assert "--without-gossip" in commands["worker"]
