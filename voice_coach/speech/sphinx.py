"""pocketsphinx 5 behind the Recognizer port: one finite-state grammar per phrase set, and honest rejection.

How an utterance is judged (thresholds chosen by measurement on tests/audio; scripts/bench_speech.py shows
the figures). pocketsphinx's grammar search always ends on *some* phrase and its posterior is always 1.0, so
these cues decide instead:

- unexplained speech: out-of-grammar sentences are longer than any command, and the grammar path leaves the
  extra words to its silence model. Loud frames (9 dB over the utterance's quiet frames) that the path calls
  silence are counted; 15 or more (0.15 s) reject the utterance.
- acoustic fit: pocketsphinx scores each frame against the best-scoring senone of that frame, so the path's
  acoustic score per frame (0 = perfect) measures how well the phrase fits whatever the loudness. It is taken
  over the words and 0.3 s either side; below -34 the utterance is rejected. Out-of-grammar speech forced onto
  a phrase mostly scores -50 to -35, right phrases -31 and above (clean and noisy alike).
- other phrases: the commonest mistake is a real command said at the wrong moment ("yes" when a number is
  asked), which the state's grammar forces onto one of its own phrases. A second decoder runs alongside over
  every phrase the coach knows; when its best phrase is not one of the state's and fits better by more than
  0.5 per frame, the utterance is rejected. This is the one cue that costs a second decode (still far faster
  than real time).

A hypothesis that is not a whole phrase of the grammar (pocketsphinx returns a partial path when no path
reached the grammar's end) is rejected too, and so is sound as flat in spectrum as white noise
(`signal.noise_like`: white noise fits "faint" at -7 per frame).

Confidence: the acoustic fit mapped through the share of accepted results that had the right intent in that
score band on tests/audio (-34 → 0.3, -30 → 0.7, -22 → 0.8, -18 → 0.9, -12 and above → 0.97), minus 0.01
per unexplained frame; so below `recognition.SURE_FROM` (unsure) about two in three are wrong. It is an estimate
from synthetic voices, not a calibrated probability for every speaker.

The Whisper second opinion is not here: second_opinion.py puts it behind this recognizer (or any other).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from voice_coach.coach.intents import Heard
from voice_coach.errors import ModelError
from voice_coach.speech.recognition import Decoded, WordWarnings, phrase_set
from voice_coach.speech.signal import frame_levels, holds_a_word, loud_frames, noise_like

log = logging.getLogger(__name__)

EXTRA_PRONUNCIATIONS = {
    "nought": "N AO T",
    "fasciculation": "F AH S IH K Y AH L EY SH AH N",
    "fasciculations": "F AH S IH K Y AH L EY SH AH N Z",
}
"""Words of prompts/phrases.yaml missing from CMUdict (ARPAbet, as the en-us model uses)."""
REJECT_SCORE_PER_FRAME = -34.0
MAX_UNEXPLAINED_FRAMES = 15
OTHER_PHRASE_MARGIN = 0.5
"""Per frame, how much better a phrase of another state must fit than the state's best to reject the latter."""
CONTEXT_FRAMES = 30
"""Frames (10 ms) either side of the words counted in the score per frame."""
CONFIDENCE_POINTS = ((-34.0, 0.3), (-30.0, 0.7), (-22.0, 0.8), (-18.0, 0.9), (-12.0, 0.97))
_LOG_BASE = math.log(1.0001)
_MARKERS = ("<s>", "</s>", "(NULL)")
"""Segments that are not audio (sentence start/end, null transitions)."""


def _log_score(value: float) -> float:
    """pocketsphinx's Python API gives exp(score); back to its log-base-1.0001 units."""
    return math.log(value) / _LOG_BASE if value > 0 else -1e9


def confidence_from(score_per_frame: float, unexplained_frames: int) -> float:
    xs, ys = zip(*CONFIDENCE_POINTS, strict=True)
    return float(max(0.0, min(1.0, np.interp(score_per_frame, xs, ys) - 0.01 * unexplained_frames)))


