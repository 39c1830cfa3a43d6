"""The listener's live path: a wake and a whole check-in said into a private PulseAudio virtual microphone, recorded
by sounddevice, heard by the wake grammar and then the coach; the listener goes back to listening and stops cleanly
on Ctrl-C (SIGINT) with its journal complete."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.room import Track
from tests.test_mic_session import QUESTIONS
from voice_coach.audio_io import write_wav

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.audio


def test_a_wake_and_a_checkin_through_the_virtual_microphone(vmic: dict[str, str], tmp_path: Path) -> None:
    db, wake = tmp_path / "journal.sqlite3", tmp_path / "wake.wav"
    write_wav(wake, Track(3).say("okay coach, check in", "en-us", 160, after=0.3).gap(0.5).pcm())
    env = {**vmic, "VOICE_COACH_HOME": str(tmp_path / "home"), "VOICE_COACH_WHISPER": "off",
           "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "voice_coach.cli", "listen", "--input", "mic", "--output", "text",
                              "--backend", "pocketsphinx", "--db", str(db)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(120, child.kill)  # a hung child must not hang the suite
    timer.start()
    seen: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            seen.append(line.rstrip())
            plays = [wav for question, wav in QUESTIONS.items() if question in line]
            if "I'm listening. Say okay coach" in line:
                plays = [wake]
            for wav in plays:
                time.sleep(0.5)  # the listener starts after the line is printed
                subprocess.run(["paplay", "--device=vmic", str(wav)], env=vmic, check=True, timeout=30)
            if "That's all for now" in line:  # the check-in is over: the listener is back; stop it as Ctrl-C does
                time.sleep(1.0)
                child.send_signal(signal.SIGINT)
        code = child.wait(timeout=30)
    finally:
        timer.cancel()
        child.kill()
    stderr = child.stderr.read() if child.stderr else ""
    assert code == 0, f"{stderr}\n" + "\n".join(seen[-20:])
    with sqlite3.connect(db) as c:
        kinds = [k for (k,) in c.execute("SELECT kind FROM entries ORDER BY id")]
        ended = [d for (d,) in c.execute("SELECT data FROM entries WHERE kind = 'session_ended'")]
    assert kinds[:3] == ["listen_started", "wake", "listen_starts"]
    assert kinds.count("session_started") == 1 and '"completed"' in ended[0]
    assert kinds[-2:] == ["listen_resumed", "listen_ended"]
