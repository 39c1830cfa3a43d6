"""Wake detection: a grammar of wake phrases (pocketsphinx), then Whisper's second opinion on a candidate only.

The voice-activity gate in front is the listener's endpointer (audio_listener.StreamListener): silence and steady
noise never reach a decoder. Each utterance is decoded against the wake phrases alone and followed by each request
("okay coach", "okay coach start", "okay coach check in", ...). Only an utterance the grammar found close enough
to one of them (`candidate`) is given to Whisper, which transcribes it freely and scores the wake phrases
(whisper_check.WhisperCheck.judge, with the person's voice-check takes when they have some):

- a wake: Whisper took the phrase (its own margin), or the grammar accepted it and Whisper finds it at most
  `AGREE_GAP` less likely than its own transcript (Whisper often writes "coach" as "go" or "code");
- a near miss: not a wake, but the grammar's phrase within `NEAR_GAP`; it is journalled, and for a few seconds
  (listener.SECOND_CHANCE_SECONDS) a near miss counts as a wake: a person who is not heard the first time says
  it again, a television rarely says the same thing twice.

Thresholds were chosen on synthetic voices and room audio by scripts/bench_wake.py (the figures are in its JSON).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .intents import Heard
from .ports import Recognizer
from .recognizers import Decoded, clean_phrase

log = logging.getLogger(__name__)

AGREE_GAP = 7.0
"""Natural-log units: the grammar accepted the wake phrase and Whisper finds it at most this much less likely than
its own transcript ("Okay, go." for "okay coach" scores -5 to -7 on espeak voices)."""
NEAR_GAP = 10.0
"""A grammar candidate Whisper finds at most this much less likely is a near miss (and a wake on the second
chance)."""
CANDIDATE_SCORE = -40.0
"""The grammar's acoustic fit per frame (recognizer_sphinx) at which a rejected utterance is still a candidate."""
CANDIDATE_UNEXPLAINED = 40
"""Loud frames the grammar left unexplained (0.4 s) at which a rejected utterance is no longer a candidate: a
sentence of room talk is much longer than a wake phrase with a request."""
MAX_WAKE_SECONDS = 5.0
"""Longer utterances are not a wake phrase with a request (they are never decoded further)."""


@dataclass(frozen=True)
class WakeResult:
    """What the detector made of one utterance (for the journal, the bench and the loop)."""

    outcome: str
    """"wake", "near_miss" or "none"."""
    phrase: str | None
    """The wake phrase (with its request) decided on, or the near one."""
    grammar: str
    """What the grammar decoder chose ("" none) and why ("ok" or its rejection reason): "okay coach start/ok"."""
    transcript: str | None = None
    """What Whisper heard, when it ran."""
    gap: float | None = None
    """Whisper's log-probability of the phrase minus that of its transcript."""
    seconds: float = 0.0
    """Length of the utterance."""

    def how(self) -> dict[str, Any]:
        """Journal fields."""
        return {"phrase": self.phrase, "grammar": self.grammar, "transcript": self.transcript,
                "gap": None if self.gap is None else round(self.gap, 2), "seconds": round(self.seconds, 2)}


