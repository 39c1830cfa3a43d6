"""The wake phrase: the default (prompts/listen_en.yaml) or the person's own (config dir wake.toml), checked."""

from __future__ import annotations

from pathlib import Path

from voice_coach.access.confusability import Dictionary, clashes, load_dictionary
from voice_coach.access.profile import toml_value
from voice_coach.coach.intents import load_phrasebook, normalize
from voice_coach.datafile import read_toml, write_atomically
from voice_coach.errors import ConfigError
from voice_coach.listen.prompts import load_listen_prompts
from voice_coach.paths import config_dir

MIN_SYLLABLES = 3
"""Shorter wake phrases are said by accident (and by the television) far more often."""
MAX_WORDS = 4
_VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())


def wake_path() -> Path:
    return config_dir() / "wake.toml"


def load_wake(path: Path | None = None) -> str:
    """The person's wake phrase, or the default; a damaged file is one ConfigError line."""
    path = path or wake_path()
    raw = read_toml(path, ConfigError, "your wake phrase", "fix it, or run: voice-coach words reset wake")
    phrase = raw.get("wake") if raw else None
    if raw and (not isinstance(phrase, str) or not normalize(phrase)):
        raise ConfigError(f"{path}: wake must be a phrase; fix it, or run: voice-coach words reset wake")
    return normalize(phrase) if isinstance(phrase, str) else load_listen_prompts().wake


def syllables(phrase: str, d: Dictionary) -> int | None:
    prons = d.pronunciations(phrase)
    return min(sum(p in _VOWELS for p in pron) for pron in prons) if prons else None


def check_wake(phrase: str, d: Dictionary | None = None) -> tuple[str | None, list[str]]:
    """(why it is refused or None, warnings) for a wake phrase."""
    d = d or load_dictionary()
    words = normalize(phrase)
    if not words:
        return "a wake phrase cannot be empty", []
    if len(words.split()) > MAX_WORDS:
        return f"use at most {MAX_WORDS} words", []
    unknown = d.unknown_words(words)
    if unknown:
        return f'"{unknown[0]}" is not a word the recognizer can pronounce; choose everyday words', []
    count = syllables(words, d) or 0
    if count < MIN_SYLLABLES:
        return (f'"{words}" has {count} syllable{"s" if count != 1 else ""}; use at least {MIN_SYLLABLES} '
                '(like "okay coach"), so that it is not said by accident'), []
    lines = load_listen_prompts()
    others = {p: i.value for p, (i, _, _) in load_phrasebook().phrases.items()}
    others.update({p: k for k, ps in lines.requests.items() for p in ps})
    others.update({p: k for k, ps in lines.answers.items() for p in ps})
    if words in others:
        return f'"{words}" already means {others[words]}', []
    found = clashes(words, others, d)
    if any(c.refused for c in found):
        c = next(c for c in found if c.refused)
        return f'it sounds too much like "{c.phrase}" ({c.meaning}, {c.distance:.2f})', []
    warn = [f'it sounds a little like "{c.phrase}" ({c.meaning}, {c.distance:.2f})' for c in found[:2]]
    return None, warn


def set_wake(phrase: str, path: Path | None = None) -> list[str]:
    """Check and save the wake phrase; the lines to print. ConfigError when refused."""
    refused, warnings = check_wake(phrase)
    words = normalize(phrase)
    if refused:
        raise ConfigError(f'refused "{words}" as the wake phrase: {refused}', code="usage")
    write_atomically(path or wake_path(), "# Your wake phrase for `voice-coach listen`. Change it with: "
                     f'voice-coach words set wake "WORDS"\nwake = {toml_value(words)}\n')
    return [f'"{words}" now wakes the coach'] + [f"warning: {w}; it may be misheard" for w in warnings]


def reset_wake(path: Path | None = None) -> bool:
    path = path or wake_path()
    if path.exists():
        path.unlink()
        return True
    return False
