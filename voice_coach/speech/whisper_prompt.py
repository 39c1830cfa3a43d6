"""Which words Whisper is given as its "previous text" before a state's utterance (docs/SPEECH.md measures each)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from voice_coach.speech.opinion_rules import LIMITS, Limits

PROMPTS = ("off", "words", "replies")
"""off: no previous text; words: every word of every phrase the state takes, each once; replies: the words of the
state's own replies (its phrases that are not "stop" or a symptom), plus its one-word "stop" and symptom phrases."""


def prompt_setting(value: str | None) -> str:
    """The prompt a `VOICE_COACH_WHISPER_PROMPT` value asks for ("on" and "1" are the full word list); "off" for
    anything else."""
    value = (value or "off").strip().lower()
    if value in ("on", "1", "words"):
        return "words"
    return value if value in PROMPTS else "off"


PROMPT = prompt_setting(os.environ.get("VOICE_COACH_WHISPER_PROMPT"))
"""The prompt the Whisper check uses unless told otherwise."""


def prompt_words(phrases: Iterable[str], prompt: str, urgent: frozenset[str] = frozenset()) -> list[str]:
    """The lowercase words listed for `phrases` (a state's), each once, in the order of the sorted phrases; none
    when `prompt` is "off". With "replies", an `urgent` phrase ("stop", a symptom) adds its words only when it is
    one word: the state's own replies stay prominent, and "stop" and the short symptom words stay listed."""
    if prompt not in ("words", "replies"):
        return []
    chosen = [p for p in sorted(p.lower() for p in phrases)
              if prompt == "words" or p not in urgent or len(p.split()) == 1]
    return list(dict.fromkeys(w for p in chosen for w in p.split()))


PROMPT_LIMITS: dict[str, Limits] = {
    "words": Limits(no_speech=0.153, cut_no_speech=0.324, stop_no_speech=0.237, margin=-1.305, urgent_margin=1.493,
                    stop_probe_margin=1.493, short_margin=-0.069, number_margin=2.319),
    "replies": Limits(no_speech=0.154, cut_no_speech=0.371, stop_no_speech=0.249, margin=-1.536,
                      urgent_margin=1.841, stop_probe_margin=1.841, short_margin=0.197, number_margin=3.045),
}
"""The gates with each word list, chosen by `matched_limit` from scripts/prompt_tuning.py's rows on tuning data
only (docs/WHISPER_PROMPT_TUNING.json; docs/SPEECH.md). A negative margin: the phrase must be that much likelier
than Whisper's own transcript (with a word list, talk not meant for the coach comes out close to a phrase)."""


def limits_for(prompt: str) -> Limits:
    """The gates for Whisper's numbers under `prompt`: those measured with that word list, else the plain ones."""
    return PROMPT_LIMITS.get(prompt, LIMITS)


def matched_limit(before: Sequence[float], after: Sequence[float], limit: float) -> float:
    """The rule the word lists' gates were chosen by: a gate passes values under its limit, and `limit` let a share
    of the not-for-coach tuning clips through without the word list (`before`); the limit returned lets the same
    share of them through with it (`after`): halfway between the last value it passes and the first it stops."""
    if not before or not after:
        return limit
    share = sum(v < limit for v in before) / len(before)
    ranked = sorted(after)
    passed = round(share * len(ranked))
    if passed == 0:
        return min(limit, ranked[0])
    if passed == len(ranked):
        return max(limit, ranked[-1] + 1e-3)
    return (ranked[passed - 1] + ranked[passed]) / 2
