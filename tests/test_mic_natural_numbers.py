"""Issue 20 item 3 through a real microphone path: a voice no other test uses says "about a three" to "how tired do
you feel?" into a private PulseAudio virtual microphone; the coach (pocketsphinx with the Whisper check, the
product's default) understands it, or says sorry and asks again, short; the next try is understood. Nothing ends
the check-in early and the rating is the person's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.pulse import converse
from tests.room import speak
from voice_coach.speech.audio_io import write_wav

ROOT = Path(__file__).resolve().parent.parent
VOICE = "en-gb-x-gbclan+f3"
"""An espeak-ng voice none of tests/audio and no other test uses (Lancashire English, a female variant)."""

pytestmark = pytest.mark.audio


def said(text: str, folder: Path) -> Path:
    """`text` in VOICE, as a WAV to play into the microphone."""
    path = folder / (text.replace(" ", "_") + ".wav")
    pcm = np.concatenate([np.zeros(1600), speak(text, VOICE), np.zeros(1600)]).astype("<i2").tobytes()
    write_wav(path, pcm)
    return path


def test_about_a_three_through_the_virtual_microphone(vmic: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    answers = {  # the line that asks, and what the person says to it (the first time, then again)
        "How tired do you feel": [said("about a three", tmp_path)],
        "Say a number, zero to ten.": [said("three", tmp_path)] * 2,
        "Is that right?": [ROOT / "tests" / "audio" / "clean" / "en-us_175" / "yes.wav"] * 2,
        "new or more muscle cramps": [said("no", tmp_path)],
        "more muscle twitching": [said("no", tmp_path)],
        "Please say yes or no.": [said("no", tmp_path)] * 2,
        # a reply only one of the two judges heard, that would move the check-in on, is asked for again
        "Please say that again.": [said("no", tmp_path)] * 2,
    }
    env = {**vmic, "VOICE_COACH_HOME": str(tmp_path / "home"), "VOICE_COACH_INPUT": "mic",
           "VOICE_COACH_OUTPUT": "text", "VOICE_COACH_WHISPER": "on", "PYTHONUNBUFFERED": "1"}

    def respond(line: str, child: object) -> Path | None:
        for question, wavs in answers.items():
            if question in line and wavs:
                return wavs.pop(0)
        return None

    talk = converse(env, ["checkin", "--backend", "pocketsphinx", "--db", str(db)], respond, timeout=150)
    seen = talk.seen
    assert talk.code == 0, f"{talk.stderr}\n" + "\n".join(seen[-20:])
    text = "\n".join(seen)
    for i, line in enumerate(seen):  # every miss: sorry, then the question again, short
        if line.startswith("coach: Sorry, I"):
            assert any("Say a number" in x or "Please say yes or no" in x for x in seen[i + 1:i + 3]), text
    report = subprocess.run([sys.executable, "-m", "voice_coach.cli.main", "report", "--db", str(db), "--format",
                             "json"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    (checkin,) = json.loads(report.stdout)["checkins"]
    assert checkin["outcome"] == "completed", text
    fatigue = [a for a in checkin["answers"] if a["question"] == "fatigue"]
    assert [(a["value"], a["source"]) for a in fatigue] == [(3, "voice")], text
    print(text)  # the conversation, for the report (pytest -s)
