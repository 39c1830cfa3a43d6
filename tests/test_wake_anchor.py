"""The anchor rule as a table: which of Whisper's transcripts hold a word of the wake phrase."""

from __future__ import annotations

import pytest

from voice_coach.listen.wake_anchor import anchored, wake_words

OKAY_COACH = wake_words("okay coach")
CASES = [
    # (transcript, wake phrase, anchored)
    ("Okay, go.", OKAY_COACH, True),
    ("OK, go to.", OKAY_COACH, True),
    ("O.K. Groach.", OKAY_COACH, True),
    ("Okey doke.", OKAY_COACH, True),
    ("Go to the coach.", OKAY_COACH, True),
    ("The... ...phonestanestion.", OKAY_COACH, False),
    ("Go to.", OKAY_COACH, False),
    ("Groach.", OKAY_COACH, False),
    ("I'm not sure if I'm gonna go to the end of", OKAY_COACH, False),
    ("Okayish.", OKAY_COACH, False),
    ("", OKAY_COACH, False),
    ("Hello there, go.", wake_words("hello there coach"), True),
    ("Okay, go.", wake_words("hello there coach"), False),
]


@pytest.mark.parametrize("transcript, words, expected", CASES, ids=[c[0] or "(empty)" for c in CASES])
def test_anchored(transcript: str, words: frozenset[str], expected: bool) -> None:
    assert anchored(transcript, words) is expected


def test_wake_words_are_the_cleaned_words_of_the_phrase() -> None:
    assert wake_words("Okay, Coach") == {"okay", "coach"}
