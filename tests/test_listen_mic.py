"""The listener's live path: the wake phrase with a request said into a private PulseAudio virtual microphone,
recorded by sounddevice, heard by the wake grammar; the listener answers and stops cleanly on Ctrl-C (SIGINT) with
its journal complete. (A whole check-in through the same microphone path is tests/test_mic_session.py; the
listener runs that same session code on the same stream, see tests/test_listen_day.py.)"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.pulse import converse
from tests.room import Track
from voice_coach.speech.audio_io import write_wav

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.audio


def test_a_wake_through_the_virtual_microphone(vmic: dict[str, str], tmp_path: Path) -> None:
    db, wake = tmp_path / "journal.sqlite3", tmp_path / "wake.wav"
    write_wav(wake, Track(3).say("okay coach, what's today", "en-us", 160, after=0.3).gap(0.5).pcm())
    env = {**vmic, "VOICE_COACH_HOME": str(tmp_path / "home"), "VOICE_COACH_WHISPER": "off",
           "PYTHONUNBUFFERED": "1"}

    def respond(line: str, child: subprocess.Popen[str]) -> Path | None:
        if "I'm listening. Say okay coach" in line:
            return wake
        if "Next is" in line or "Everything planned" in line or "rest day" in line:  # the plan was said
            time.sleep(0.5)
            child.send_signal(signal.SIGINT)
        return None

    talk = converse(env, ["listen", "--input", "mic", "--output", "text", "--backend", "pocketsphinx", "--db",
                          str(db)], respond, timeout=120)
    code, seen, stderr = talk.code, talk.seen, talk.stderr
    with sqlite3.connect(db) as c:
        heard = list(c.execute("SELECT kind, transcript, data FROM entries WHERE kind IN ('heard', 'wake')"))
    assert code == 0, f"{stderr}\n" + "\n".join(seen[-20:]) + f"\n{heard}"
    with sqlite3.connect(db) as c:
        kinds = [k for (k,) in c.execute("SELECT kind FROM entries ORDER BY id")]
    assert kinds == ["listen_started", "wake", "listen_ended"]
    assert '"request": "today"' in str(heard)
    assert any(line.startswith("coach: Planned for today") or "rest day" in line for line in seen)
