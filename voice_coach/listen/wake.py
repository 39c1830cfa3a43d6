"""Wake detection: the voice-activity gate, a grammar of wake phrases, and Whisper's opinion on short speech only.

The gate in front is the listener's endpointer (speech.listener.StreamListener): silence and steady noise never reach
a decoder. Each utterance is decoded by pocketsphinx against the wake phrase alone and followed by each request
("okay coach", "okay coach start", "okay coach check in", ...); an utterance longer than MAX_WAKE_SECONDS (room
talk runs on) is not decoded past that and never judged further. Every shorter one that is not a click or a hiss
goes to Whisper (whisper_check.WhisperCheck.judge, with the person's voice-check takes when they have some), which
transcribes it freely and scores the wake phrases against its transcript:

- a wake: Whisper took a phrase, or its best wake phrase is within WAKE_GAP of its transcript, or the grammar
  accepted a wake phrase (its request may differ from Whisper's) and Whisper's best is within AGREE_GAP;
- never when Whisper's transcript is much longer than the phrase (MAX_EXTRA_WORDS), even when its rules took it;
- never when it holds no word of the wake phrase (the anchor rule, wake_anchor.py), unless the person's tries decide
  or a second chance is on; Whisper then scores no phrase at all (room talk costs its free transcript only);
- a near miss: within NEAR_GAP. It is journalled, and for a few seconds (listener.SECOND_CHANCE_SECONDS) a near
  miss counts as a wake: a person who was not heard says it again; a television rarely says the same thing twice.
  With the profile's wake sensitivity `high` (the default) a near miss is first judged again with the wake phrases'
  words as Whisper's previous text, and a wake there is a wake; `highest` judges every utterance so
  (SENSITIVITY_PROMPTS).

At the first short pause (speech.listener.EARLY_PAUSE_SECONDS) the same judgement is made early on the audio so
far (`early`), scoring only the bare wake phrase (and the grammar's partial, and the request Whisper wrote): a clear
wake there is answered at once with the tone and stands, while the utterance is heard to its end for the request said
in the same breath. A weaker one that the usual rules take (a likely wake: slowed or accented speech, whose "coach"
Whisper writes as "go") is answered at the longer pause (speech.listener.SETTLED_PAUSE_SECONDS) when nothing more was
said by then, on the same verdict (no second Whisper run): the end of the utterance would take it on the same audio,
only after the whole end silence. When speech goes on instead, it waits for the end and its usual rules.

The grammar alone decides nothing while Whisper is installed: under babble or slowed speech it rejected most wake
phrases measured (scripts/bench_wake.py shows the figures). Whisper hears the request better than "coach", so the
request is read from the end of its transcript when it scored the bare wake phrase best (`with_request`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from voice_coach.coach.intents import Heard
from voice_coach.listen.wake_anchor import anchored, wake_words
from voice_coach.speech.endpointing import FRAME_BYTES
from voice_coach.speech.listener import EARLY_PAUSE_SECONDS
from voice_coach.speech.opinion_rules import take_decides
from voice_coach.speech.recognition import Decoded, Recognizer, clean_phrase
from voice_coach.speech.recognizer_wrapper import Wrapped
from voice_coach.speech.whisper_check import Verdict, WhisperCheck

log = logging.getLogger(__name__)

WAKE_GAP = 4.5
"""Natural-log units: Whisper finds the best wake phrase at most this much less likely than its own transcript.
Chosen on tuning voices (en-us, en-us+f3, en-gb, en-us+m3, en-gb-x-rp+f4) and 8 minutes of room talk (another seed
than the benchmark's): wake phrases scored -8.9 to +6.8 (espeak's "coach" is often "go": "Okay, go." -3 to -8),
room talk at best -5.4 ("Okay, go sign in, everyone." for "okay, coats on everyone"), mostly below -10."""
AGREE_GAP = 7.0
"""The grammar accepted a wake phrase and Whisper finds its best wake phrase at most this much less likely: a wake,
with Whisper's request. The two need not agree on the request: in white noise the grammar often took "okay coach
help" where Whisper wrote "Okay, go, start." (-6.2); requiring the same phrase made those near misses (tuning voices,
white noise 66 -> 70 %, slowed 28 -> 34 %; room talk gave no near misses in 3 hours, so no false wake is added)."""
NEAR_GAP = 8.0
"""At most this much less likely: a near miss (and a wake on the second chance)."""
MAX_EXTRA_WORDS = 4
"""Whisper's transcript may hold at most this many words more than the wake phrase it scored (for any wake or near
miss, a phrase Whisper's rules took included: the long room run took "okay coach" over "I'm not sure if I'm gonna go
to the end of", Whisper's hallucination on a short real clip of a game voice, less likely than the phrase). On tuning
voices wake phrases came out at most 3 words longer ("Okay, go,
what's the name?" for "okay coach what's today"), bar one in babble (6); room talk that came close held 5 to 10 more
("A coach and horses, the coach trip was lovely.", "She's a new poth of all, and it's a"): measured gaps are relative
to the transcript, and a long garbled transcript is so unlikely that almost any phrase comes near it."""
BARE_EXTRA_WORDS = 2
"""For the wake phrase alone (no request read from the transcript), at most this many words more: the long room run
(seed 32) took "okay coach" in "okay cool, a coach and horses" ("Ok, Cole, a coach and aussies.", 4 words more, the
phrase likelier than that transcript). Its cost, on tuning voices (50 quiet trials): two wakes with "what's today",
whose request Whisper wrote otherwise ("what's the day"-like, 3 words more), are missed instead of answered "Yes?"
(3 would keep them; the long run was made with 2)."""
MAX_WAKE_SECONDS = 5.0
"""Longer utterances are not a wake phrase with a request (they are never decoded further)."""
EARLY_MIN_SECONDS = 0.45
"""An early decision (at a short pause, listener.EARLY_PAUSE_SECONDS) needs at least this much audio so far (the
pre-roll and hangover included): less is a click or one word."""
EARLY_MAX_SECONDS = 3.5
"""...and at most this much: the wake phrase (with a request said in one breath, slowly) fits; room talk runs on."""
EARLY_CHECKS = 2
"""Early decisions tried per utterance (a pause inside a slow "okay ... coach" asks once too soon)."""
EARLY_GAP = 2.0
"""At a pause only a clear wake is taken: Whisper took the phrase, or found it at most this much less likely than
its transcript; the second chance does not apply. What is heard so far may be the start of other talk ("okay, go
on then" is "Okay, go." at its comma, and espeak's "okay coach" is heard as "Okay, go." at -3 to -8 on tuning
voices): weaker matches wait for the end of the utterance and its usual rules (a later answer, not a lost one)."""
EARLY_EXTRA_WORDS = 2
"""...and Whisper's transcript holds at most this many words more than the phrase, request or not (MAX_EXTRA_WORDS
at the end, for a phrase with a request)."""
REQUEST_FALL = 4.0
"""...and when Whisper finds the grammar's request at most this much less likely than the bare wake phrase: it wrote
"Okay, coped, tired" for "okay coach check in" (tuning voice, white noise), and the grammar's "okay coach help",
within AGREE_GAP of that transcript but 7.4 below the bare phrase, was taken; "Okay, go, check it!" (the rule's own
case) has its request 1.1 below."""
NOTHING_MORE_SECONDS = 0.4
"""Audio heard after an early wake up to the end of its utterance that is only the pause's tail: nothing
followed the wake phrase, so its early judgement stands (no second Whisper run)."""

SENSITIVITY_PROMPTS: dict[str, tuple[str | None, str | None]] = {
    "normal": (None, None), "high": (None, "words"), "highest": ("words", None)}
"""The profile's wake sensitivity → the Whisper check's previous text while waiting: (for every utterance, for a
second run on a near miss); None: the check's own (no word list). The `words` list gives Whisper the wake phrases'
words (whisper_prompt.prompt_words) before the utterance: it then writes "coach" where it heard "go" or "cool", for
the person's slow or unclear "okay coach" and for everyday "okay cool" alike. "high" asks that only of a near miss
of the plain judgement (a wake there is a wake); "highest" of every utterance (docs/LISTEN.md gives the figures)."""


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
    taken: bool = False
    """Whisper's own rules took the phrase (not only found it near its transcript)."""

    def how(self) -> dict[str, Any]:
        """Journal fields."""
        gap = None if self.gap is None or not math.isfinite(self.gap) else round(self.gap, 2)
        return {"phrase": self.phrase, "grammar": self.grammar, "transcript": self.transcript, "gap": gap,
                "seconds": round(self.seconds, 2)}


