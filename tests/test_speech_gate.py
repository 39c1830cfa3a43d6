"""The speech gate (speech_gate.py): the pure rule as tables, Silero's score on real audio, and the gate behind the
second opinion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice_coach.coach.intents import Certainty
from voice_coach.speech.audio_io import read_wav
from voice_coach.speech.recognition import UNSURE_CONFIDENCE, Decoded
from voice_coach.speech.recognizers import known_phrases
from voice_coach.speech.second_opinion import SecondOpinion
from voice_coach.speech.speech_gate import (
    THRESHOLD,
    WHY,
    SileroScore,
    choose_threshold,
    gate_setting,
    gated,
    window_score,
)
from voice_coach.speech.sphinx import SphinxRecognizer

from .phrasing import phrases
from .room import speak
from .test_noise_front_end import sox_noise
from .test_whisper_check import QUIET_SECOND, CountingCheck

AUDIO = Path(__file__).parent / "audio"


def decoded(text: str = "next", confidence: float = 0.9, accepted: bool = True, unsure: str = "") -> Decoded:
    return Decoded(text, confidence, accepted, "ok" if accepted else "poor_match", unsure=unsure)


@pytest.mark.parametrize(("before", "score", "threshold", "certainty", "why"), [
    (decoded(), 0.2, 0.5, Certainty.UNSURE, WHY),  # sure, not speech-like enough: asked, not acted on at once
    (decoded(), 0.5, 0.5, Certainty.SURE, "ok"),  # at the threshold: through
    (decoded(), 0.9, 0.5, Certainty.SURE, "ok"),
    (decoded(), 0.2, None, Certainty.SURE, "ok"),  # no gate
    (decoded(), None, 0.5, Certainty.SURE, "ok"),  # no score
    (decoded("stop"), 0.1, 0.5, Certainty.UNSURE, WHY),  # a "stop": the coach pauses and asks, never ignores it
    (decoded(unsure="grammar_only", confidence=0.59), 0.1, 0.5, Certainty.UNSURE, "grammar_only"),  # its own why
    (decoded(confidence=0.4), 0.1, 0.5, Certainty.UNSURE, "low_confidence"),
    (decoded(accepted=False), 0.1, 0.5, Certainty.REJECTED, "poor_match"),  # never accepts nor rejects
])
def test_the_gate_only_turns_at_once_into_asking(before: Decoded, score: float | None, threshold: float | None,
                                                 certainty: Certainty, why: str) -> None:
    after = gated(before, score, threshold)
    assert (after.certainty, after.why, after.text, after.accepted) == (certainty, why, before.text, before.accepted)
    assert after.confidence <= before.confidence
    if why == WHY:
        assert after.confidence == UNSURE_CONFIDENCE


@pytest.mark.parametrize(("probabilities", "window", "score"), [
    ([], 8, 0.0),
    ([0.5, 0.7], 8, 0.6),  # shorter than the window: the mean
    ([0.0] * 10 + [1.0] * 8 + [0.0] * 10, 8, 1.0),  # one clear word anywhere
    ([1.0, 0.0] * 10, 8, 0.5),  # flickering, as under babble
    ([0.9] * 3 + [0.1] * 20, 4, 0.7),
])
def test_window_score_is_the_best_stretch(probabilities: list[float], window: int, score: float) -> None:
    assert window_score(np.array(probabilities), window) == pytest.approx(score)


@pytest.mark.parametrize(("replies", "talk", "threshold"), [
    ([], [0.1], 0.0),  # nothing to keep: no gating
    ([0.9, 0.6, 0.95], [0.2, 0.4, 0.99], 0.5),  # halfway between the lowest reply and the talk under it
    ([0.9, 0.6], [0.7, 0.99], 0.59),  # no talk under the lowest reply: just under it
    ([0.3], [0.29], 0.295),
])
def test_the_threshold_keeps_every_tuning_reply_at_once(replies: list[float], talk: list[float],
                                                        threshold: float) -> None:
    chosen = choose_threshold(replies, talk)
    assert chosen == pytest.approx(threshold)
    assert all(r >= chosen for r in replies)


@pytest.mark.parametrize(("value", "threshold"), [
    (None, None), ("", None), ("off", None), ("0", None), ("nonsense", None), ("1.5", None), ("-0.2", None),
    ("on", THRESHOLD), ("ON ", THRESHOLD), ("0.42", 0.42), ("1", THRESHOLD), ("1.0", 1.0),
])
def test_gate_setting(value: str | None, threshold: float | None) -> None:
    assert gate_setting(value) == threshold


def _sox_noise(kind: str, seconds: float, volume: float) -> bytes:
    return sox_noise(kind, seconds, volume).astype("<i2").tobytes()


def test_silero_scores_speech_high_and_noise_low() -> None:
    scorer = SileroScore()
    words = speak("please tell me when to stop").astype("<i2").tobytes()
    assert scorer(bytes(8000) + words + bytes(8000)) > 0.8
    assert scorer(_sox_noise("whitenoise", 2.0, 0.3)) < 0.3
    assert scorer(_sox_noise("pinknoise", 2.0, 0.3)) < 0.3
    assert scorer(bytes(32000)) < 0.3
    assert scorer(b"") == 0.0
    assert len(scorer.probabilities(bytes(2 * 512 * 3 + 7))) == 3  # whole 32 ms chunks only


def test_the_gate_behind_the_second_opinion() -> None:
    """A clear "next" both judges agree on: acted on at once under a gate it passes; asked about ("not_speechlike")
    under a gate no audio can pass; the grammar and the check are real, the check a stand-in that agrees."""
    word = read_wav(AUDIO / "clean/en-us_175/next.wav")
    scorer = SileroScore()
    for threshold, certainty in ((0.3, Certainty.SURE), (1.0, Certainty.UNSURE), (None, Certainty.SURE)):
        rec = SecondOpinion(SphinxRecognizer(known_phrases()), CountingCheck(),  # type: ignore[arg-type]
                            gate=threshold, scorer=scorer)
        rec.begin(phrases("waiting_next"))
        rec.feed(word + QUIET_SECOND)
        heard = rec.end()
        assert heard is not None and heard.text == "next" and heard.certainty is certainty, (threshold, rec.last)
        assert rec.speech_score is not None and rec.speech_score > 0.8
        assert heard.why == ("" if certainty is Certainty.SURE else WHY)
