"""kill -9 at random points of real replayed sessions loses no acknowledged entry (scripts/bench_crash.py, small N)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_crash", ROOT / "scripts" / "bench_crash.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_crash"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_random_kills_lose_no_acknowledged_entry(bench: ModuleType, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The benchmark command itself, with 15 kills over 2 journals instead of 500 over 10, and 6 runs sent SIGTERM
    or SIGHUP instead of 100."""
    out = tmp_path / "crash.json"
    code = bench.main(["--runs", "15", "--runs-per-db", "8", "--seed", "7", "--signals", "6", "--json", str(out),
                       "--dir", str(tmp_path / "work")])
    printed = capsys.readouterr().out
    figures = json.loads(out.read_text())
    assert figures["failures"] == [], printed
    assert code == 0 and figures["ok"], (printed, figures["signals"]["failures"])
    assert "entries lost              0" in printed
    assert figures["entries_lost"] == 0 and figures["integrity_failures"] == 0
    assert figures["kills"] == 15 and figures["journals"] == 2 and figures["seed"] == 7
    assert figures["acknowledged_entries"] > 0
    assert figures["clean_starts_verified"] > 0  # starts after a kill went through
    assert figures["abandoned_in_report"] > 0  # sessions cut by a kill show as abandoned
    signals = figures["signals"]
    assert signals["failures"] == [] and signals["ok"] and signals["signals_sent"] == 6
    assert signals["by_signal"] == {"SIGHUP": 3, "SIGTERM": 3}
    assert signals["sessions_started"] > 0 and signals["ended_with_entry"] == signals["sessions_started"]
    assert signals["outcomes"].get("interrupted", 0) > 0 and signals["entries_lost"] == 0


def test_the_signal_checker_catches_a_session_left_without_its_end(bench: ModuleType) -> None:
    import signal

    before = bench.Snapshot("ok", {})
    after = bench.Snapshot("ok", {1: ("s1", 1, "session_started", "t", "{}"), 2: ("s1", 2, "heard", "t", "{}")})
    run = bench.ChildRun("x", False, -15, [bench.Ack(1, "s1", "session_started", 0.0)], "Traceback ...", None)
    tally = bench.SignalTally()
    bench.check_signal_run("fabricated", run, signal.SIGHUP, before, after, tally)
    assert tally.sessions_started == 1 and tally.ended_with_entry == 0
    assert any("0 session_ended" in f for f in tally.failures)
    assert any("exited -15" in f for f in tally.failures) and any("traceback" in f for f in tally.failures)


def test_the_checker_catches_loss_damage_and_dangling_sessions(bench: ModuleType) -> None:
    """The harness must be able to fail: feed it a lost entry, a changed one, damage and an unclosed session."""
    started = ("s1", 1, "session_started", "t", "{}")
    before = bench.Snapshot("ok", {1: started, 2: ("s1", 2, "heard", "t", "{}")})
    after = bench.Snapshot("*** in database main ***", {1: started, 2: ("s1", 2, "rating", "t", "{}"),
                                                       4: ("s2", 1, "session_started", "t", "{}")})
    run = bench.ChildRun("x", True, -9, [bench.Ack(3, "s2", "heard", 0.0), bench.Ack(4, "s2", "session_started", 0.0)],
                         "", None)
    tally = bench.Tally()
    bench.check_run("fabricated", run, before, after, tally, 10)
    assert tally.entries_lost == 2  # entry 2 changed, acknowledged entry 3 missing
    assert tally.integrity_failures == 1
    assert any("s1" in f and "not closed as abandoned" in f for f in tally.failures)