class WakeDetector:
    """The Recognizer port for the waiting state. `grammar` is a bare pocketsphinx recognizer (no second opinion
    behind it: this detector weighs Whisper's scores itself); `check` is the Whisper check (None: the grammar
    alone)."""

    name = "wake"

    def __init__(self, grammar: Recognizer, check: WhisperCheck | None, *, wake_gap: float = WAKE_GAP,
                 agree_gap: float = AGREE_GAP, near_gap: float = NEAR_GAP, sensitivity: str = "normal") -> None:
        if sensitivity not in SENSITIVITY_PROMPTS:
            raise ValueError(f"wake sensitivity {sensitivity!r}: use one of {', '.join(SENSITIVITY_PROMPTS)}")
        self.grammar, self.check = grammar, check
        self.prompt, self.retry_prompt = SENSITIVITY_PROMPTS[sensitivity]
        """What Whisper is given as previous text while waiting (whisper_prompt.PROMPTS; None: the check's own), and
        for a second run on a near miss (None: no second run)."""
        self._reading_request = False
        """The whole utterance after a wake, read for its request: Whisper without a word list (given the wake words,
        it wrote a slow "okay coach, start" as "okay")."""
        self.wake_gap, self.agree_gap, self.near_gap = wake_gap, agree_gap, near_gap
        self.lenient = False
        """Set by the loop during a second chance: a near miss counts as a wake."""
        self.results: list[WakeResult] = []
        """Every utterance judged since the loop last took them."""
        self.whisper_runs = 0
        self.verify_seconds = 0.0
        """Wall time the last `end` spent on Whisper."""
        self._phrases: tuple[str, ...] = ()
        self._bare = ""
        self._words: frozenset[str] = frozenset()
        self._pcm = bytearray()
        self._too_long = False
        self._partial = ""
        self._early: WakeResult | None = None
        self._early_bytes = 0
        self._early_checks = 0
        self._likely: tuple[WakeResult, int] | None = None
        self._checked: tuple[Verdict, int, bool] | None = None
        self._checked_prompt: str | None = None
        """The previous text `_checked` was judged with (None: the check's own), for the phrases scored on it later."""
        self.early_runs = 0
        """Whisper runs at a short pause (also counted in `whisper_runs`)."""

    @property
    def last(self) -> Decoded | None:
        """The grammar's decoding of the last utterance (the wake's own judgement is in `results`)."""
        return self.grammar.last

    @property
    def phrases(self) -> frozenset[str]:
        return self.grammar.phrases

    def prepare(self) -> bool:
        return False  # Whisper runs at the end only, on short speech (most of what reaches here is room talk)

    def begin(self, phrases: tuple[str, ...]) -> None:
        self._phrases = tuple(clean_phrase(p) for p in phrases)
        self._bare = min(self._phrases, key=len) if self._phrases else ""
        self._words = wake_words(self._bare)
        self._pcm = bytearray()
        self._too_long = False
        self._partial, self._early, self._early_bytes, self._early_checks = "", None, 0, 0
        self._checked, self._likely, self._checked_prompt = None, None, None
        self.grammar.begin(phrases)

    def feed(self, pcm: bytes) -> str | None:
        if self._too_long:
            return None
        self._pcm += pcm
        if len(self._pcm) > MAX_WAKE_SECONDS * 32000:
            self._too_long = True  # room talk: stop decoding it (the grammar's end below rejects it)
            return None
        self._partial = clean_phrase(self.grammar.feed(pcm) or "")
        # No partial result for the listener: ending the utterance at the first short pause after the wake phrase
        # (as "stop" does) cut "okay coach, check in" at the comma and lost the request. The wake is decided early
        # instead (`early`), and the utterance is heard to its end for the request.
        return None

    def early(self, pause_seconds: float = EARLY_PAUSE_SECONDS) -> bool:
        """At a short pause (speech.listener.EARLY_PAUSE_SECONDS): is what was said so far a wake? Judged by the
        same rules as at the end, on the audio so far; a wake decided here stands (its answer tone is the wake the
        person hears), and the utterance goes on being heard for the request said in the same breath. Asked again
        at the longer pause of the same silence (SETTLED_PAUSE_SECONDS): the likely wake of the first pause, if any
        (`_settled`)."""
        if pause_seconds > EARLY_PAUSE_SECONDS:
            return self._settled(pause_seconds - EARLY_PAUSE_SECONDS)
        self._likely = None
        seconds = len(self._pcm) / 32000
        if (self.check is None or self._too_long or self._early is not None or self._early_checks >= EARLY_CHECKS
                or not EARLY_MIN_SECONDS <= seconds <= EARLY_MAX_SECONDS):
            return False
        self._early_checks += 1
        self.early_runs += 1
        partial = self._partial if self._partial in self._phrases else ""
        base = WakeResult("none", None, f"{partial}/partial", seconds=seconds)
        result = self._second_opinion(partial, False, base, bare_only=True)
        if not self._clear(result) and self._checked is not None:  # a request in the same breath: score it too
            checked, at, _ = self._checked
            verdict = self._extended(checked, partial)
            if verdict is not checked:
                self._checked = (verdict, at, True)
                result = self._second_opinion(partial, False, base, verdict=verdict)
        clear = self._clear(result)
        extra = len(clean_phrase(result.transcript or "").split()) - len((result.phrase or "").split())
        if result.outcome != "wake":
            return False
        if not clear or extra > EARLY_EXTRA_WORDS:
            self._likely = (result, len(self._pcm))
            return False
        self._early, self._early_bytes = result, len(self._pcm)
        return True

    def _settled(self, since_seconds: float) -> bool:
        """At the longer pause: the likely wake of the first pause is answered if nothing but this pause's own
        silence (`since_seconds` of it) was heard since; the end of the utterance keeps it (`_end_after_early`)."""
        if self._likely is None or self._early is not None or self._too_long:
            return False
        result, at = self._likely
        self._likely = None
        if len(self._pcm) - at > since_seconds * 32000 + FRAME_BYTES:  # more than the pause (a frame for rounding)
            return False
        self._early, self._early_bytes = result, len(self._pcm)
        return True

    def end(self) -> Heard | None:
        if self._early is not None:
            return self._end_after_early(self._early)
        heard = self.grammar.end()
        seconds = len(self._pcm) / 32000
        decoded = self.grammar.last
        text = heard.text if heard is not None else (decoded.text if decoded is not None else "")
        reason = "ok" if heard is not None else (decoded.reason if decoded is not None else "none")
        result = WakeResult("none", None, f"{text}/{reason}", seconds=seconds)
        started = time.perf_counter()
        if not self._too_long and self._candidate(heard, decoded):
            said = clean_phrase(text)
            result = self._second_opinion(said, heard is not None, result, verdict=self._same_audio(said))
        self.verify_seconds = time.perf_counter() - started
        self.results.append(result)
        del self.results[:-64]
        if result.outcome == "wake" and result.phrase is not None:
            return Heard(result.phrase, 1.0, "voice")
        return None

    def _same_audio(self, text: str) -> Verdict | None:
        """The verdict of the check at a pause when nothing but the pause's tail came after it: the end judges the
        same audio, so Whisper need not run again (room talk's short utterances cost one run, as before), only
        score the grammar's final choice `text` on it when that check had not (`_extended`)."""
        if self._checked is None:
            return None
        verdict, at, bare_only = self._checked
        if (len(self._pcm) - at) / 32000 > NOTHING_MORE_SECONDS:
            return None
        return self._extended(verdict, text) if bare_only else verdict

    def _extended(self, verdict: Verdict, text: str) -> Verdict:
        """A verdict of the check at a pause, which scored the bare wake phrase (and the grammar's partial) only,
        with the grammar's choice `text` and the request Whisper's transcript ends in (`with_request`) scored too
        when Whisper wrote a word of the wake phrase: on the same encoded audio (`WhisperCheck.extend`, a short
        decoder pass each, no new transcript); the same verdict when there is nothing more to score."""
        if self.check is None or not self._anchored(verdict.transcript):
            return verdict
        asked = with_request(self._bare, verdict.transcript, self._phrases, self._bare)
        for phrase in dict.fromkeys((text, asked)):
            if phrase in self._phrases:
                with self._prompted(self._checked_prompt) as check:
                    verdict = check.extend(verdict, phrase)
        return verdict

    @staticmethod
    def _clear(result: WakeResult) -> bool:
        """A clear match, as a wake at a pause needs (EARLY_GAP)."""
        return result.taken or (result.gap is not None and result.gap >= -EARLY_GAP)

    def _end_after_early(self, early: WakeResult) -> Heard:
        """The end of an utterance already decided a wake at a pause: the wake stands; what followed it (the
        request) is read by a second judgement of the whole utterance when there was more speech."""
        heard = self.grammar.end()
        text = clean_phrase(heard.text) if heard is not None else ""
        started = time.perf_counter()
        result = early
        more = (len(self._pcm) - self._early_bytes) / 32000 > NOTHING_MORE_SECONDS
        same = None if more else self._same_audio(text)  # nothing more: the grammar's request scored on the same audio
        if (more or same is not None) and not self._too_long:
            # the wake stands: the request is scored whatever "coach" became (and lenient, never with the wake words
            # listed: given them, Whisper wrote a slow "okay coach, start" as "okay")
            lenient, self.lenient, self._reading_request = self.lenient, True, True
            try:
                whole = self._second_opinion(text, heard is not None, WakeResult("none", None, f"{text}/early",
                                                                                  seconds=len(self._pcm) / 32000),
                                             verdict=same)
                request = self._request(whole, same, text if heard is not None else "")
            finally:
                self.lenient, self._reading_request = lenient, False
            if request is not None:
                result = WakeResult("wake", request, early.grammar, whole.transcript, whole.gap, whole.seconds)
        self.verify_seconds = time.perf_counter() - started
        self.results.append(result)
        del self.results[:-64]
        assert result.phrase is not None
        return Heard(result.phrase, 1.0, "voice")

    def _request(self, whole: WakeResult, same: Verdict | None, accepted: str) -> str | None:
        """The request said with a wake already decided: the phrase with a request that the whole utterance's
        judgement found, or else the one the grammar accepted (`accepted`) when Whisper finds it at most AGREE_GAP
        less likely than its transcript ("Okay, go, check it!" for "okay coach check in": Whisper hears the request
        well but writes it loosely, and scores the bare phrase best); None: the bare wake ("Yes?")."""
        if whole.phrase is not None and whole.phrase != self._bare and whole.outcome in ("wake", "near_miss"):
            return whole.phrase
        verdict = same if same is not None else (self._checked[0] if self._checked is not None else None)
        if self.check is None or verdict is None or accepted == self._bare or accepted not in self._phrases:
            return None
        with self._prompted(self._checked_prompt) as check:
            verdict = check.extend(verdict, accepted)
        scores = dict(verdict.scores)
        gap, bare = scores.get(accepted), scores.get(self._bare)
        if gap is None or gap < -self.agree_gap:
            return None
        return accepted if bare is None or bare - gap <= REQUEST_FALL else None

    def take_results(self) -> list[WakeResult]:
        out, self.results = self.results, []
        return out

    # ----- internals ---------------------------------------------------------------------------------------
    @contextmanager
    def _prompted(self, prompt: str | None) -> Iterator[WhisperCheck]:
        """The Whisper check with `prompt` as its previous text (None: its own) for the calls inside; the check is
        shared with the coach's own recognizer, so its prompt and gates are put back."""
        check = self.check
        assert check is not None
        before = (check.prompt, check.limits)
        if prompt is None or prompt == before[0]:
            yield check
            return
        check.prompt = prompt  # sets the gates measured with that word list too
        try:
            yield check
        finally:
            check.prompt, check.limits = before

    def _anchored(self, transcript: str) -> bool:
        """The anchor rule (wake_anchor.py): the transcript holds a word of the wake phrase; not during a second
        chance (`lenient`): the near miss before it held one, and in noise Whisper writes the same phrase said
        again as "For gay gold." or "Or K-Cope, checkin'" (the two-try figures in white noise fell 10 points with
        the rule there)."""
        return self.lenient or anchored(transcript, self._words)

    def _candidate(self, heard: Heard | None, decoded: Decoded | None) -> bool:
        """Short speech is a candidate, whatever the grammar made of it: under babble or slowed the grammar
        rejects most wake phrases ("unexplained speech", "no grammar"), and Whisper is what decides. A click, a
        hiss or an unpronounceable grammar is not."""
        if heard is not None:
            return True
        return decoded is not None and decoded.reason not in ("silence", "noise", "unknown_word")

    def _second_opinion(self, text: str, accepted: bool, result: WakeResult, *, bare_only: bool = False,
                        verdict: Verdict | None = None) -> WakeResult:
        """Whisper's verdict on the audio so far (`verdict`: one already made on the same audio) weighed by the
        rules in the module's docstring. Whisper scores phrases only on a transcript the anchor rule lets through
        (wake_anchor.py), and with `bare_only` (the check at a pause) only the bare wake phrase and the grammar's
        choice so far (`text`): a third of the phrases scored by the full check (its shortlist of five)."""
        if self.check is None:  # the grammar alone (no Whisper model): only its acceptance wakes
            if text not in self._phrases:
                return result
            return WakeResult("wake" if accepted else "near_miss", text, result.grammar, seconds=result.seconds)
        fresh = verdict is None
        if verdict is None:
            verdict = self._judge(text, bare_only, None if self._reading_request else self.prompt)
            if verdict is None:
                return WakeResult("wake" if accepted else "none", text or None, result.grammar,
                                  seconds=result.seconds)
        weighed = self._weigh(verdict, text, accepted, result)
        if (weighed.outcome == "near_miss" and self.retry_prompt is not None
                and (fresh or self._checked_prompt is None)):
            kept = self._checked, self._checked_prompt
            listed = self._judge(text, bare_only, self.retry_prompt)  # high sensitivity: the wake words listed
            if listed is not None:
                again = self._weigh(listed, text, accepted, result)
                if again.outcome == "wake":
                    return again
                self._checked, self._checked_prompt = kept  # later scoring goes on the verdict that stands
        return weighed

    def _judge(self, text: str, bare_only: bool, prompt: str | None) -> Verdict | None:
        """A new Whisper verdict on the audio so far, with `prompt` as its previous text (None: the check's own),
        kept as `_checked`; None when the check failed."""
        assert self.check is not None
        self.whisper_runs += 1
        try:
            hints = (text,) if text in self._phrases else ()
            with self._prompted(prompt) as check:
                verdict = check.judge(bytes(self._pcm), (self._bare, *hints) if bare_only else self._phrases,
                                      hints, score_if=self._anchored)
        except Exception as exc:  # noqa: BLE001 - a broken second opinion must not stop the listener
            log.warning("the Whisper check failed on a wake (%s): the grammar decides alone", exc)
            return None
        self._checked, self._checked_prompt = (verdict, len(self._pcm), bare_only), prompt
        return verdict

    def _weigh(self, verdict: Verdict, text: str, accepted: bool, result: WakeResult) -> WakeResult:
        """The rules of the module's docstring on one Whisper verdict."""
        phrase, gap = verdict.phrase or verdict.candidate, verdict.gap
        if phrase is None or phrase not in self._phrases:
            return WakeResult("none", None, result.grammar, verdict.transcript, None, result.seconds)
        phrase = with_request(phrase, verdict.transcript, self._phrases, self._bare)
        limit = BARE_EXTRA_WORDS if phrase == self._bare else MAX_EXTRA_WORDS
        if len(clean_phrase(verdict.transcript).split()) > len(phrase.split()) + limit:
            return WakeResult("none", phrase, result.grammar, verdict.transcript, gap, result.seconds)
        if not self._anchored(verdict.transcript) and not by_takes(verdict):
            return WakeResult("none", phrase, f"{result.grammar}/unanchored", verdict.transcript, gap, result.seconds)
        if verdict.phrase is not None or gap >= -self.wake_gap or (accepted and gap >= -self.agree_gap):
            outcome = "wake"
        elif gap >= -self.near_gap:
            outcome = "wake" if self.lenient else "near_miss"
        else:
            outcome = "none"
        return WakeResult(outcome, phrase, result.grammar, verdict.transcript, gap, result.seconds,
                          verdict.phrase is not None)