class GrammarDecoder:
    """One pocketsphinx decoder and its finite-state grammars, one search per phrase set (cached)."""

    def __init__(self, options: dict[str, Any], warnings: WordWarnings) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise ModelError(f"pocketsphinx is not installed ({exc}): run `pip install pocketsphinx`") from None
        try:
            self.decoder = Decoder(**options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"pocketsphinx cannot load its model ({exc}): reinstall it with "
                             "`pip install --force-reinstall pocketsphinx`") from None
        for word, phones in EXTRA_PRONUNCIATIONS.items():
            if self.decoder.lookup_word(word) is None:
                self.decoder.add_word(word, phones, True)
        self.warnings = warnings
        self.phrases: frozenset[str] = frozenset()
        """The phrases of the utterance in progress (empty: nothing can be recognized)."""
        self.running = False
        self._searches: dict[tuple[str, ...], tuple[str | None, frozenset[str]]] = {}
        self._search_name: str | None = None

    def begin(self, key: tuple[str, ...]) -> None:
        if self.running:
            self.decoder.end_utt()
        search, self.phrases = self._search(key)
        self.running = search is not None
        if search is None:
            return
        if self._search_name != search:  # (current_search() crashes before any search is active)
            self.decoder.activate_search(search)
            self._search_name = search
        self.decoder.start_utt()

    def feed(self, pcm: bytes) -> None:
        if self.running and pcm:
            self.decoder.process_raw(pcm)

    def partial(self) -> str | None:
        hyp = self.decoder.hyp() if self.running else None
        return hyp.hypstr if hyp is not None and hyp.hypstr else None

    def end(self) -> str:
        """Finish the utterance; the best path's words ("" when none)."""
        if not self.running:
            return ""
        self.running = False
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def segments(self) -> list[tuple[str, int, int, float]]:
        """(word, first frame, end frame exclusive, acoustic score) of the last path, markers left out."""
        return [(seg.word, seg.start_frame, seg.end_frame + 1, _log_score(seg.ascore))
                for seg in self.decoder.seg() or [] if seg.word not in _MARKERS]

    def usable(self, phrases: tuple[str, ...]) -> list[str]:
        """The phrases every word of which the dictionary can pronounce (others are logged and left out)."""
        out = []
        for phrase in phrases:
            missing = [w for w in phrase.split() if self.decoder.lookup_word(w) is None]
            for word in missing:
                self.warnings.missing(word, phrase)
            if not missing:
                out.append(phrase)
        return out

    def _search(self, key: tuple[str, ...]) -> tuple[str | None, frozenset[str]]:
        if key not in self._searches:
            phrases = self.usable(key)
            name = None
            if phrases:
                name = f"grammar{len(self._searches)}"
                self.decoder.add_fsg(name, self._fsg(name, phrases))
            self._searches[key] = (name, frozenset(phrases))
        return self._searches[key]

    def _fsg(self, name: str, phrases: list[str]) -> Any:
        """One path of words per phrase, from state 0 to the final state 1, each phrase equally likely."""
        transitions: list[tuple[int, int, float, str]] = []
        next_state = 2
        for phrase in phrases:
            words, state = phrase.split(), 0
            for i, word in enumerate(words):
                target = 1 if i == len(words) - 1 else next_state
                next_state += target != 1
                transitions.append((state, target, 1.0 / len(phrases) if i == 0 else 1.0, word))
                state = target
        return self.decoder.create_fsg(name, 0, 1, transitions)


