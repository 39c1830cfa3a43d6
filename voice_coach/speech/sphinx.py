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

Second pass (off by default: `SphinxRecognizer(rescore=K)`): the grammar's n-best phrases (up to K, and the
second decoder's phrase when the state takes it) are each aligned alone to the utterance (a one-phrase grammar
per phrase, cached, on the same cepstral mean as the grammar decode), and one fitting better than the grammar's
choice by more than RESCORE_MARGIN per frame replaces it; the checks above then judge that phrase's alignment,
and a winner by less than RESCORE_CLOSE per frame over the runner-up gets at most CLOSE_CALL_CONFIDENCE. Measured
on tests/audio it does not pay: even aligning every phrase of the state and taking the best fit understands
fewer clean commands than the grammar search (51 vs 60 of 75; slowed 9 vs 11 of 28), as the acoustic model
prefers short phrases ("i'm" for "five") about as often as it fixes "seven" → "two"; see scripts/bench_speech.py
mode "rescore".

Noise front end (off by default: `SphinxRecognizer(denoise=True)`, `DENOISE`): at its end each utterance is
decoded again after `voice_coach.speech.denoise` (a Wiener-style gain from the utterance's own quietest frames; a quiet
room is left untouched), the rejection checks still measuring the audio as heard. Measured on tests/audio (bench
mode "denoise"): white noise at 10 dB understood rises by about 6 points, but not-for-coach sounds acted on in
that noise rise too, and slowed speech loses a command; so it stays off.

Whisper check (on when its model is installed: `SphinxRecognizer(verifier=...)`, see `whisper_check`):
every utterance the checks above did not dismiss as silence or a click is judged again by Whisper tiny.en, which
decides (`verified`); its work starts at the person's pause (`prepare`), in a worker thread, so that it is done
by the end of the end silence. Measured on tests/audio (bench mode "whisper"): quiet 81 -> 97 % understood, a
held-out voice 79 -> 96 %, speech not meant for the coach acted on 4.8 -> 0 % (white noise 14.3 -> 0.8 %).

