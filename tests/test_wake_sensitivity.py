"""The profile's wake sensitivity: "high" gives Whisper the wake phrases' words as its previous text while waiting
(a slow "okay coach" it wrote as "Okay, go" is then written as the phrase), and the Whisper check it shares with the
coach's own recognizer keeps its own previous text and gates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tests.mixing import to_pcm
from tests.room import speak
from tests.test_listen_day import cli
from voice_coach.access.profile import WAKE_SENSITIVITIES
from voice_coach.listen.prompts import load_listen_prompts
from voice_coach.listen.resident import wake_grammar
from voice_coach.listen.wake import SENSITIVITY_PROMPTS, WakeDetector
from voice_coach.speech.audio_io import write_wav
from voice_coach.speech.sphinx import SphinxRecognizer
from voice_coach.speech.whisper_check import WhisperCheck
from voice_coach.speech.whisper_prompt import limits_for

PHRASES = wake_grammar("okay coach", load_listen_prompts())
SLOWED = ("tempo", "-s", "0.7", "sinc", "-2500")
"""Slow, band-limited speech, as the wake bench's "slowed" condition."""


def slow_wake() -> bytes:
    """"okay coach" slowed (a tuning voice of the wake bench), with a second of a quiet room around it."""
    x = speak("okay coach", "en-us", 170, effects=SLOWED)
    quiet = np.zeros(16000)
    track = np.concatenate([quiet, x, quiet])
    return to_pcm(track + np.random.default_rng(1).normal(0, 32767 * 10 ** (-70 / 20), len(track)))


def woke(check: WhisperCheck, sensitivity: str, pcm: bytes) -> bool:
    detector = WakeDetector(SphinxRecognizer(None), check, sensitivity=sensitivity)
    detector.begin(PHRASES)
    for i in range(0, len(pcm), 960):
        detector.feed(pcm[i:i + 960])
    return detector.end() is not None


def test_every_profile_sensitivity_has_a_meaning() -> None:
    assert set(WAKE_SENSITIVITIES) == set(SENSITIVITY_PROMPTS)
    with pytest.raises(ValueError, match="wake sensitivity 'loud'"):
        WakeDetector(SphinxRecognizer(None), None, sensitivity="loud")


def test_high_sensitivity_hears_a_slow_wake_phrase_and_leaves_the_shared_check_as_it_was(
        check: WhisperCheck) -> None:
    pcm = slow_wake()
    before = (check.prompt, check.limits)
    assert before == ("off", limits_for("off"))  # the product's default for the coach's own replies
    assert not woke(check, "normal", pcm)  # written "Okay, go." and too far from the phrase
    assert woke(check, "high", pcm)  # a near miss, judged again with the wake words listed
    assert woke(check, "highest", pcm)
    assert (check.prompt, check.limits) == before  # the session's replies are judged as before


def test_listen_hears_a_slow_wake_phrase_by_default_and_a_person_can_choose_normal(tmp_path: Path,
                                                                                   whisper_on: None) -> None:
    """From the README: `listen` (the profile's default, high) hears the slow "okay coach"; after `profile set
    wake-sensitivity normal` it does not (the real CLI over a recording, the journal asserted)."""
    wav, db = tmp_path / "slow.wav", tmp_path / "journal.db"
    write_wav(wav, slow_wake() + bytes(3 * 32000))

    def wakes() -> int:
        done = cli("listen", "--input", str(wav), "--output", "text", "--db", str(db), "--start-at", "2026-01-05T10:00")
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(db) as c:
            return int(c.execute("SELECT count(*) FROM entries WHERE kind = 'wake'").fetchone()[0])

    assert wakes() == 1
    done = cli("profile", "set", "wake-sensitivity", "normal")
    assert done.returncode == 0, done.stderr
    assert wakes() == 1  # no new wake
