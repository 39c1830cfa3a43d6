"""The recognizer port, what every recognizer reports about an utterance (`Decoded`, with its `Certainty`), and
phrase keys."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from voice_coach.coach.intents import Certainty, Heard

log = logging.getLogger(__name__)

SURE_FROM = 0.6
"""An accepted phrase with a confidence under this is unsure: the confidence maps of the engines (pocketsphinx's
score bands, Whisper's gap, vosk's word posterior) were drawn so that about two in three below it are wrong."""
UNSURE_CONFIDENCE = 0.59
"""The confidence recorded for a phrase marked unsure (`Decoded.unsure`): the highest that is still unsure, so
that a person's `confirm_below` at its default reads it back and the journal shows it as doubtful."""


@dataclass(frozen=True)
class Decoded:
    """The details of one utterance's decoding, accepted or not (for the listener, the CLI, the bench and logs)."""

    text: str
    """The engine's best phrase ("" when it found none); for a rejection this is what it would have said."""
    confidence: float
    """0..1, what the recognizer puts on the Heard (see each recognizer for what it measures)."""
    accepted: bool
    """False when the utterance was rejected (out of grammar, too poor a match) or was silence."""
    reason: str
    """"ok", or why not: "silence", "no_grammar" (speech that fits no phrase), "not_a_phrase", "unknown_word"
    (no phrase could be pronounced), "unexplained_speech", "poor_match", "other_phrase" (a phrase of another
    state fits better), "noise" (no speech, see `signal.noise_like`), "no_speech", "not_for_coach"."""
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
    unsure: str = ""
    """Why an accepted phrase is unsure though its confidence may be high ("grammar_only", "probed", ...)."""

    @property
    def certainty(self) -> Certainty:
        """REJECTED when not accepted; UNSURE when marked so or under SURE_FROM; else SURE."""
        if not self.accepted:
            return Certainty.REJECTED
        return Certainty.UNSURE if self.unsure or self.confidence < SURE_FROM else Certainty.SURE

    @property
    def why(self) -> str:
        """The reason for a rejection, the mark of an unsure phrase ("low_confidence" when only its number says
        so), or "ok"."""
        certainty = self.certainty
        if certainty is Certainty.REJECTED:
            return self.reason
        if certainty is Certainty.UNSURE:
            return self.unsure or "low_confidence"
        return "ok"

    def heard(self) -> Heard | None:
        """The reply for the coach, or None for a rejection."""
        certainty = self.certainty
        if certainty is Certainty.REJECTED:
            return None
        return Heard(self.text, self.confidence, "voice", certainty, "" if certainty is Certainty.SURE else self.why)


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


class Recognizer(Protocol):
    """A speech recognizer decoding one utterance at a time against the grammar of the current state."""

    name: str
    """pocketsphinx or vosk."""

    @property
    def last(self) -> Decoded | None:
        """How the last utterance was judged (None before the first, or when the recognizer gives no details)."""
        ...

    @property
    def verify_seconds(self) -> float:
        """Of the last `end`, the wall time spent on a slow second opinion (0 without one)."""
        ...

    @property
    def phrases(self) -> frozenset[str]:
        """The phrases the utterance in progress can come out as (those of `begin` the engine can say)."""
        ...

    def begin(self, phrases: tuple[str, ...]) -> None:
        """Start an utterance; only these phrases may come out (anything else is rejected)."""
        ...

    def feed(self, pcm: bytes) -> str | None:
        """Add audio; returns the partial hypothesis where the engine gives one (for "stop" at once)."""
        ...

    def prepare(self) -> bool:
        """The person has paused (the listener's hint): start slow final work now; True when some was started."""
        ...

    def end(self) -> Heard | None:
        """Finish the utterance: the phrase heard with its certainty, or None (silence or rejected)."""
        ...