def by_takes(verdict: Verdict) -> bool:
    """The person's own tries decided the phrase (opinion_rules.voice_rule): Whisper's transcript need not hold a
    word of it (a slurred "okay coach" is what the tries are for)."""
    match = verdict.match
    return match is not None and verdict.phrase is not None and verdict.phrase == match.phrase and take_decides(match)


def with_request(phrase: str, transcript: str, phrases: tuple[str, ...], bare: str) -> str:
    """The bare wake phrase Whisper scored best, with the request its transcript ends in when there is one
    ("Okay, go check in." → "okay coach check in"): Whisper scores only a shortlist of the wake grammar, and
    hears the request far better than "coach"."""
    if phrase != bare:
        return phrase
    said = clean_phrase(transcript)
    for candidate in sorted(phrases, key=len, reverse=True):
        request = candidate[len(bare):].strip()
        if request and (said.endswith(" " + request) or said == request):
            return candidate
    return phrase


class ModeRecognizer(Wrapped):
    """One recognizer port that gives the waiting state's utterances to the wake detector and every other
    state's (the listener's questions, and a whole session) to the coach's own recognizer: one microphone, one
    endpointer, one stream, as `voice-coach session` has. `inner` is the one in use since the last `begin`."""

    def __init__(self, wake: WakeDetector, coach: Recognizer, wake_states: frozenset[str]) -> None:
        super().__init__(coach)
        self.name = "listen"
        self.wake, self.coach, self.wake_states = wake, coach, wake_states
        self.state = ""
        """Set by the loop before each listen (Expectation.state)."""

    def begin(self, phrases: tuple[str, ...]) -> None:
        self.inner = self.wake if self.state in self.wake_states else self.coach
        self.inner.begin(phrases)

    def early(self, pause_seconds: float = EARLY_PAUSE_SECONDS) -> bool:
        """The wake detector's early decision while waiting; the coach's recognizer never decides early."""
        return self.inner is self.wake and self.wake.early(pause_seconds)
