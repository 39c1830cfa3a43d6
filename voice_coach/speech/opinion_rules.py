"""The second opinion's rules: pure functions from Whisper's scores, transcript and doubt, the grammar's judgement
and the person's takes to a verdict (docs/SPEECH.md says how each number was measured)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from voice_coach.coach.intents import NumberCarriers
from voice_coach.speech.recognition import SURE_FROM, UNSURE_CONFIDENCE, Decoded
from voice_coach.speech.voice_templates import Match

MARGIN = 1.0
"""Natural-log units: how much less likely than Whisper's own transcript the best phrase may be and still be taken
(wider lets speech not meant for the coach through for no command more understood)."""
URGENT_MARGIN = 3.0
"""The margin for "stop" and symptoms: a missed cramp costs more than a question ("Did you say cramp?")."""
SHORT_MARGIN = 3.0
"""The margin when Whisper's own transcript is short and garbled (noise, slow speech): a weak reference to judge a
phrase against. Only for phrases safe to take unsure (`Vocabulary.short_ok`), and read back."""
NO_SPEECH = 0.6
"""Whisper's no-speech probability from which an utterance is no speech, unless its transcript is exactly one of
the state's phrases or holds "stop" or a symptom (other voices make Whisper doubt a reply it hears clearly)."""
CUT_NO_SPEECH = 0.7
"""On the reply's own stretch cut from other people's talk, doubt from which even an exact phrase is rejected
(a breath or a cough cut out of the talk comes out as "Yeah." or "No."), but "stop" and symptoms."""
STOP_PROBE_WORDS = 3
"""A transcript of at most this many words that nothing was taken for is scored for the one-word "stop" phrases:
other voices turn a "stop" into "time", "Tom" or "Star", which the first-word shortlist leaves out."""
STOP_NO_SPEECH = 0.8
"""...and only when Whisper's doubt that there is speech is under this (a hallucination over a hiss is not), also
on the stretch cut from other people's talk (CUT_NO_SPEECH does not apply: a "stop" said into babble comes out as
"Star." or "car" at a doubt of 0.72-0.79)."""
STOP_PROBE_MARGIN = 4.0
"""How far below the transcript a probed "stop" may be. Under babble a real "stop" written "time.", "car." or "Oh"
scored 3.3 to 4.8 below it (tuning noise draws, docs/SPEECH.md), and other talk as close: "turn the lights off" under
babble, written "The life's on.", 4.3. A probed "stop" is unsure: the coach pauses and asks "Did you want to stop?",
it never ends the session on it. 5 heard more "stop"s but paused on twice as much real talk (docs/SPEECH.md)."""
NUMBER_PROBE_WORDS = 2
"""A transcript of at most this many words nothing was taken for, in a state that takes a number, is scored for
the likeliest numbers: other voices turn "five" into "Bye." and "nine" into "Hi."."""
NUMBER_MARGIN = 4.5
"""How far below the transcript a probed number may be."""
NUMBER_LEAD = 1.0
"""How far ahead of every other phrase scored a probed number must be (a "yes" written "Jess." stays a yes)."""
VOICE_SURE, VOICE_NEAR, VOICE_GAP = 0.35, 0.5, 0.02
"""The person's takes (voice_templates.py) decide when the nearest take's `Match.ratio` is within VOICE_NEAR
(unsure) or VOICE_SURE (sure) and the nearest take of another phrase is at least VOICE_GAP farther."""
VOICE_FAR = 0.22
"""...and the take's absolute distance is within this."""
VOICE_CONFIDENCE = 0.8
"""A phrase decided by a sure take: acted on without a read-back."""
AGREE_MARGIN = 6.0
"""Natural-log units: when Whisper took no phrase, the grammar's phrase still stands (unsure) if Whisper finds it
at most this much less likely than its own transcript."""
URGENT_AGREE_MARGIN = 10.0
"""A "stop" or symptom the grammar accepted stands (unsure) unless Whisper finds it this much less likely than its
own transcript ("five" forced onto "hard to breathe")."""
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Limits:
    """The gates on Whisper's numbers, as one set: the constants above (measured without a word list as Whisper's
    previous text), or a set measured with one (whisper_prompt.py, docs/SPEECH.md)."""

    no_speech: float = NO_SPEECH
    cut_no_speech: float = CUT_NO_SPEECH
    stop_no_speech: float = STOP_NO_SPEECH
    margin: float = MARGIN
    urgent_margin: float = URGENT_MARGIN
    stop_probe_margin: float = STOP_PROBE_MARGIN
    """The word-list sets keep their urgent margin here, as measured with their word list."""
    short_margin: float = SHORT_MARGIN
    number_margin: float = NUMBER_MARGIN


