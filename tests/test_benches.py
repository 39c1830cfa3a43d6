"""Each benchmark in scripts/ runs end to end on a few seconds of audio and writes the figures it promises.

Benches are not run whole in CI (they take minutes to hours), and a change elsewhere can break one silently: a
merge once left the wake bench running without the answer tone (0 % by the tone) and nobody saw it until the bench
was run by hand. These runs are short and check the figures' presence and the mechanisms the figures measure (the
tone is heard, a reply is understood), never speed or memory: those are the benches' own figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def bench(script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 600,
          exits: tuple[int, ...] = (0,)) -> str:
    """The bench's printout; `exits`: the exit codes that are its verdicts (a short run may miss a target)."""
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, **(env or {})}, cwd=ROOT)
    assert run.returncode in exits, f"{script} failed ({run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run.stdout


def figures(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def test_the_wake_bench_measures_room_talk_a_quiet_room_and_wakes_answered_by_the_tone(tmp_path: Path,
                                                                                      whisper_on: None) -> None:
    out = tmp_path / "wake.json"
    printed = bench("bench_wake.py", "--parts", "room,quiet,near,wakes", "--room-minutes", "0.5", "--quiet-minutes",
                    "0.2", "--near-clips", "1", "--conditions", "quiet", "--out", str(out),
                    env={"BENCH_WAKE_VOICES": "one"})
    doc = figures(out)
    assert "false wakes" in printed and "quiet room: CPU" in printed
    room = doc["room"]
    assert 0.5 / 60 <= room["hours"] < 1.5 / 60 and room["cpu_percent_of_a_core"] > 0  # whole talk turns
    assert room["false_wakes_per_hour_95_upper"] >= room["false_wakes_per_hour"] >= 0 and room["rss_mb"] > 0
    assert doc["quiet_room"]["cpu_percent_of_a_core"] >= 0
    near = doc["near_phrases"]  # every near phrase said once, each counted
    assert near["clips"] == len(near["by_phrase"]) >= 10 and sum(near["by_phrase"].values()) == near["woke"], near
    assert "near phrases said alone" in printed
    wakes = doc["wakes"]["quiet"]
    # one held-out voice at two speeds, five ways of saying it: the wake is heard in quiet, and the early decision
    # answers some with the tone (the figure a merge once lost without a test noticing)
    assert wakes["trials"] == 10 and wakes["detected_percent"] >= 70, wakes
    assert wakes["wrong_request_percent"] == 0 and wakes["wrong_requests"] == [], wakes  # never another request
    assert wakes["answered_by_tone_percent"] > 0 and wakes["delay_p50_s"] is not None, wakes


def test_the_soak_bench_runs_sessions_on_one_listener_and_samples_its_memory(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    printed = bench("bench_soak.py", "--hours", "0.12", "--backend", "pocketsphinx", "--json", str(out))
    (result,) = figures(out)["results"]
    assert result["audio_hours"] >= 0.12 and result["sessions"] >= 1 and result["rss_peak_kb"] > 0, printed
    assert result["pass_fds"] and result["pass_threads"], printed  # no file or thread left behind per session


def test_the_numbers_bench_hears_numbers_with_pocketsphinx(tmp_path: Path) -> None:
    out, phrases = tmp_path / "numbers.json", ROOT / "voice_coach" / "data" / "prompts" / "phrases.yaml"
    bench("bench_numbers.py", "--phrases", str(phrases), "--modes", "state", "--conditions", "quiet", "--out", str(out))
    quiet = figures(out)[str(phrases)]["state"]["quiet"]
    assert quiet["clips"] > 20 and quiet["right"] >= quiet["clips"] / 2, quiet  # 25 of 33 when written


def test_the_memory_bench_runs_the_commands_on_long_recordings_and_compares_their_peaks(tmp_path: Path) -> None:
    out = tmp_path / "memory.json"
    bench("bench_memory.py", "--minutes", "0.5", "1", "--json", str(out), exits=(0, 1))  # 1: not flat, a verdict
    doc = figures(out)
    assert [run["minutes"] for run in doc["runs"]] == [0.5, 1.0] and doc["max_peak_rss_mb"] > 0, doc
    assert all(run[cmd]["exit_code"] == 0 for run in doc["runs"] for cmd in ("recognize", "session")), doc