class WakeDetector:
    """The Recognizer port for the waiting state. `grammar` is a pocketsphinx recognizer without a second opinion
    (recognizer_sphinx.SphinxRecognizer(verifier=None)); `check` is the Whisper check (None: the grammar alone)."""

    name = "wake"

    def __init__(self, grammar: Recognizer, check: Any | None, *, agree_gap: float = AGREE_GAP,
                 near_gap: float = NEAR_GAP) -> None:
        self.grammar, self.check = grammar, check
        self.agree_gap, self.near_gap = agree_gap, near_gap
        self.lenient = False
        """Set by the loop during a second chance: a near miss counts as a wake."""
        self.results: list[WakeResult] = []
        """Every utterance judged since the loop last took them."""
        self.whisper_runs = 0
        self._phrases: tuple[str, ...] = ()
        self._pcm = bytearray()
        self._too_long = False

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._phrases = tuple(clean_phrase(p) for p in phrases)
        self._pcm = bytearray()
        self._too_long = False
        self.grammar.begin(phrases)

    def feed(self, pcm: bytes) -> str | None:
        if self._too_long:
            return None
        self._pcm += pcm
        if len(self._pcm) > MAX_WAKE_SECONDS * 32000:
            self._too_long = True  # room talk: stop decoding it (the grammar's end below rejects it)
            return None
        self.grammar.feed(pcm)
        return None  # no partial: in waiting, nothing acts before the utterance is judged whole

    def end(self) -> Heard | None:
        heard = self.grammar.end()
        seconds = len(self._pcm) / 32000
        decoded = getattr(self.grammar, "last", None)
        text = heard.text if heard is not None else (decoded.text if isinstance(decoded, Decoded) else "")
        reason = "ok" if heard is not None else (decoded.reason if isinstance(decoded, Decoded) else "none")
        result = WakeResult("none", None, f"{text}/{reason}", seconds=seconds)
        if not self._too_long and self._candidate(heard, decoded, text):
            result = self._second_opinion(clean_phrase(text), heard is not None, result)
        self.results.append(result)
        del self.results[:-64]
        if result.outcome == "wake" and result.phrase is not None:
            return Heard(result.phrase, 1.0, "voice")
        return None

    def take_results(self) -> list[WakeResult]:
        out, self.results = self.results, []
        return out

    # ----- internals ---------------------------------------------------------------------------------------
    def _candidate(self, heard: Heard | None, decoded: object, text: str) -> bool:
        if clean_phrase(text) not in self._phrases:
            return False
        if heard is not None:
            return True
        if not isinstance(decoded, Decoded) or decoded.reason not in ("poor_match", "unexplained_speech"):
            return False
        score = decoded.score_per_frame if decoded.score_per_frame is not None else -1e9
        return score >= CANDIDATE_SCORE and decoded.unexplained_frames < CANDIDATE_UNEXPLAINED

    def _second_opinion(self, text: str, accepted: bool, result: WakeResult) -> WakeResult:
        if self.check is None:  # the grammar alone (no Whisper model): only its acceptance wakes
            return WakeResult("wake" if accepted else "near_miss", text, result.grammar, seconds=result.seconds)
        self.whisper_runs += 1
        try:
            verdict = self.check.judge(bytes(self._pcm), self._phrases, (text,))
        except Exception as exc:  # noqa: BLE001 - a broken second opinion must not stop the listener
            log.warning("the Whisper check failed on a wake (%s): the grammar decides alone", exc)
            return WakeResult("wake" if accepted else "none", text, result.grammar, seconds=result.seconds)
        gaps = dict(verdict.scores)
        gap = gaps.get(text, verdict.gap if verdict.candidate == text else None)
        if verdict.phrase is not None and verdict.phrase in self._phrases:
            return WakeResult("wake", verdict.phrase, result.grammar, verdict.transcript, verdict.gap, result.seconds)
        if gap is not None and accepted and gap >= -self.agree_gap:
            return WakeResult("wake", text, result.grammar, verdict.transcript, gap, result.seconds)
        if gap is not None and gap >= -self.near_gap:
            outcome = "wake" if self.lenient else "near_miss"
            return WakeResult(outcome, text, result.grammar, verdict.transcript, gap, result.seconds)
        return WakeResult("none", text, result.grammar, verdict.transcript, gap, result.seconds)


class ModeRecognizer:
    """One recognizer port that gives the waiting state's utterances to the wake detector and every other
    state's (the listener's questions, and a whole session) to the coach's own recognizer: one microphone, one
    endpointer, one stream, as `voice-coach session` has."""

    name = "listen"

    def __init__(self, wake: WakeDetector, coach: Recognizer, wake_states: frozenset[str]) -> None:
        self.wake, self.coach, self.wake_states = wake, coach, wake_states
        self.state = ""
        """Set by the loop before each listen (Expectation.state)."""
        self._active: Recognizer = coach

    @property
    def last(self) -> object:
        return getattr(self._active, "last", None)

    @property
    def verify_seconds(self) -> float:
        return float(getattr(self._active, "verify_seconds", 0.0))

    def prepare(self) -> bool:
        prepare = getattr(self._active, "prepare", None)
        return bool(prepare()) if prepare is not None else False

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._active = self.wake if self.state in self.wake_states else self.coach
        self._active.begin(phrases)

    def feed(self, pcm: bytes) -> str | None:
        return self._active.feed(pcm)

    def end(self) -> Heard | None:
        return self._active.end()
