"""Own command words: checked for confusability against every phrase valid in the same states, stored atomically."""

from __future__ import annotations

import pytest

from voice_coach.access.confusability import REFUSE_BELOW, WARN_BELOW, distance, phone_distance, substitution_cost
from voice_coach.access.words import (
    check_alias,
    competitors,
    intents_by_state,
    load_aliases,
    reset_aliases,
    set_alias,
    words_path,
)
from voice_coach.cli.access import register
from voice_coach.cli.main import app, main
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.table import State
from voice_coach.errors import ConfigError

register(app)
BOOK = load_phrasebook()

# Pairs a recognizer mixes up (one phone apart, or close phones) and pairs that are clearly different.
CONFUSABLE = [("no", "go"), ("next", "text"), ("halt", "help"), ("ten", "then"), ("cramp", "camp"),
              ("rest", "wrist"), ("six", "sick"), ("done", "none")]
DISTINCT = [("yes", "stop"), ("yes", "no"), ("onward", "next"), ("banana", "yes"), ("carry on", "stop"),
            ("go on", "no"), ("help", "yes"), ("zero", "yes")]


@pytest.mark.parametrize("a, b", CONFUSABLE)
def test_known_confusable_pairs_are_too_close(a: str, b: str) -> None:
    d = distance(a, b)
    assert d is not None and d < REFUSE_BELOW, d


@pytest.mark.parametrize("a, b", DISTINCT)
def test_clearly_different_pairs_pass(a: str, b: str) -> None:
    d = distance(a, b)
    assert d is not None and d >= WARN_BELOW, d


def test_similar_phones_cost_less_than_different_ones() -> None:
    assert substitution_cost("T", "D") < substitution_cost("T", "N") < substitution_cost("T", "AA") == 1.0
    assert substitution_cost("IH", "IY") < substitution_cost("IY", "AA")
    assert phone_distance(("N", "OW"), ("N", "OW")) == 0.0


def test_states_and_intents_come_from_the_transition_table() -> None:
    table = intents_by_state()
    assert Intent.NEXT in table[State.WAITING_NEXT] and Intent.NEXT not in table[State.ASKING_SYMPTOMS]
    assert all(Intent.STOP in table[s] for s in table if s not in (State.IDLE, State.ENDED))
    rivals = competitors(BOOK, BOOK.phrases["yes"], {})
    assert "no" in rivals and "stop" in rivals and "five" not in rivals or "five" in rivals
    assert "yeah" not in rivals, "a phrase with the same meaning is no rival"


@pytest.mark.parametrize("target, alias, refused", [
    ("yes", "go", 'sounds too much like "no"'),
    ("repeat", "text", 'sounds too much like "next"'),
    ("stop", "halt", 'sounds too much like "help"'),
    ("yes", "", "cannot be empty"),
    ("yes", "   ", "cannot be empty"),
    ("next", "xyzzy", 'cannot pronounce "xyzzy"'),
    ("next", "5", 'cannot pronounce "5"'),
    ("yes", "next", '"next" already means next'),
    ("pause", "stop it", 'contains "stop", which always means stop'),
    ("next", "no cramp here", 'contains "cramp", which always means cramp'),
    ("next", "one two three four five", "at most 4 words"),
])
def test_refused_with_a_reason(target: str, alias: str, refused: str) -> None:
    verdict = check_alias(target, alias, {})
    assert verdict.refused is not None and refused in verdict.refused


def test_a_refusal_suggests_clearer_words_that_pass() -> None:
    verdict = check_alias("yes", "go", {})
    assert verdict.suggestions
    for s in verdict.suggestions:
        again = check_alias("yes", s, {})
        assert again.refused is None and not again.warnings


def test_a_clear_alias_is_saved_used_by_the_grammar_and_parsed() -> None:
    verdict = set_alias("next", "onward")
    assert verdict.refused is None and not verdict.warnings
    aliases = load_aliases()
    assert aliases == {"onward": "next"}
    assert "onward" in BOOK.phrases_for([Intent.NEXT], aliases)
    u = BOOK.parse(Heard("onward"), aliases)
    assert u is not None and u.intent is Intent.NEXT


def test_a_near_alias_is_accepted_with_a_warning() -> None:
    verdict = set_alias("stop", "enough")
    assert verdict.refused is None and "it hurts" in [w.phrase for w in verdict.warnings]
    assert any("warning" in line for line in verdict.lines())


def test_aliases_are_checked_against_each_other() -> None:
    set_alias("pause", "time out")
    verdict = check_alias("stop", "time up", load_aliases())
    assert verdict.refused is not None and '"time out"' in verdict.refused


def test_a_word_already_understood_is_not_stored() -> None:
    verdict = set_alias("next", "go on")
    assert verdict.already and load_aliases() == {}


def test_reset_one_command_or_all() -> None:
    set_alias("next", "onward")
    set_alias("yes", "affirmative")
    assert reset_aliases("next") == 1 and load_aliases() == {"affirmative": "yes"}
    assert reset_aliases() == 1 and load_aliases() == {}
    assert words_path().exists()


def test_an_unknown_command_in_the_words_file_is_one_warning_and_the_rest_loads() -> None:
    words_path().parent.mkdir(parents=True, exist_ok=True)
    words_path().write_text('onward = "fly"\nforwards = "next"\n')
    warnings: list[str] = []
    assert load_aliases(warn=warnings.append) == {"forwards": "next"}
    assert len(warnings) == 1 and 'words.toml: \'onward\' = \'fly\' is ignored: not a command' in warnings[0]


def test_a_damaged_words_file_is_one_line() -> None:
    words_path().parent.mkdir(parents=True, exist_ok=True)
    words_path().write_text('onward = \n')
    with pytest.raises(ConfigError, match="words.toml: not valid TOML"):
        load_aliases()


def test_unknown_command_is_one_line() -> None:
    with pytest.raises(ConfigError, match="unknown command 'jump': use one of yes, no, next"):
        check_alias("jump", "hop", {})


def test_cli_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["words", "set", "next", "onward"]) == 0
    assert capsys.readouterr().out == '"onward" now means next\n'
    assert main(["words", "set", "yes", "go"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith('voice-coach: refused "go" for yes: it sounds too much like "no"')
    assert "clearer choices" in err
    assert main(["words", "set", "next", ""]) == 2
    assert capsys.readouterr().err == 'voice-coach: refused "" for next: own words cannot be empty\n'
    assert main(["words", "list"]) == 0
    assert capsys.readouterr().out == ('next  "onward"\n'
                                       'wake  "okay coach" (the default; change it with: words set wake "WORDS")\n')
    assert main(["words", "reset"]) == 0
    assert capsys.readouterr().out == "removed 1 own word\n"
