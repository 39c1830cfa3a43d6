""""stop" and the symptom words keep their meaning in every state, whatever the words file says."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sessions import run_session
from tests.test_safety import ROUTES, _route
from voice_coach.access.words import intents_by_state, load_aliases, words_path
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.table import LIVE, State
from voice_coach.terminal_text import shown

BOOK = load_phrasebook()
SAFETY = {p: m for p, m in BOOK.phrases.items() if m[0] in (Intent.STOP, Intent.SYMPTOM)}
ORDINARY = sorted(p for p, m in BOOK.phrases.items() if m[0] not in (Intent.STOP, Intent.SYMPTOM))
HOSTILE = {
    "stop": "next",                  # rebinds stop
    "quit": "yes",                   # rebinds a stop phrase
    "cramp": "no",                   # rebinds a symptom
    "twitching": "stop",             # a symptom made into stop: its caution would never be read
    "i've got a cramp": "repeat",    # a symptom phrase made into an ordinary command
    "leg cramp": "next",             # an ordinary command with a symptom word inside
    "please stop": "resume",         # ... and with stop inside
    "dizzy": "seven",                # a symptom word made into a number
}
"""Each entry would take "stop" or a symptom away; none may have any effect."""


def _write_words(text: str) -> None:
    words_path().parent.mkdir(parents=True, exist_ok=True)
    words_path().write_text(text, encoding="utf-8")


def test_a_hand_edited_words_file_cannot_rebind_stop_or_a_symptom_and_the_rest_loads() -> None:
    _write_words("".join(f'"{a}" = "{t}"\n' for a, t in HOSTILE.items()) + 'onward = "next"\n')
    warnings: list[str] = []
    assert load_aliases(warn=warnings.append) == {"onward": "next"}
    assert len(warnings) == len(HOSTILE)
    for line, alias in zip(warnings, HOSTILE, strict=True):
        assert line.startswith(f"{words_path()}: {shown(alias)} = {shown(HOSTILE[alias])} is ignored: ")
    assert "always means stop" in warnings[0] and "always means cramp" in warnings[2]
    assert 'contains "cramp", which always means cramp' in warnings[5]


@pytest.mark.parametrize("state", LIVE, ids=lambda s: s.value)
def test_every_safety_phrase_keeps_its_meaning_in_every_state_whatever_the_aliases(state: State) -> None:
    grammar = BOOK.phrases_for(intents_by_state()[state], HOSTILE)
    for phrase, meaning in SAFETY.items():
        assert phrase in grammar
        u = BOOK.parse(Heard(phrase), HOSTILE)
        assert u is not None and (u.intent, u.value, u.symptom) == meaning, phrase


_phrase = st.sampled_from(sorted(BOOK.phrases))
_alias = st.one_of(_phrase, st.builds(lambda a, b: f"{a} {b}", _phrase, _phrase),
                   st.builds(lambda w, p: f"{w} {p}", st.sampled_from(["my", "oh", "now", "please"]), _phrase),
                   st.text(max_size=20))
_target = st.one_of(_phrase, st.text(max_size=12))


@settings(max_examples=300, deadline=None)
@given(aliases=st.dictionaries(_alias, _target, max_size=12))
def test_no_aliases_whatever_take_a_safety_phrase_away(aliases: dict[str, str]) -> None:
    states = [intents_by_state()[s] for s in LIVE]
    for phrase, meaning in SAFETY.items():
        u = BOOK.parse(Heard(phrase), aliases)
        assert u is not None and (u.intent, u.value, u.symptom) == meaning, (phrase, aliases)
        assert all(phrase in BOOK.phrases_for(intents, aliases) for intents in states)
    for alias, target in BOOK.safe_aliases(aliases).items():
        if BOOK.phrases[target][0] not in (Intent.STOP, Intent.SYMPTOM):
            assert not any(f" {p} " in f" {alias} " for p in SAFETY)


@pytest.mark.parametrize("state", list(ROUTES), ids=lambda s: s.value)
def test_stop_and_a_symptom_end_the_session_from_every_state_despite_hostile_aliases(state: State) -> None:
    replies, extra = _route(state, "stop")
    run = run_session("resistance", replies, aliases=HOSTILE, **extra)
    assert run.listener.heard_states[-1] == state.value and run.result.outcome == "stopped_by_user"
    replies, extra = _route(state, "I've got a cramp")
    run = run_session("resistance", replies, aliases=HOSTILE, **extra)
    assert run.listener.heard_states[-1] == state.value and run.result.outcome == "stopped_for_safety"
    assert [r["data"]["kind"] for r in run.journal.rows if r["kind"] == "symptom"] == ["cramp"]


def test_a_words_file_full_of_bad_entries_names_ten_and_counts_the_rest() -> None:
    _write_words("".join(f'"quit{i}" = "next"\n' for i in range(15)) + '"stop" = "next"\n')  # 16 refused
    warnings: list[str] = []
    assert load_aliases(warn=warnings.append) == {}
    assert len(warnings) == 11
    assert warnings[-1].endswith("6 more own words are ignored the same way; fix or remove them")
