"""Whisper's previous text: the setting, the words listed per state, and the rule its gates were chosen by."""

from __future__ import annotations

import pytest

from voice_coach.speech.opinion_rules import LIMITS
from voice_coach.speech.recognizers import known_phrases
from voice_coach.speech.whisper_prompt import PROMPTS, limits_for, matched_limit, prompt_setting, prompt_words

from .phrasing import phrases

URGENT = frozenset({"stop", "stop now", "cramp", "i have a cramp", "dizzy"})


@pytest.mark.parametrize(("value", "want"), [
    (None, "off"), ("", "off"), ("off", "off"), ("0", "off"), ("words", "words"), ("on", "words"), ("1", "words"),
    (" Words ", "words"), ("replies", "replies"), ("REPLIES", "replies"), ("nonsense", "off"),
])
def test_the_setting_names_a_prompt_or_is_off(value: str | None, want: str) -> None:
    assert prompt_setting(value) == want


@pytest.mark.parametrize(("prompt", "want"), [
    ("off", []),
    ("words", ["cramp", "dizzy", "five", "i", "have", "a", "stop", "now", "yes", "please"]),
    ("replies", ["cramp", "dizzy", "five", "stop", "yes", "please"]),
    ("nonsense", []),
])
def test_the_words_listed_for_a_state(prompt: str, want: list[str]) -> None:
    said = ("yes please", "stop now", "Five", "stop", "i have a cramp", "dizzy", "cramp")
    assert prompt_words(said, prompt, URGENT) == want


@pytest.mark.parametrize("state", ["asking_rating", "waiting_next", "asking_symptoms", "paused"])
@pytest.mark.parametrize("prompt", ["words", "replies"])
def test_stop_and_the_one_word_symptoms_are_listed_in_every_state(state: str, prompt: str) -> None:
    """Whatever the list, "stop" and the short symptom words stay in it: the prompt must never make them harder."""
    from voice_coach.speech.recognizers import load_whisper_check

    check = load_whisper_check()
    if check is None:
        pytest.skip("no Whisper model")
    said = phrases(state)
    listed = set(prompt_words(said, prompt, check.vocab.urgent))
    one_word_urgent = {p for p in said if p in check.vocab.urgent and " " not in p}
    assert "stop" in listed and one_word_urgent <= listed
    assert set(known_phrases()) >= set(said)


def test_each_prompt_has_its_gates() -> None:
    assert limits_for("off") == LIMITS
    assert limits_for("nonsense") == LIMITS
    assert all(limits_for(p).no_speech > 0 for p in PROMPTS)
    assert limits_for("words") != LIMITS and limits_for("replies") != LIMITS


@pytest.mark.parametrize(("before", "after", "limit", "want"), [
    # 2 of 4 passed under 0.6 before; after, the 2nd and 3rd smallest are 0.2 and 0.3: halfway
    ([0.1, 0.5, 0.7, 0.9], [0.1, 0.2, 0.3, 0.4], 0.6, 0.25),
    # the same share of a longer list: 1 of 2 before, 2 of 4 after
    ([0.1, 0.9], [0.05, 0.1, 0.5, 0.6], 0.6, 0.3),
    # none passed before: none pass after (the limit no higher than the smallest value)
    ([0.7, 0.9], [0.1, 0.2], 0.6, 0.1),
    ([0.7, 0.9], [0.8, 0.9], 0.6, 0.6),
    # all passed before: all pass after
    ([0.1, 0.2], [0.5, 0.7], 0.6, 0.701),
    ([0.1, 0.2], [0.1, 0.2], 0.6, 0.6),
    # nothing measured: the limit unchanged
    ([], [0.1], 0.6, 0.6),
    ([0.1], [], 0.6, 0.6),
])
def test_a_gate_lets_the_same_share_of_talk_through(before: list[float], after: list[float], limit: float,
                                                    want: float) -> None:
    got = matched_limit(before, after, limit)
    assert got == pytest.approx(want)
    if before and after:
        share = sum(v < limit for v in before) / len(before)
        assert sum(v < got for v in after) == round(share * len(after))
