"""Every prompt and every count (issue 20): numbers agree with their nouns through the one helper, lines make
sense for the exercise, and the first words before the first question are few."""

from __future__ import annotations

import re
from itertools import product

import pytest

from tests.sessions import run_session
from voice_coach.coach.messages import Say
from voice_coach.coach.prompt_contract import LIST_SECTIONS, PROMPT_SLOTS
from voice_coach.coach.prompts import load_prompts

PROMPTS = load_prompts()
NOUNS = "second|minute|time|exercise|repetition|hold|day|planned day"
WRONG_ONE = re.compile(rf"\b1 ({NOUNS})s\b")
WRONG_MANY = re.compile(rf"\b(0|[2-9]|\d\d+) ({NOUNS})\b(?!s)")
TEXT_SLOTS = {"options": ["yes", "stop"], "symptom": "cramp", "side": "left", "side_name": "right",
              "per_side": "both", "title": "light resistance", "name": "Biceps curl", "description": "Curl.",
              "weight": "a small bottle", "cue": "up", "planned": "stretching", "state": "introducing"}
COUNTS = (0, 1, 2, 20)


def renders(key: str) -> list[str]:
    """Every variant of a key with every count in each numeric slot."""
    slots = sorted(PROMPT_SLOTS[key])
    numeric = [s for s in slots if s not in TEXT_SLOTS]
    out = []
    for values in product(COUNTS, repeat=len(numeric)):
        for turn in range(len(PROMPTS.lines[key])):
            PROMPTS._turn[key] = turn
            out.append(PROMPTS.render(Say(key, {**{s: TEXT_SLOTS[s] for s in slots if s in TEXT_SLOTS},
                                                **dict(zip(numeric, values, strict=True))})))
    return out


@pytest.mark.parametrize("key", sorted(PROMPT_SLOTS))
def test_every_prompt_agrees_with_every_count(key: str) -> None:
    for text in renders(key):
        assert not WRONG_ONE.search(text), text
        assert not WRONG_MANY.search(text), text


def test_a_count_next_to_its_noun_always_goes_through_the_helper() -> None:
    """A slot written straight before a counted noun ("{seconds} seconds") would say "1 seconds"."""
    bare = re.compile(rf"\{{[a-z_]+\}} ({NOUNS})s?\b")
    for key, variants in PROMPTS.lines.items():
        for v in variants:
            assert not bare.search(v), f"{key}: {v}"


def test_the_helper_says_one_and_many() -> None:
    assert PROMPTS.render(Say("rest_begin", {"seconds": 1})).startswith("Rest now for 1 second.")
    assert "20 seconds" in PROMPTS.render(Say("rest_begin", {"seconds": 20}))
    assert set(LIST_SECTIONS) <= set(TEXT_SLOTS)


def words_before_first_question(first_run: bool) -> int:
    run = run_session("resistance", ["stop"], first_run=first_run)
    lines = run.speaker.keys
    first = lines.index("ask_feeling")
    return sum(len(text.split()) for text in run.speaker.lines[:first])


@pytest.mark.parametrize("first_run", [True, False])
def test_first_words_are_short(first_run: bool) -> None:
    assert words_before_first_question(first_run) <= 40


def test_tell_me_more_gives_the_full_notes_and_asks_again() -> None:
    run = run_session("resistance", ["tell me more", "stop"])
    keys = run.speaker.keys
    assert keys[keys.index("disclaimer_full") + 1] == "ask_feeling"


def test_a_both_sides_stretch_is_not_each_side() -> None:
    run = run_session("stretching", ["two", "no", "skip", "skip", "skip", "skip", "skip", "stop"])
    intros = [t for t, k in zip(run.speaker.lines, run.speaker.keys, strict=True) if k.startswith("intro_stretch")]
    chest = next(t for t in intros if "Chest opener" in t)
    assert "each side" not in chest and "with both sides together" in chest


def test_next_during_a_hold_says_what_was_held() -> None:
    from tests.fakes import Reply
    run = run_session("stretching", ["two", "no", "ready", Reply("next", 8, when_asked=False), "stop"])
    assert "Stopping here. You held the right side for 8 of 20 seconds." in run.speaker.lines
