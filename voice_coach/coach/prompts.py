"""Spoken lines as data: load prompts/<lang>.yaml, check it against the contract, render a Say to text."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_coach.coach.intents import SYMPTOM_KINDS, Intent
from voice_coach.coach.messages import Say
from voice_coach.coach.prompt_contract import LIST_SECTIONS, PROMPT_SLOTS
from voice_coach.datafile import read_yaml
from voice_coach.errors import PromptError
from voice_coach.paths import PROMPTS_DIR


class _Counting(string.Formatter):
    """The one pluralisation helper of every prompt: "{reps:time/times}" says "1 time", "2 times" (the number, a
    space, then the word that agrees with it). Other format specs work as usual."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "/" in format_spec:
            return counted(value, *format_spec.split("/", 1))
        return str(super().format_field(value, format_spec))


def counted(value: Any, one: str, many: str) -> str:
    """ "1 second", "20 seconds", "0 seconds"."""
    return f"{value} {one if str(value) == '1' else many}"


COUNTING = _Counting()


@dataclass
class Prompts:
    """Checked prompt lines; `render` picks variants in turn so repeated lines do not drone."""

    lines: dict[str, tuple[str, ...]]
    """key → its variants."""
    sections: dict[str, dict[str, str]]
    """option_words and symptom_words."""
    option_words_in_state: dict[str, dict[str, str]] = field(default_factory=dict)
    """state → option words said differently there ("ready" for next at the ready prompt)."""
    _turn: dict[str, int] = field(default_factory=dict)

    def render(self, say: Say) -> str:
        """The text of a Say, its list slots joined ("next, repeat, or stop")."""
        state = str(say.slots.get("state", ""))
        slots = {k: self._slot(k, v, state) for k, v in say.slots.items()}
        return COUNTING.format(next_variant(self.lines, self._turn, say.key), **slots)

    def _slot(self, name: str, value: Any, state: str = "") -> str:
        section = LIST_SECTIONS.get(name)
        if section is None:
            return str(value)
        words = self.sections[section]
        if name == "options":
            words = {**words, **self.option_words_in_state.get(state, {})}
        if isinstance(value, (list, tuple)):
            items = [words[v.value if isinstance(v, Intent) else str(v)] for v in value]
            return items[0] if len(items) == 1 else ", ".join(items[:-1]) + ", or " + items[-1]
        return words[str(value)]


def next_variant(lines: dict[str, tuple[str, ...]], turn: dict[str, int], key: str) -> str:
    """A line's variants in turn (the first, the second, ... and round again): `turn` counts what was said."""
    variants = lines[key]
    n = turn.get(key, 0)
    turn[key] = n + 1
    return variants[n % len(variants)]


def placeholders(text: str, where: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise PromptError(f"{where}: broken placeholder ({exc})") from None


def load_lines(path: Path, slots: Mapping[str, frozenset[str]],
               unknown_key: str) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """Read a prompt file and check its `lines`: every key of `slots` present, no other keys (`unknown_key` says
    why not), only the placeholders `slots` allows; the whole file and key → variants."""
    raw = read_yaml(path, PromptError, "prompt file", missing="prompt file missing; restore it from the project",
                    line_numbers=False)
    if not isinstance(raw, dict) or not isinstance(raw.get("lines"), dict):
        raise PromptError(f"{path}: must have a 'lines' mapping of key → text")
    lines: dict[str, tuple[str, ...]] = {}
    for key, value in raw["lines"].items():
        where = f"{path}: lines.{key}"
        if key not in slots:
            raise PromptError(f"{where}: unknown key{unknown_key}; remove it or fix the spelling")
        variants = tuple(value) if isinstance(value, list) else (value,)
        if not variants or not all(isinstance(v, str) and v.strip() for v in variants):
            raise PromptError(f"{where}: must be non-empty text or a list of texts")
        for v in variants:
            unknown = placeholders(v, where) - slots[key]
            if unknown:
                allowed = ", ".join(sorted(slots[key])) or "none"
                raise PromptError(f"{where}: unknown placeholder {{{sorted(unknown)[0]}}} (allowed: {allowed})")
        lines[key] = variants
    missing = sorted(set(slots) - set(lines))
    if missing:
        raise PromptError(f"{path}: lines.{missing[0]}: missing (and {len(missing) - 1} more)"
                          if len(missing) > 1 else f"{path}: lines.{missing[0]}: missing")
    return raw, lines


def load_prompts(lang: str = "en", directory: Path = PROMPTS_DIR) -> Prompts:
    """Load and check a prompt file: every contract key present, no unknown keys, only allowed slots."""
    path = directory / f"{lang}.yaml"
    raw, lines = load_lines(path, PROMPT_SLOTS, " (the coach never says it)")
    sections = {}
    needs = {"option_words": [i.value for i in Intent], "symptom_words": list(SYMPTOM_KINDS),
             "side_words": ["right", "left", "both"], "side_names": ["right", "left", "both"],
             "per_side_words": ["each", "both"]}
    for section, keys in needs.items():
        table = raw.get(section)
        if not isinstance(table, dict) or any(not isinstance(table.get(k), str) for k in keys):
            absent = [k for k in keys if not isinstance((table or {}).get(k), str)]
            raise PromptError(f"{path}: {section}.{absent[0] if absent else ''}: missing; every one of "
                              f"{', '.join(keys)} needs words")
        sections[section] = {str(k): str(v) for k, v in table.items()}
    in_state = raw.get("option_words_in_state") or {}
    if not isinstance(in_state, dict) or not all(isinstance(v, dict) for v in in_state.values()):
        raise PromptError(f"{path}: option_words_in_state: must be a mapping of state → option words")
    return Prompts(lines=lines, sections=sections,
                   option_words_in_state={str(s): {str(k): str(v) for k, v in t.items()} for s, t in in_state.items()})


def named_table(raw: dict[str, Any], section: str, keys: tuple[str, ...], path: Path, what: str, *,
                complete: bool = True) -> dict[str, Any]:
    """`raw[section]`, a mapping whose names are all in `keys` (every one of them when `complete`); the values
    are left for the caller to check. A bad table is one PromptError line naming the file and the field."""
    table = raw.get(section)
    if not isinstance(table, dict):
        raise PromptError(f"{path}: {section}: missing (a mapping of name → {what})")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if str(key) not in keys:
            raise PromptError(f"{path}: {section}.{key}: unknown name (known: {', '.join(keys)})")
        out[str(key)] = value
    missing = [k for k in keys if k not in out] if complete else []
    if missing:
        raise PromptError(f"{path}: {section}.{missing[0]}: missing")
    return out