LIMITS = Limits()
"""The gates without a word list."""


@dataclass(frozen=True)
class Vocabulary:
    """The kinds of phrase the rules treat apart (cleaned phrases of prompts/phrases.yaml)."""

    urgent: frozenset[str] = frozenset()
    """"stop" and the symptoms: judged with URGENT_MARGIN, found inside a longer transcript."""
    stops: frozenset[str] = frozenset()
    """One-word "stop" phrases, probed in a short transcript nothing was taken for."""
    short_ok: frozenset[str] = frozenset()
    """Phrases that may be taken on SHORT_MARGIN: read back when unsure (ratings, symptoms) or safe to act on
    ("stop"); never a "yes", "no" or go-ahead, which some states act on at once."""
    known: frozenset[str] = frozenset()
    """Every phrase the coach knows: a transcript that is one of them is clear speech, not garbled."""
    numbers: frozenset[str] = frozenset(NUMBER_WORDS)
    """The number words, probed in a short transcript nothing (and no "stop") was taken for."""
    meanings: Mapping[str, str] = field(default_factory=dict)
    """Phrase → what the coach takes it as ("nope" and "no" alike): two judges hearing either agree."""
    carriers: NumberCarriers | None = None
    """Words said around a number ("About a three.", "Four out of ten."): a transcript that is a number of the state
    with them around it is taken as that number (the grammar holds the bare numbers only)."""


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
    does a phrase only a probe found, unless a sure take agrees."""
    probed: bool = False
    """The phrase is a "stop" or a number found by a probe in a transcript nothing else was taken for: it never
    displaces a phrase the person's takes decide; a probed "stop" never displaces a symptom the grammar heard, a
    probed number only one Whisper finds far less likely (`verified`)."""
    scoring: object = field(default=None, compare=False, repr=False)
    """What Whisper needs to score one more phrase on this utterance's own audio (`whisper_check.Scoring`), or
    None. It travels with the verdict, not in the check: two checks that overlap (a pause's check still running
    when the next pause starts another, or the wake detector and the coach's recognizer sharing one check) each
    keep their own."""


def clean_transcript(text: str) -> str:
    """Lowercase words, digits 0-10 spelled out, punctuation dropped ("Five." -> "five", "7" -> "seven")."""
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("’", "'")).split()
    return " ".join(NUMBER_WORDS[int(w)] if w.isdigit() and int(w) <= 10 else w for w in words)


def confidence_for(gap: float, transcript_logprob: float) -> float:
    """0..1 from how close the phrase came to the transcript and how sure Whisper was of its transcript."""
    closeness = math.exp(max(-MARGIN, min(0.0, gap)) / 2)
    sureness = math.exp(max(-3.0, transcript_logprob) / 3)
    return round(max(0.0, min(1.0, 0.35 + 0.65 * closeness * sureness)), 3)


def urgent_inside(said: str, candidates: list[str], vocab: Vocabulary) -> str | None:
    """An urgent phrase of the state said inside a longer transcript (whole words), a symptom before "stop"
    (a symptom's caution says more), the longest first."""
    padded = f" {said} "
    found = [p for p in candidates if p in vocab.urgent and f" {p} " in padded]
    if not found:
        return None
    return max(found, key=lambda p: (p not in ("stop",), len(p)))


def short_and_unknown(said: str, words: int, no_speech: float, doubt_limit: float, vocab: Vocabulary) -> bool:
    """`said` has at most `words` words, is not a phrase the coach knows, and Whisper's doubt that it is speech
    is under `doubt_limit`."""
    return bool(said) and said not in vocab.known and len(said.split()) <= words and no_speech < doubt_limit


def probes_stop(said: str, no_speech: float, vocab: Vocabulary, limits: Limits = LIMITS) -> bool:
    """Whether a cleaned transcript `said` nothing was taken for is probed for "stop" (STOP_PROBE_WORDS,
    STOP_NO_SPEECH, on a stretch cut from other people's talk too)."""
    return short_and_unknown(said, STOP_PROBE_WORDS, no_speech, limits.stop_no_speech, vocab)


def probes_numbers(said: str, no_speech: float, vocab: Vocabulary, doubt_limit: float = math.inf,
                   limits: Limits = LIMITS) -> bool:
    """Whether a cleaned transcript `said` nothing was taken for is probed for the ratings (NUMBER_PROBE_WORDS)."""
    return short_and_unknown(said, NUMBER_PROBE_WORDS, no_speech, min(limits.no_speech, doubt_limit), vocab)


def first_look(transcript: str, logprob: float, no_speech: float, candidates: list[str], vocab: Vocabulary,
               doubt_limit: float = math.inf, limits: Limits = LIMITS) -> Verdict | None:
    """The verdict Whisper's free transcript settles alone: no speech (nothing said, or doubted and not a phrase,
    or doubted beyond `doubt_limit` and not urgent), exactly a phrase of the state (unsure when doubted), an
    urgent phrase inside a longer transcript (unsure); None when phrases must be scored."""
    said = clean_transcript(transcript)
    carried = vocab.carriers.inner(said) if vocab.carriers is not None and said not in candidates else None
    if carried in vocab.numbers and carried in candidates:
        said = carried  # "About a three." is the rating three, as sure as "Three." would be
    doubt = no_speech >= limits.no_speech
    inside = urgent_inside(said, candidates, vocab) if said not in candidates else None
    too_doubtful = no_speech >= doubt_limit and said not in vocab.urgent and inside is None
    if not said or (doubt and said not in candidates and inside is None) or too_doubtful:
        return Verdict(None, 0.0, "no_speech", transcript, 0.0)
    if said in candidates:
        confidence = confidence_for(0.0, logprob)
        return Verdict(said, min(confidence, UNSURE_CONFIDENCE) if doubt else confidence, "ok", transcript, 0.0,
                       said, ((said, 0.0),))
    if inside is not None:  # "Yes. Stop.", "Next... short of breath": the urgent words count, read back
        return Verdict(inside, UNSURE_CONFIDENCE, "ok", transcript, 0.0, inside, ((inside, 0.0),))
    return None


def decide(transcript: str, logprob: float, gaps: dict[str, float], vocab: Vocabulary,
           probe_gaps: dict[str, float] | None = None, numbers: bool = False, limits: Limits = LIMITS) -> Verdict:
    """The best-scoring phrase is taken when it is within its margin of the transcript's probability; failing
    that, a probed "stop" (`probe_gaps`), then, when the numbers were probed (`numbers`), a number."""
    verdict = decide_shortlist(transcript, logprob, gaps, vocab, limits)
    probe_gaps = probe_gaps or {}
    return (stop_probe(verdict, probe_gaps, vocab, limits)
            or (number_probe(verdict, probe_gaps, vocab, limits) if numbers else None) or verdict)


def decide_shortlist(transcript: str, logprob: float, gaps: dict[str, float], vocab: Vocabulary,
                     limits: Limits = LIMITS) -> Verdict:
    """The best phrase within its own margin (a symptom's is wider); else, for a short garbled transcript, the
    likeliest phrase within SHORT_MARGIN, read back; else a rejection."""
    if not gaps:
        return Verdict(None, 0.0, "not_for_coach", transcript, -math.inf)
    ranked = tuple((p, round(g, 2)) for p, g in sorted(gaps.items(), key=lambda x: -x[1]))
    for phrase, gap in ranked:
        if gap >= -(limits.urgent_margin if phrase in vocab.urgent else limits.margin):
            return Verdict(phrase, confidence_for(gap, logprob), "ok", transcript, gap, phrase, ranked)
    best, gap = ranked[0]
    said = clean_transcript(transcript)
    if (best in vocab.short_ok and said not in vocab.known and len(said.split()) <= len(best.split()) + 1
            and gap >= -limits.short_margin):
        return Verdict(best, min(UNSURE_CONFIDENCE, confidence_for(gap, logprob)), "ok", transcript, gap,
                       best, ranked)
    return Verdict(None, 0.0, "other_phrase" if said in vocab.known else "not_for_coach", transcript, gap, best,
                   ranked)


def stop_probe(verdict: Verdict, probe_gaps: dict[str, float], vocab: Vocabulary,
               limits: Limits = LIMITS) -> Verdict | None:
    """A "stop" phrase within STOP_PROBE_MARGIN of the transcript nothing was taken for, unsure; None when there is
    none or `verdict` took a phrase."""
    stop_gaps = {p: g for p, g in probe_gaps.items() if p in vocab.stops}
    if verdict.phrase is not None or not stop_gaps:
        return None
    phrase, gap = max(stop_gaps.items(), key=lambda x: (x[1], x[0]))
    if gap < -limits.stop_probe_margin:
        return None
    return probed(verdict, phrase, gap)


def number_probe(verdict: Verdict, probe_gaps: dict[str, float], vocab: Vocabulary,
                 limits: Limits = LIMITS) -> Verdict | None:
    """The best number within NUMBER_MARGIN of the transcript nothing was taken for and NUMBER_LEAD ahead of
    every other phrase scored (the shortlist and the probed numbers; a probed "stop" that was not taken is not
    weighed), unsure; None when none stands out or `verdict` took a phrase."""
    gaps = dict(verdict.scores) | {p: g for p, g in probe_gaps.items() if p in vocab.numbers}
    if verdict.phrase is not None or not any(p in vocab.numbers for p in gaps):
        return None
    (phrase, gap), *rest = sorted(gaps.items(), key=lambda x: (-x[1], x[0]))
    if phrase not in vocab.numbers or gap < -limits.number_margin or (rest and gap - rest[0][1] < NUMBER_LEAD):
        return None
    return probed(verdict, phrase, gap)


def probed(verdict: Verdict, phrase: str, gap: float) -> Verdict:
    """`phrase`, found by a probe, taken unsure and kept so (`cap`) whatever the grammar heard, unless a sure take
    of the person's agrees (`voice_rule`)."""
    scores = tuple(x for x in verdict.scores if x[0] != phrase) + ((phrase, round(gap, 2)),)
    ranked = tuple(sorted(scores, key=lambda x: -x[1]))
    return Verdict(phrase, UNSURE_CONFIDENCE, "ok", verdict.transcript, gap, phrase, ranked,
                   cap=UNSURE_CONFIDENCE, probed=True)


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
    if sure and verdict.confidence < SURE_FROM and not keep_urgent:
        return taken
    return replace(verdict, confidence=min(verdict.confidence, UNSURE_CONFIDENCE), cap=UNSURE_CONFIDENCE)


def verified(decoded: Decoded, verdict: Verdict, urgent: frozenset[str] = frozenset(),
             stops: frozenset[str] = frozenset({"stop"}), meanings: Mapping[str, str] | None = None) -> Decoded:
    """The grammar decoder's judgement weighed with Whisper's: sure only on agreement.

    Acting at once needs two judges to agree on the phrase: the grammar and Whisper, or Whisper and a sure take of
    the person's, or Whisper writing the phrase outright where the grammar abstained (`_said_outright`); a phrase
    only one of them heard is unsure ("grammar_only", "whisper_only", "disagree"), so the
    coach reads it back or asks again where a mistake would move the session on. A "stop" the grammar accepted is
    never rejected by Whisper: without Whisper's agreement it is unsure, and the coach pauses and asks "Did you
    want to stop?" instead of ending on a guess ("dog" heard as "stop" in a quiet room).

    Safety first: a "stop" or symptom phrase (`urgent`) the grammar accepted stands unless Whisper finds it far
    less likely than what it heard (beyond URGENT_AGREE_MARGIN); when Whisper heard otherwise it stands unsure
    ("grammar_only"), so the coach asks "Did you say cramp?" (or, for "stop", "Did you want to stop?"). An urgent
    phrase Whisper took stands even when the grammar heard otherwise. Otherwise Whisper's phrase is taken, sure
    only when both heard the same, unsure ("disagree") when the grammar had accepted a different phrase. When
    Whisper takes none, the grammar's phrase still stands, unsure, if Whisper finds it within AGREE_MARGIN of its
    own transcript and that transcript was not clearly another of the coach's phrases ("10." while waiting for
    "next"); otherwise the utterance is rejected. A sure take of the person's of another symptom outweighs the
    grammar's symptom (unsure). A "stop" only Whisper's stop probe found never displaces the grammar's symptom; a
    rating only its number probe found does, when Whisper finds the symptom far less likely. The confidence never
    exceeds the verdict's `cap`."""
    gaps = dict(verdict.scores)
    take = f"{verdict.match.phrase} {verdict.match.ratio:.2f}" if verdict.match is not None else None
    capped = ("probed" if verdict.probed else "takes_unsure") if verdict.cap < SURE_FROM else ""
    if decoded.accepted and decoded.text in urgent and not _other_urgent_take(decoded, verdict, urgent) and (
            verdict.reason == "no_speech" or (verdict.probed and verdict.phrase in urgent)
            or gaps.get(decoded.text, -math.inf) >= -URGENT_AGREE_MARGIN or decoded.text in stops):
        if verdict.phrase == decoded.text:
            return replace(decoded, confidence=min(max(decoded.confidence, verdict.confidence), verdict.cap),
                           transcript=verdict.transcript, take=take, unsure=capped)
        return replace(decoded, confidence=min(decoded.confidence, UNSURE_CONFIDENCE),
                       transcript=verdict.transcript, take=take, unsure="grammar_only")
    if (verdict.phrase is None and decoded.accepted and verdict.reason == "not_for_coach"
            and gaps.get(decoded.text, -math.inf) >= -AGREE_MARGIN):
        return replace(decoded, confidence=min(decoded.confidence, UNSURE_CONFIDENCE),
                       transcript=verdict.transcript, take=take, unsure="grammar_only")
    if verdict.phrase is None:
        return replace(decoded, text=verdict.candidate or decoded.text, confidence=0.0, accepted=False,
                       reason=verdict.reason, transcript=verdict.transcript, take=take)
    confidence, why = verdict.confidence, capped
    if decoded.accepted and same_meaning(decoded.text, verdict.phrase, meanings or {}):
        confidence = max(confidence, decoded.confidence)
    elif decoded.accepted:
        confidence, why = min(confidence, UNSURE_CONFIDENCE), "disagree"
    elif not (verdict.match is not None and verdict.match.phrase == verdict.phrase
              and take_decides(verdict.match, sure=True)) and not _said_outright(decoded, verdict):
        confidence, why = min(confidence, UNSURE_CONFIDENCE), why or "whisper_only"  # no second judge agrees
    return replace(decoded, text=verdict.phrase, confidence=min(confidence, verdict.cap), accepted=True,
                   reason="ok", transcript=verdict.transcript, take=take, unsure=why)


def same_meaning(a: str, b: str, meanings: Mapping[str, str]) -> bool:
    """Two phrases the coach takes the same way ("nope" and "no"): the grammar and Whisper agree on either."""
    return a == b or (a in meanings and meanings.get(a) == meanings.get(b))


def _said_outright(decoded: Decoded, verdict: Verdict) -> bool:
    """Whisper wrote the phrase itself, word for word and surely, and the grammar did not hear anything else: its
    decoder found no path at all ("no_grammar": a slow or unusual voice the grammar cannot follow), or its own best
    phrase was this one, rejected only for a poor acoustic fit. The grammar abstained rather than disagreed, so
    Whisper's free transcript stands alone: a slow voice's clear "next" ("Next", gap 0) is acted on, as the grammar
    and Whisper agreeing would be. Not for a phrase the grammar preferred another to ("other_phrase"), nor one
    with unexplained speech around it, nor one found by a probe or capped by the takes."""
    abstained = decoded.reason == "no_grammar" or (decoded.reason == "poor_match" and decoded.text == verdict.phrase)
    return (abstained and verdict.phrase is not None and clean_transcript(verdict.transcript) == verdict.phrase
            and verdict.confidence >= SURE_FROM and verdict.cap >= SURE_FROM and not verdict.probed)


def _other_urgent_take(decoded: Decoded, verdict: Verdict, urgent: frozenset[str]) -> bool:
    """Whisper's phrase is another symptom, decided by a sure take of the person's (`take_decides`): it outweighs
    the grammar's "stop" or symptom. A "stop" never displaces a symptom (the symptom's caution says more)."""
    match = verdict.match
    return (match is not None and verdict.phrase == match.phrase != decoded.text and verdict.phrase in urgent
            and verdict.phrase != "stop" and take_decides(match, sure=True))
