"""A whole check-in through a real microphone path: WAVs played into a private PulseAudio virtual microphone,
recorded by sounddevice, recognized by pocketsphinx, understood by the coach, written to the journal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pulse import converse

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ROOT / "tests" / "audio" / "sessions" / "checkin"
QUESTIONS = {  # the line that asks, and the recorded answer to play into the microphone
    "How tired do you feel": REPLIES / "01.wav",  # "four"
    "new or more muscle cramps": REPLIES / "02.wav",  # "no"
    "more muscle twitching": REPLIES / "03.wav",  # "no"
    "Is that right?": ROOT / "tests" / "audio" / "clean" / "en-us_175" / "yes.wav",  # a read-back: as a person would
}

pytestmark = pytest.mark.audio


def test_a_checkin_answered_through_the_virtual_microphone(vmic: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    env = {**vmic, "VOICE_COACH_HOME": str(tmp_path / "home"), "VOICE_COACH_INPUT": "mic",
           "VOICE_COACH_OUTPUT": "text", "PYTHONUNBUFFERED": "1"}

    def respond(line: str, child: object) -> Path | None:
        return next((wav for question, wav in QUESTIONS.items() if question in line), None)

    talk = converse(env, ["checkin", "--backend", "pocketsphinx", "--db", str(db)], respond, timeout=90)
    assert talk.code == 0, f"{talk.stderr}\n" + "\n".join(talk.seen[-20:])
    report = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "report", "--db", str(db), "--format",
                             "json"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    (checkin,) = json.loads(report.stdout)["checkins"]
    assert checkin["outcome"] == "completed"
    answers = [(a["question"], a["value"], a["source"]) for a in checkin["answers"]]
    assert answers == [("fatigue", 4, "voice"), ("new_cramps", "no", "voice"), ("new_twitching", "no", "voice")]
    assert all(a["confidence"] is not None for a in checkin["answers"])