class SphinxRecognizer:
    """pocketsphinx with the US-English model inside its wheel: the grammar of the state, judged (see above).

    `known_phrases` (every phrase the coach understands, in any state) are decoded alongside by a second
    decoder; when that one hears a phrase the state does not take, fitting the audio clearly better, the
    utterance is rejected: a command said at the wrong moment ("yes" while a number is asked) is then not
    forced onto a phrase of the state. None turns this off (half the work, more false accepts).
    """

    name = "pocketsphinx"

    def __init__(self, known_phrases: tuple[str, ...] | None = None, **decoder_options: Any) -> None:
        options: dict[str, Any] = {"lm": None, "bestpath": False, "loglevel": "FATAL", **decoder_options}
        self.warnings = WordWarnings(self.name)
        self.main = GrammarDecoder(options, self.warnings)
        self.decoder = self.main.decoder
        """The pocketsphinx decoder of the state's grammar."""
        self.known_phrases = phrase_set(known_phrases) if known_phrases else None
        self.rival = GrammarDecoder(options, self.warnings) if self.known_phrases else None
        self.verify_seconds = 0.0
        """Always 0: pocketsphinx has no second opinion of its own."""
        self._active = False
        self._pcm = bytearray()
        self._carry = b""
        self.last: Decoded | None = None
        """How the last utterance was judged."""

    # ----- the port ---------------------------------------------------------------------------------------
    @property
    def phrases(self) -> frozenset[str]:
        """The state's phrases the grammar of the utterance in progress can say (empty: none can be pronounced)."""
        return self.main.phrases if self.main.running else frozenset()

    def prepare(self) -> bool:
        """Nothing to start early: the grammar decodes as the audio comes."""
        return False

    def begin(self, phrases: tuple[str, ...]) -> None:
        key = phrase_set(phrases)
        self.main.begin(key)
        if self.rival is not None and self.known_phrases is not None:
            self.rival.begin(phrase_set((*self.known_phrases, *key)))
        self._active, self._pcm, self._carry, self.last = True, bytearray(), b"", None

    def feed(self, pcm: bytes) -> str | None:
        if not self._active:
            return None
        data = self._carry + bytes(pcm)
        whole = len(data) & ~1
        self._carry = data[whole:]
        if whole:
            self._pcm += data[:whole]
            self.main.feed(data[:whole])
            if self.rival is not None:
                self.rival.feed(data[:whole])
        return self.main.partial()

    def end(self) -> Heard | None:
        if not self._active:
            return None
        self._active = False
        if not self.main.running:
            self.last = Decoded("", 0.0, False, "unknown_word" if self._pcm else "silence")
            return None
        text = self.main.end()
        rival = self.rival.end() if self.rival is not None else ""
        self.last = decoded = self._judge(text, rival, self.main.segments(), frame_levels(bytes(self._pcm)))
        return decoded.heard()

    # ----- judging ------------------------------------------------------------------------------------------
    def _judge(self, text: str, rival: str, segments: list[tuple[str, int, int, float]],
               levels: np.ndarray) -> Decoded:
        loud = loud_frames(levels, levels)
        if not text:
            return Decoded("", 0.0, False, "no_grammar" if loud.sum() >= MAX_UNEXPLAINED_FRAMES else "silence",
                           rival=rival or None)
        if text not in self.main.phrases:
            return Decoded(text, 0.0, False, "not_a_phrase", rival=rival or None)
        explained = np.zeros(len(levels), dtype=bool)
        words = []
        for word, start, end, _ in segments:
            if word not in ("<sil>", "[SPEECH]"):
                explained[start:end] = True  # a word, or [NOISE] (a breath or a cough is not speech left over)
                if not word.startswith("["):
                    words.append((start, end))
        if not words:
            return Decoded(text, 0.0, False, "not_a_phrase", rival=rival or None)
        unexplained = int((loud & ~explained).sum())
        scored = [(start, end, score) for _, start, end, score in segments]
        score = _score_per_frame(scored, words[0][0] - CONTEXT_FRAMES, words[-1][1] + CONTEXT_FRAMES)
        reason = "ok"
        if _not_speech(bytes(self._pcm), loud):
            reason = "noise"
        elif unexplained >= MAX_UNEXPLAINED_FRAMES:
            reason = "unexplained_speech"
        elif score < REJECT_SCORE_PER_FRAME:
            reason = "poor_match"
        elif self.rival is not None and rival and rival not in self.main.phrases and rival in self.rival.phrases:
            frames = max(1, len(levels))
            gain = (sum(s for *_, s in self.rival.segments()) - sum(s for *_, s in segments)) / frames
            if gain > OTHER_PHRASE_MARGIN:
                reason = "other_phrase"
        confidence = confidence_from(score, unexplained)
        return Decoded(text, round(confidence, 3), reason == "ok", reason, round(score, 1), unexplained,
                       rival or None)


def _not_speech(pcm: bytes, loud: np.ndarray) -> bool:
    """A hiss (as flat in spectrum as white noise) or a click (too few loud frames for a word)."""
    return noise_like(pcm) or not holds_a_word(loud)


def _score_per_frame(segments: list[tuple[int, int, float]], start: int, end: int) -> float:
    """Acoustic score per frame over [start, end), a segment partly inside counting in proportion."""
    start = max(start, min((s for s, _, _ in segments), default=0))
    end = min(end, max((e for _, e, _ in segments), default=0))
    total, frames = 0.0, 0
    for s, e, score in segments:
        inside = min(e, end) - max(s, start)
        if inside > 0 and e > s:
            total += score * inside / (e - s)
            frames += inside
    return total / frames if frames else REJECT_SCORE_PER_FRAME - 1
