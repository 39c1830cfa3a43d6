"""Real-sounding replies, per state (tests/data/replies.yaml): taken where they should be, refused elsewhere;
and no two phrases valid in one state sound too alike unless the pair is listed as harmless."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from voice_coach.access.confusability import REFUSE_BELOW, distance, load_dictionary
from voice_coach.access.words import intents_by_state
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.table import State

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "replies.yaml").read_text())
TOLERATED = {frozenset(pair) for pair in TABLE.pop("tolerated")}
BOOK = load_phrasebook()
TAKE = [(state, said, str(meant)) for state, t in TABLE.items() for said, meant in t["take"].items()]
REJECT = [(state, said) for state, t in TABLE.items() for said in t["reject"]]


def understood(state: str, said: str) -> tuple[Intent, int | None] | None:
    """What the coach acts on in `state`: the phrase's meaning there, if the state takes that intent."""
    u = BOOK.parse(Heard(str(said)), state=state)
    if u is None or u.intent not in intents_by_state()[State(state)]:
        return None
    return u.intent, u.value


@pytest.mark.parametrize("state, said, meant", TAKE, ids=[f"{s}:{w}" for s, w, _ in TAKE])
def test_a_natural_reply_is_taken(state: str, said: str, meant: str) -> None:
    got = understood(state, said)
    if meant.startswith("number "):
        assert got == (Intent.NUMBER, int(meant.split()[1]))
    else:
        assert got is not None and got[0] is Intent(meant)


@pytest.mark.parametrize("state, said", REJECT, ids=[f"{s}:{w}" for s, w in REJECT])
def test_a_reply_that_means_nothing_here_is_refused(state: str, said: str) -> None:
    assert understood(state, said) is None


def test_every_state_named_in_the_phrase_file_exists() -> None:
    assert set(BOOK.in_state) <= {s.value for s in State}


def test_no_two_phrases_of_a_state_sound_too_alike_unless_harmless() -> None:
    """The confusability check over every state's grammar (what the recognizer is given)."""
    d = load_dictionary()
    too_close = []
    for state, intents in intents_by_state().items():
        phrases = BOOK.phrases_for(intents, None, state.value)
        meaning = {p: BOOK.parse(Heard(p), state=state.value) for p in phrases}
        for i, a in enumerate(phrases):
            for b in phrases[i + 1:]:
                ma, mb = meaning[a], meaning[b]
                assert ma is not None and mb is not None
                if (ma.intent, ma.value, ma.symptom) == (mb.intent, mb.value, mb.symptom):
                    continue
                if ma.intent is Intent.NUMBER and mb.intent is Intent.NUMBER:
                    continue
                gap = distance(a, b, d)
                if gap is not None and gap < REFUSE_BELOW and frozenset((a, b)) not in TOLERATED:
                    too_close.append((state.value, a, b, round(gap, 3)))
    assert not too_close


def test_phrases_kept_out_of_the_grammar_are_still_understood_typed() -> None:
    grammar = set(BOOK.phrases_for(list(Intent)))
    for phrase in BOOK.unspoken:
        assert phrase not in grammar and BOOK.parse(Heard(phrase)) is not None


GRAMMAR_AT_MOST = 110
"""Phrases in one state's grammar (main had 85 at most; every carrier times every number made a rating's 159)."""
RATING_GRAMMAR_AT_MOST = 75
""""How hard was that?": main had 65 phrases (the new ones: the finish and scale words)."""


def test_every_state_grammar_is_small_and_every_word_can_be_pronounced() -> None:
    """What the recognizer is given in each state: few phrases, and no phrase pocketsphinx would leave out (a
    word it cannot pronounce drops the phrase; a grammar left with nothing hears nothing at all)."""
    from voice_coach.speech.recognition import WordWarnings
    from voice_coach.speech.sphinx import GrammarDecoder

    grammar = GrammarDecoder({"lm": None, "bestpath": False, "loglevel": "FATAL"}, WordWarnings("test"))
    sizes = {}
    for state, intents in intents_by_state().items():
        phrases = tuple(BOOK.phrases_for(intents, None, state.value))
        assert grammar.usable(phrases) == list(phrases), state.value
        sizes[state.value] = len(phrases)
        if Intent.NUMBER in intents:
            carried = [p for p in phrases if (inner := BOOK.carriers.inner(p)) is not None
                       and (u := BOOK.parse(Heard(inner))) is not None and u.intent is Intent.NUMBER]
            assert not carried, (state.value, carried)
    assert max(sizes.values()) <= GRAMMAR_AT_MOST and sizes["asking_rating"] <= RATING_GRAMMAR_AT_MOST, sizes
    assert grammar.warnings.seen == set()


@pytest.mark.parametrize("said, value", [("about a three", 3), ("I'd say five", 5), ("a four", 4), ("maybe six", 6),
                                         ("four out of ten", 4), ("an eight", 8), ("3 out of 10", 3),
                                         ("maybe a two out of ten", 2)])
def test_a_number_with_words_around_it_is_understood_but_never_in_a_grammar(said: str, value: int) -> None:
    u = BOOK.parse(Heard(said), state="asking_rating")
    assert u is not None and (u.intent, u.value) == (Intent.NUMBER, value)
    assert said.lower() not in BOOK.phrases_for(list(Intent), None, "asking_rating")


@pytest.mark.parametrize("said", ["about a cramp", "maybe", "out of ten", "about a million", "eleven out of ten"])
def test_carrier_words_alone_or_around_no_number_give_no_number(said: str) -> None:
    u = BOOK.parse(Heard(said), state="asking_rating")
    assert u is None or u.intent is not Intent.NUMBER