A hypothesis that is not a whole phrase of the grammar (pocketsphinx returns a partial path when no path
reached the grammar's end) is rejected too, and so is sound as flat in spectrum as white noise
(`recognizers.noise_like`: white noise fits "faint" at -7 per frame).

Confidence: the acoustic fit mapped through the share of accepted results that had the right intent in that
score band on tests/audio (-34 → 0.3, -30 → 0.7, -22 → 0.8, -18 → 0.9, -12 and above → 0.97), minus 0.01
per unexplained frame; so below the coach's read-back threshold of 0.6 about two in three are wrong. It is
an estimate from synthetic voices, not a calibrated probability for every speaker.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from voice_coach.coach.intents import Heard
from voice_coach.errors import ModelError
from voice_coach.speech.denoise import denoise
from voice_coach.speech.recognizers import (
    LEVEL_FRAME_SAMPLES,
    Decoded,
    WordWarnings,
    frame_levels,
    noise_like,
    phrase_set,
)
from voice_coach.speech.whisper_check import Verdict, WhisperCheck, take_decides

log = logging.getLogger(__name__)
STOP_PHRASES = frozenset({"stop"})
"""A "stop" the grammar accepted acts at once, without waiting for the Whisper check (the listener's stop fast
path ends the utterance 0.24 s into the pause, before the check would have started; stopping is the safe way to
be wrong)."""

EXTRA_PRONUNCIATIONS = {
    "nought": "N AO T",
    "fasciculation": "F AH S IH K Y AH L EY SH AH N",
    "fasciculations": "F AH S IH K Y AH L EY SH AH N Z",
}
"""Words of prompts/phrases.yaml missing from CMUdict (ARPAbet, as the en-us model uses)."""
REJECT_SCORE_PER_FRAME = -34.0
MAX_UNEXPLAINED_FRAMES = 15
LOUD_ABOVE_FLOOR_DB = 9.0
LOUD_MIN_DBFS = -60.0
OTHER_PHRASE_MARGIN = 0.5
"""Per frame, how much better a phrase of another state must fit than the state's best to reject the latter."""
MIN_LOUD_FRAMES = 8
"""Fewer loud frames than this (80 ms) is a click or a tap, not a word (the shortest command has about 25)."""
CONTEXT_FRAMES = 30
"""Frames (10 ms) either side of the words counted in the score per frame."""
RESCORE_MARGIN = 2.0
"""Per frame, how much better a re-scored phrase must fit than the grammar's choice to replace it (best of 0, 0.5,
1, 2, 4 on tests/audio, and still no better than none)."""
RESCORE_CLOSE = 1.0
"""Per frame: a second-pass winner closer than this to the runner-up is a close call."""
CLOSE_CALL_CONFIDENCE = 0.59
"""Just under the coach's read-back threshold (0.6): a close call is read back."""
CONFIDENCE_POINTS = ((-34.0, 0.3), (-30.0, 0.7), (-22.0, 0.8), (-18.0, 0.9), (-12.0, 0.97))
AGREE_MARGIN = 6.0
"""Natural-log units: how much less likely than its own transcript Whisper may find the grammar's phrase for that
phrase to stand when Whisper itself took none (measured: white noise at 10 dB 32 -> 45 % understood, 2 -> 8 and
more let the same number of sentences not meant for the coach through in quiet)."""
URGENT_AGREE_MARGIN = 10.0
"""Natural-log units: a "stop" or symptom the grammar accepted stands (read back) unless Whisper finds it this much
less likely than its own transcript. Measured on tests/audio: with no limit the grammar's false symptoms stood
(quiet 97 -> 93 % understood: "five" and "nine" -> "hard to breathe", "next" -> "that hurts"); a slowed "short of
breath" the grammar heard scored -6.1 and must stand."""
DENOISE = False
"""Default of `SphinxRecognizer(denoise=...)` (see scripts/bench_speech.py mode "denoise")."""
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
        self.cmn = self.decoder.get_cmn()
        """The cepstral mean the utterance starts from (the second pass aligns on the same features)."""
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

    def end(self, whole: bytes | None = None, full: bool = True) -> str:
        """Finish the utterance; the best path's words ("" when none). With `whole` (the utterance's audio) the
        streamed decode is thrown away and the audio decoded again in one block: `full`, on the utterance's own
        cepstral mean (see `SphinxRecognizer`); else from the mean the utterance started from, as if streamed
        (the denoised audio)."""
        if not self.running:
            return ""
        self.running = False
        self.decoder.end_utt()
        if whole:
            if not full:
                self.decoder.set_cmn(self.cmn)
            self.decoder.start_utt()
            self.decoder.process_raw(whole, False, full)
            self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def nbest(self, k: int) -> list[str]:
        """Up to `k` distinct whole phrases of the last utterance's n-best list, best first."""
        out: list[str] = []
        for hyp in self.decoder.nbest() or []:
            text = hyp.hypstr.strip() if hyp is not None else ""
            if text in self.phrases and text not in out:
                out.append(text)
                if len(out) >= k:
                    break
        return out

    def align(self, phrase: str, pcm: bytes, cmn: str, batch: bool) -> list[tuple[str, int, int, float]] | None:
        """`phrase` alone aligned to `pcm` from cepstral mean `cmn` (batch: the utterance's own): its segments,
        None when no path reached the phrase's end."""
        self.decoder.set_cmn(cmn)
        self.begin((phrase,))
        if not batch:
            self.feed(pcm)
        text = self.end(pcm if batch else None)
        return self.segments() if text == phrase else None

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

    def __init__(self, known_phrases: tuple[str, ...] | None = None, *, batch_cmn: bool = False,
                 rescore: int = 0, denoise: bool = DENOISE, verifier: WhisperCheck | None = None,
                 **decoder_options: Any) -> None:
        self.batch_cmn = batch_cmn
        """Decode each utterance again in one block at its end (cepstral mean of the utterance itself)."""
        self.rescore = rescore
        """Second pass over the grammar's top `rescore` phrases (0: off; see the module's docstring)."""
        self.denoise = denoise
        """Decode each utterance again at its end with its background turned down (`voice_coach.speech.denoise`); the
        rejection checks still measure the audio as heard."""
        options: dict[str, Any] = {"lm": None, "bestpath": False, "loglevel": "FATAL", **decoder_options}
        self.warnings = WordWarnings(self.name)
        self.main = GrammarDecoder(options, self.warnings)
        self.decoder = self.main.decoder
        """The pocketsphinx decoder of the state's grammar."""
        self.known_phrases = phrase_set(known_phrases) if known_phrases else None
        self.rival = GrammarDecoder(options, self.warnings) if self.known_phrases else None
        self.aligner = GrammarDecoder(options, self.warnings) if rescore > 0 else None
        self.verifier = verifier
        """Whisper's second opinion on every utterance that is speech (`whisper_check`); None: off."""
        self.verdict: Verdict | None = None
        """Whisper's judgement of the last utterance, when it gave one."""
        self._pool: ThreadPoolExecutor | None = None
        self._pending: tuple[Future[Verdict], int] | None = None
        """The Whisper check started by `prepare` and the length of the audio it was given."""
        self._check_warned = False
        self.verify_seconds = 0.0
        """Wall time `end` spent on the Whisper check (waiting for the one `prepare` started, or running one)."""
        self._active = False
        self._pcm = bytearray()
        self._carry = b""
        self.last: Decoded | None = None
        """How the last utterance was judged."""

    # ----- the port ---------------------------------------------------------------------------------------
    def prepare(self) -> bool:
        """The person has paused (the listener's hint): start the Whisper check on the audio so far in a worker
        thread, so that it is done, or nearly, when the end silence is over. `end` uses it when no speech came
        after; otherwise it checks again."""
        if self.verifier is None or not self._active or not self.main.running:
            return False
        pcm = bytes(self._pcm)
        levels = frame_levels(pcm)
        if not _holds_a_word(_loud(levels, levels)):
            return False  # a click: the grammar's checks will dismiss it, so the check would be wasted (a hiss
            # long enough to hold a word is judged by Whisper at the end: see _speech_in_hiss)
        if self._pending is not None:
            self._pending[0].cancel()  # an earlier pause in the same utterance: that audio is out of date
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper-check")
        phrases = tuple(sorted(self.main.phrases))
        hints = tuple(h for h in (self.main.partial(),) if h)
        self._pending = (self._pool.submit(self.verifier.judge, pcm, phrases, hints), len(pcm))
        return True

    def begin(self, phrases: tuple[str, ...]) -> None:
        if self._pending is not None:
            self._pending[0].cancel()
        self._pending = None
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
            if self.rival is not None and not (self.batch_cmn or self.denoise):
                self.rival.feed(data[:whole])
        return self.main.partial()

    def end(self) -> Heard | None:
        if not self._active:
            return None
        self._active = False
        if not self.main.running:
            self.last = Decoded("", 0.0, False, "unknown_word" if self._pcm else "silence")
            return None
        whole = bytes(self._pcm) if self.batch_cmn else None
        if self.denoise and self._pcm:
            whole = denoise(bytes(self._pcm))
        text = self.main.end(whole, self.batch_cmn)
        rival = self.rival.end(whole, self.batch_cmn) if self.rival is not None else ""
        segments, close = self.main.segments(), False
        if self.aligner is not None and text in self.main.phrases:
            text, segments, close = self._second_pass(text, segments, rival)
        levels = frame_levels(bytes(self._pcm))
        self.last = decoded = self._judge(text, rival, segments, levels)
        if close and decoded.accepted:
            self.last = decoded = replace(decoded, confidence=min(decoded.confidence, CLOSE_CALL_CONFIDENCE))
        self.verdict, pending, self._pending = None, self._pending, None
        self.verify_seconds = 0.0
        stop_heard = decoded.accepted and decoded.text in STOP_PHRASES
        if self.verifier is not None and not stop_heard and decoded.reason not in ("silence", "unknown_word") and (
                decoded.reason != "noise" or self._speech_in_hiss(levels)):
            started = time.perf_counter()
            try:
                self.verdict = self._early_verdict(pending, decoded.text, levels)
                if self.verdict is None:
                    self.verdict = self.verifier.judge(bytes(self._pcm), tuple(sorted(self.main.phrases)),
                                                       tuple(x for x in (decoded.text, rival) if x))
            except Exception as exc:  # noqa: BLE001 - the second opinion must never end a session
                self._check_failed(exc)
            self.verify_seconds = time.perf_counter() - started
            if self.verdict is not None:
                self.last = decoded = verified(decoded, self.verdict, self.verifier.urgent)
        return Heard(decoded.text, decoded.confidence, "voice") if decoded.accepted else None

    @staticmethod
    def _speech_in_hiss(levels: np.ndarray) -> bool:
        """The grammar called the utterance a hiss (as flat in spectrum as white noise), but it is long enough to
        hold a word: speech in loud broadband noise is as flat, so Whisper judges it (it says "no speech" to a
        hiss). Measured, white noise at 10 dB SNR: 62 -> 66 of 103 understood, not-for-coach acted on unchanged."""
        return _holds_a_word(_loud(levels, levels))

    def _check_failed(self, exc: Exception) -> None:
        """The Whisper check broke (a model or runtime error): pocketsphinx's judgement stands; said once."""
        if not self._check_warned:
            self._check_warned = True
            log.warning("the Whisper check failed (%s): pocketsphinx decides alone for now", exc)

    def _early_verdict(self, pending: tuple[Future[Verdict], int] | None, text: str,
                       levels: np.ndarray) -> Verdict | None:
        """The verdict `prepare` started, when it judged the same speech (nothing loud came after its audio, loud
        against the whole utterance's `levels`), with the grammar's final phrase scored too; else None (the caller
        checks again)."""
        if pending is None:
            return None
        future, length = pending
        tail = frame_levels(bytes(self._pcm[length:]))
        if _holds_a_word(_loud(tail, levels)):
            future.cancel()
            return None
        verdict = future.result()
        return self.verifier.extend(verdict, text) if self.verifier is not None else verdict

    def _second_pass(self, text: str, segments: list[tuple[str, int, int, float]],
                     rival: str) -> tuple[str, list[tuple[str, int, int, float]], bool]:
        """The grammar's choice, or a phrase of its n-best that fits clearly better aligned alone; its segments;
        whether the winner was a close call."""
        assert self.aligner is not None
        candidates = [c for c in self.main.nbest(self.rescore) if c != text]
        if rival in self.main.phrases and rival != text and rival not in candidates:
            candidates.append(rival)
        if not candidates:
            return text, segments, False
        pcm, cmn = bytes(self._pcm), self.main.cmn
        fits = {text: self.aligner.align(text, pcm, cmn, self.batch_cmn) or segments}
        for phrase in candidates:
            if (aligned := self.aligner.align(phrase, pcm, cmn, self.batch_cmn)) is not None:
                fits[phrase] = aligned
        frames = max(1, len(pcm) // (2 * LEVEL_FRAME_SAMPLES))
        totals = sorted(((sum(s for *_, s in segs) / frames, phrase) for phrase, segs in fits.items()), reverse=True)
        best = totals[0][1]
        if best != text and totals[0][0] - dict((p, t) for t, p in totals)[text] > RESCORE_MARGIN:
            text, segments = best, fits[best]
        winner = dict((p, t) for t, p in totals)[text]
        runner_up = max((t for t, p in totals if p != text), default=winner - RESCORE_CLOSE)
        return text, segments, winner - runner_up < RESCORE_CLOSE

    # ----- judging ------------------------------------------------------------------------------------------
    def _judge(self, text: str, rival: str, segments: list[tuple[str, int, int, float]],
               levels: np.ndarray) -> Decoded:
        loud = _loud(levels, levels)
        if not text:
            return Decoded("", 0.0, False, "no_grammar" if loud.sum() >= MAX_UNEXPLAINED_FRAMES else "silence")
        if text not in self.main.phrases:
            return Decoded(text, 0.0, False, "not_a_phrase")
        explained = np.zeros(len(levels), dtype=bool)
        words = []
        for word, start, end, _ in segments:
            if word not in ("<sil>", "[SPEECH]"):
                explained[start:end] = True  # a word, or [NOISE] (a breath or a cough is not speech left over)
                if not word.startswith("["):
                    words.append((start, end))
        if not words:
            return Decoded(text, 0.0, False, "not_a_phrase")
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


def verified(decoded: Decoded, verdict: Verdict, urgent: frozenset[str] = frozenset()) -> Decoded:
    """The grammar decoder's judgement weighed with Whisper's.

    Safety first: a "stop" or symptom phrase (`urgent`) the grammar accepted stands unless Whisper finds it far
    less likely than what it heard (beyond URGENT_AGREE_MARGIN: "five" that the grammar forced onto "hard to
    breathe"); when Whisper heard otherwise it only lowers the confidence below the read-back threshold, so the
    coach asks "Did you say cramp?". An urgent phrase Whisper took stands even when the grammar heard otherwise.
    Otherwise Whisper's phrase is taken, more sure when both heard the same and at most CLOSE_CALL_CONFIDENCE when
    the grammar had accepted a different phrase (an unsure go-ahead is asked again). When Whisper takes none, the
    grammar's phrase still stands if Whisper finds it not much less likely than its own transcript (within
    AGREE_MARGIN), there was speech, and Whisper's transcript was not clearly another of the coach's phrases
    ("10." while waiting for "next": the grammar's "done" was acted on), at CLOSE_CALL_CONFIDENCE; otherwise the
    utterance is rejected (Whisper hears speech not meant for the coach as itself, where the grammar forces it onto
    a command). A sure take of the person's of another symptom outweighs the grammar's symptom (read back: the
    slowed "dizzy" the grammar forced onto "too tired"). A "stop" only Whisper's stop probe found never displaces the
    grammar's symptom (read back); a rating only its number probe found does, when Whisper finds the symptom far less
    likely (a "nine" Whisper wrote "I" that the grammar forced onto "too tired": read back as "nine"). The confidence
    never exceeds the verdict's `cap`."""
    gaps = dict(verdict.scores)
    take = f"{verdict.match.phrase} {verdict.match.ratio:.2f}" if verdict.match is not None else None
    if decoded.accepted and decoded.text in urgent and not _other_urgent_take(decoded, verdict, urgent) and (
            verdict.reason == "no_speech" or (verdict.probed and verdict.phrase in urgent)
            or gaps.get(decoded.text, -math.inf) >= -URGENT_AGREE_MARGIN):
        if verdict.phrase == decoded.text:
            return replace(decoded, confidence=min(max(decoded.confidence, verdict.confidence), verdict.cap),
                           transcript=verdict.transcript, take=take)
        return replace(decoded, confidence=min(decoded.confidence, CLOSE_CALL_CONFIDENCE),
                       transcript=verdict.transcript, take=take)
    if (verdict.phrase is None and decoded.accepted and verdict.reason == "not_for_coach"
            and gaps.get(decoded.text, -math.inf) >= -AGREE_MARGIN):
        return replace(decoded, confidence=min(decoded.confidence, CLOSE_CALL_CONFIDENCE),
                       transcript=verdict.transcript, take=take)
    if verdict.phrase is None:
        return replace(decoded, text=verdict.candidate or decoded.text, confidence=0.0, accepted=False,
                       reason=verdict.reason, transcript=verdict.transcript, take=take)
    confidence = verdict.confidence
    if decoded.accepted and decoded.text == verdict.phrase:
        confidence = max(confidence, decoded.confidence)
    elif decoded.accepted:
        confidence = min(confidence, CLOSE_CALL_CONFIDENCE)
    return replace(decoded, text=verdict.phrase, confidence=min(confidence, verdict.cap), accepted=True,
                   reason="ok", transcript=verdict.transcript, take=take)


def _other_urgent_take(decoded: Decoded, verdict: Verdict, urgent: frozenset[str]) -> bool:
    """Whisper's phrase is another symptom, decided by a sure take of the person's (`take_decides`): it outweighs
    the grammar's "stop" or symptom. A "stop" never displaces a symptom (the symptom's caution says more)."""
    match = verdict.match
    return (match is not None and verdict.phrase == match.phrase != decoded.text and verdict.phrase in urgent
            and verdict.phrase != "stop" and take_decides(match, sure=True))


def _not_speech(pcm: bytes, loud: np.ndarray) -> bool:
    """A hiss (as flat in spectrum as white noise) or a click (too few loud frames for a word)."""
    return noise_like(pcm) or not _holds_a_word(loud)


def _holds_a_word(loud: np.ndarray) -> bool:
    """At least MIN_LOUD_FRAMES loud frames: long enough for a word, not a click."""
    return int(loud.sum()) >= MIN_LOUD_FRAMES


def _loud(levels: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Which of `levels` (dBFS per frame) are loud: LOUD_ABOVE_FLOOR_DB over the quiet frames of `whole` (the
    utterance they belong to), and above LOUD_MIN_DBFS."""
    floor = float(np.percentile(whole, 10)) if whole.size else 0.0
    return np.asarray(levels >= max(LOUD_MIN_DBFS, floor + LOUD_ABOVE_FLOOR_DB))


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
