"""Any recognizer with the Whisper check behind it: the grammar decodes as the audio comes, Whisper judges again."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from voice_coach.coach.intents import Certainty, Heard
from voice_coach.speech.opinion_rules import Verdict, verified
from voice_coach.speech.recognition import Decoded, Recognizer
from voice_coach.speech.signal import frame_levels, holds_a_word, loud_frames
from voice_coach.speech.speech_gate import GATE, SileroScore, gated, load_scorer
from voice_coach.speech.whisper_check import WhisperCheck

log = logging.getLogger(__name__)

class SecondOpinion:
    """The Recognizer port over `inner` (pocketsphinx or vosk) and a `WhisperCheck`.

    Every utterance the grammar did not dismiss as silence, a click or a phrase it cannot pronounce is judged again
    by Whisper, and `opinion_rules.verified` weighs the two; a "stop" too: "dog" and "side left" became "stop" in a
    quiet room, so a "stop" only the grammar heard is unsure (the coach pauses and asks). Whisper's work starts when
    the person pauses (`prepare`), in a worker thread, so that it is done by the end of the end silence; `end` uses it
    when nothing loud came after, else judges again. A check that fails leaves the grammar to decide (logged once)."""

    def __init__(self, inner: Recognizer, check: WhisperCheck, gate: float | None = GATE,
                 scorer: SileroScore | None = None) -> None:
        self.inner = inner
        self.check = check
        self.gate = gate
        """The speech score under which a reply is not acted on at once (speech_gate.py), or None (no gate)."""
        self.scorer = scorer if scorer is not None else load_scorer(gate)
        self.speech_score: float | None = None
        """The last utterance's speech score, when it was to be acted on at once and a gate is set."""
        self.name = inner.name
        self.last: Decoded | None = None
        """How the last utterance was judged, after the second opinion."""
        self.verdict: Verdict | None = None
        """Whisper's judgement of the last utterance, when it gave one."""
        self.verify_seconds = 0.0
        """Wall time `end` spent on the Whisper check (waiting for the one `prepare` started, or running one)."""
        self._pool: ThreadPoolExecutor | None = None
        self._pending: tuple[Future[Verdict], int] | None = None
        """The check started by `prepare` and the length of the audio it was given."""
        self._warned = False
        self._active = False
        self._pcm = bytearray()
        self._partial: str | None = None

    @property
    def phrases(self) -> frozenset[str]:
        return self.inner.phrases

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._drop_pending()
        self.inner.begin(phrases)
        self._active, self._pcm, self._partial, self.last = True, bytearray(), None, None

    def feed(self, pcm: bytes) -> str | None:
        partial = self.inner.feed(pcm)
        if self._active:
            self._pcm += pcm
            self._partial = partial
        return partial

    def prepare(self) -> bool:
        """The person has paused: start the check on the audio so far, in a worker thread."""
        phrases = self.inner.phrases
        if not self._active or not phrases:
            return False
        pcm = bytes(self._pcm)
        levels = frame_levels(pcm)
        if not holds_a_word(loud_frames(levels, levels)):
            return False  # a click: the grammar's checks will dismiss it, so the check would be wasted
        self._drop_pending()  # an earlier pause in the same utterance: that audio is out of date
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper-check")
        hints = (self._partial,) if self._partial else ()
        self._pending = (self._pool.submit(self.check.judge, pcm, tuple(sorted(phrases)), hints), len(pcm))
        return True

    def end(self) -> Heard | None:
        if not self._active:
            return None
        self._active = False
        phrases = tuple(sorted(self.inner.phrases))  # before `end`: the grammar of the utterance just heard
        self.inner.end()
        pending, self._pending = self._pending, None
        self.verdict, self.verify_seconds = None, 0.0
        decoded = self.last = self.inner.last
        if decoded is None:
            return None
        levels = frame_levels(bytes(self._pcm))
        if decoded.reason in ("silence", "unknown_word") or (
                decoded.reason == "noise" and not _speech_in_hiss(levels)):
            if pending is not None:
                pending[0].cancel()
            return decoded.heard()
        started = time.perf_counter()
        try:
            self.verdict = self._early_verdict(pending, decoded.text, levels)
            if self.verdict is None:
                hints = tuple(x for x in (decoded.text, decoded.rival) if x)
                self.verdict = self.check.judge(bytes(self._pcm), phrases, hints)
        except Exception as exc:  # noqa: BLE001 - the second opinion must never end a session
            self._check_failed(exc)
        self.verify_seconds = time.perf_counter() - started
        if self.verdict is not None:
            self.last = decoded = verified(decoded, self.verdict, self.check.urgent, self.check.vocab.stops,
                                                 self.check.vocab.meanings)
        self.speech_score = None
        if self.scorer is not None and decoded.certainty is Certainty.SURE:
            self.speech_score = self.scorer(bytes(self._pcm))
            self.last = decoded = gated(decoded, self.speech_score, self.gate)
        return decoded.heard()

    def _early_verdict(self, pending: tuple[Future[Verdict], int] | None, text: str,
                       levels: np.ndarray) -> Verdict | None:
        """The verdict `prepare` started, when it judged the same speech (nothing loud came after its audio, loud
        against the whole utterance's `levels`), with the grammar's final phrase scored too; else None."""
        if pending is None:
            return None
        future, length = pending
        tail = frame_levels(bytes(self._pcm[length:]))
        if holds_a_word(loud_frames(tail, levels)):
            future.cancel()
            return None
        return self.check.extend(future.result(), text)

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending[0].cancel()
        self._pending = None

    def _check_failed(self, exc: Exception) -> None:
        """The Whisper check broke (a model or runtime error): the grammar's judgement stands; said once."""
        if not self._warned:
            self._warned = True
            log.warning("the Whisper check failed (%s): %s decides alone for now", exc, self.name)


def _speech_in_hiss(levels: np.ndarray) -> bool:
    """The grammar called the utterance a hiss (as flat in spectrum as white noise), but it is long enough to hold
    a word: speech in loud broadband noise is as flat, so Whisper judges it (it says "no speech" to a hiss)."""
    return holds_a_word(loud_frames(levels, levels))
