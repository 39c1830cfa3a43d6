"""The `voice-coach` command as a person uses it: whole sessions, reports, and one clear line on bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = [sys.executable, "-m", "voice_coach.cli.main"]


def cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, **(env or {})})


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *needles: str, code: int | None = None) -> None:
    assert done.returncode != 0 if code is None else done.returncode == code
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0]


def test_replayed_session_completes_and_shows_in_the_report(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    done = cli("session", "--program", "resistance", "--input", "scripts/demo_replies.txt", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "coach: That's all for now." in done.stdout
    assert "completed" in done.stderr
    report = json.loads(cli("report", "--db", str(db), "--format", "json").stdout)
    (s,) = report["sessions"]
    assert s["outcome"] == "completed" and len(s["exercises"]) == 6
    assert [e["rating"] for e in s["exercises"]] == [4, 4, 4, 4, 4, 3]
    assert all(e["reps_done"] == e["reps_target"] for e in s["exercises"])
    assert s["cautions"][0]["key"] == "disclaimer"  # first session: the disclaimer is read


def test_checkin_from_the_keyboard(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    done = cli("checkin", "--db", str(db), stdin="five\nyes\nno\n")
    assert done.returncode == 0, done.stderr
    report = json.loads(cli("report", "--db", str(db), "--format", "json").stdout)
    (c,) = report["checkins"]
    # no exercise yesterday (a new journal): no next-day question (tests/test_plan.py asks it after one)
    assert [(a["question"], a["value"]) for a in c["answers"]] == [
        ("fatigue", 5), ("new_cramps", "yes"), ("new_twitching", "no")]
    assert c["symptoms"][0]["kind"] == "cramp" and c["answers"][0]["source"] == "keyboard"


def test_closing_the_keyboard_ends_the_session_as_input_ended_and_keeps_the_answers(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    done = cli("session", "--program", "stretching", "--db", str(db), stdin="two\n")
    assert done.returncode == 0
    (s,) = json.loads(cli("report", "--db", str(db), "--format", "json").stdout)["sessions"]
    assert s["outcome"] == "input_ended" and s["answers"][0]["value"] == 2  # not a stop the person said


@pytest.mark.parametrize("args, needles", [
    (["session", "--program", "yoga"], ["unknown program 'yoga'", "choose one of"]),
    (["session", "--input", "nowhere.xyz"], ["--input nowhere.xyz"]),
    (["session", "--program", "tests/data/utterances.yaml"], ["utterances.yaml", "must be a mapping"]),
    (["report", "--db", "/nonexistent/j.sqlite3"], ["no such file"]),
    (["report", "--since", "yesterday"], ["--since/--until"]),
    (["sesion"], ["No such command 'sesion'"]),
    (["session", "--program"], ["requires an argument"]),
])
def test_bad_input_is_one_clear_line(args: list[str], needles: list[str]) -> None:
    assert_one_clear_line(cli(*args), *needles)


def test_a_file_that_is_not_a_journal_is_refused_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "notes.sqlite3"
    db.write_bytes(b"my notes " * 500)
    assert_one_clear_line(cli("session", "--db", str(db), stdin="stop\n"), "not a voice-coach journal")
    assert db.read_bytes().startswith(b"my notes")


def test_diagram_lists_every_state(tmp_path: Path) -> None:
    svg = tmp_path / "coach.svg"
    done = cli("diagram", "--svg", str(svg))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stateDiagram-v2")
    for state in ("ASKING_FEELING", "EXERCISING", "CONFIRMING", "PAUSED", "ENDED"):
        assert state in done.stdout
    if shutil.which("dot"):
        assert "<svg" in svg.read_text()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_person_completes_a_session_in_a_terminal(tmp_path: Path) -> None:
    """Driven turn by turn in tmux as a person would: read the question, type the answer."""
    db = tmp_path / "journal.sqlite3"
    name = f"vc{os.getpid()}"
    cmd = " ".join([*EXE, "session", "--program", "resistance", "--input", "text", "--output", "text",
                    "--db", str(db), "--time-scale", "100"])
    sock = ["-S", str(tmp_path / "tmux.sock")]
    # The clock runs 100 times fast, the coach's wait for an answer too: the longest wait a person can set (300 s,
    # 3 s here) keeps a loaded machine's slow keystrokes from being taken as silence.
    done = cli("profile", "set", "response_timeout_seconds", "300", env={"VOICE_COACH_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    subprocess.run(["tmux", *sock, "new-session", "-d", "-s", name, "-x", "200", "-y", "50",
                    f"cd {ROOT} && VOICE_COACH_HOME={tmp_path} {cmd}; echo EXITED $?; sleep 300"], check=True)
    seen = 0

    def wait_for(text: str, timeout: float = 60) -> None:
        nonlocal seen
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = subprocess.run(["tmux", *sock, "capture-pane", "-p", "-S", "-5000", "-t", name],
                                 capture_output=True, text=True).stdout
            at = out.find(text, seen)
            if at >= 0:
                seen = at + len(text)
                return
            time.sleep(0.1)
        raise AssertionError(f"never saw {text!r}; screen:\n{out[-3000:]}")

    def answer(text: str) -> None:
        subprocess.run(["tmux", *sock, "send-keys", "-t", name, text, "Enter"], check=True)

    try:
        wait_for("How tired do you feel")
        answer("three")
        wait_for("Yes or no.")
        answer("no")
        for n in range(1, 7):
            wait_for(f"Exercise {n} of 6")
            wait_for("Say ready to begin")
            answer("ready")
            wait_for("How hard was that")
            answer("four")  # typed: certain, not read back
            if n < 6:
                wait_for("Say next")
                answer("next")
        wait_for("Well done, and rest well.")
        wait_for("EXITED 0")
    finally:
        subprocess.run(["tmux", *sock, "kill-server"], capture_output=True)
    (s,) = json.loads(cli("report", "--db", str(db), "--format", "json").stdout)["sessions"]
    assert s["outcome"] == "completed" and [e["rating"] for e in s["exercises"]] == [4] * 6
    assert {r["source"] for r in s["ratings"]} == {"keyboard"}


def test_demo_replays_recorded_speech_through_the_recognizer(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = cli("demo", "--out", str(out), "--backend", "pocketsphinx")
    assert done.returncode == 0, done.stderr
    assert 'heard: "repeat"' in done.stdout and "-> repeat" in done.stdout
    report = json.loads(cli("report", "--db", str(out / "demo-journal.sqlite3"), "--format", "json").stdout)
    (s,) = report["sessions"]
    assert s["program"] == "stretching" and s["outcome"] == "stopped_by_user"
    assert [e["rating"] for e in s["exercises"]] == [3, 2, 4]
    assert all(r["source"] == "voice" for r in s["ratings"])
    if "spoken aloud" not in done.stderr:  # no sound device (as in CI): the lines are written as WAVs
        assert sorted(out.glob("*.wav")) and (out / "transcript.tsv").exists()


def test_the_demo_goes_as_recorded_with_the_whisper_check(tmp_path: Path, whisper_on: None) -> None:
    """The README's first command, as a person runs it (pocketsphinx with the Whisper check, the default): every
    recorded reply is taken at once for what it was said as, so the session goes as it was recorded (a reply asked
    for again would shift every later one onto the wrong question)."""
    out = tmp_path / "demo"
    done = cli("demo", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "not sure I heard you" not in done.stdout and "Which one?" not in done.stdout, done.stdout
    report = json.loads(cli("report", "--db", str(out / "demo-journal.sqlite3"), "--format", "json").stdout)
    (s,) = report["sessions"]
    assert s["outcome"] == "stopped_by_user" and [e["rating"] for e in s["exercises"]] == [3, 2, 4]
    assert [a["value"] for a in s["answers"] if a["question"] == "new_cramps_or_twitching"] == ["no"], s["answers"]
