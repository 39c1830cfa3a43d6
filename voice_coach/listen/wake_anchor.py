"""The anchor rule: a wake needs a word of the wake phrase in what Whisper wrote, unless the person's own tries decide.

Whisper's gaps are relative to its own transcript. A garbled transcript ("The... ...phonestanestion." for a short
real clip of other talk) is so unlikely that "okay coach" came within the wake gap of it though it shares no word
with it: the third class of false wake in the long room run (docs/LISTEN.md). Whisper writes the wake phrase's first
word every time it hears the phrase on the tuning voices ("Okay, go.", "Okay, Groach."), so a transcript holding none
of the phrase's words was not the phrase. The person's voice-check tries are the exception: a slurred "okay coach"
that Whisper writes as something else is exactly what they are for.

The same test gates the Whisper check's phrase scoring in the waiting state (whisper_check.WhisperCheck.judge's
`score_if`): room talk without a word of the wake phrase costs the free transcript only.
"""

from __future__ import annotations

from voice_coach.speech.opinion_rules import clean_transcript

SPELLINGS = {"ok": "okay", "okey": "okay", "okie": "okay", "o k": "okay"}
"""Ways Whisper writes a wake word, as the word (after clean_transcript, "O.K." is the two words "o k")."""


def wake_words(phrase: str) -> frozenset[str]:
    """The words of the wake phrase (cleaned) that anchor a transcript."""
    return frozenset(clean_transcript(phrase).split())


def anchored(transcript: str, words: frozenset[str]) -> bool:
    """Whisper's transcript holds one of the wake phrase's `words` (a word's usual spellings count)."""
    said = clean_transcript(transcript).split()
    pairs = [" ".join(said[i:i + 2]) for i in range(len(said) - 1)]
    return any(SPELLINGS.get(w, w) in words for w in said + pairs)
