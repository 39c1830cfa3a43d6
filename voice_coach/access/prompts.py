"""Spoken lines of the accessible input modes, as data: load prompts/access_<lang>.yaml and check it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from voice_coach.coach.intents import SYMPTOM_KINDS, Intent
from voice_coach.coach.prompts import load_lines, named_table, next_variant
from voice_coach.errors import PromptError
from voice_coach.paths import PROMPTS_DIR

ACCESS_SLOTS: dict[str, frozenset[str]] = {key: frozenset(slots.split()) for key, slots in {
    "scan_start": "act",
    "scan_start_short": "act",
    "scan_option": "option",
    "scan_again": "",
    "scan_idle": "act",
    "yes_no_hint": "act wait",
    "counting_hint": "act",
    "fallback_to_scanning": "act",
    "voice_check_intro": "times",
    "voice_check_say": "phrase",
    "voice_check_done": "",
}.items()}
"""key → the placeholders its variants may use."""

ACTS = ("switch", "sound", "both", "long_sound", "both_long")
"""Ways of choosing, as named in {act} and {wait}."""
SCAN_GROUPS = {"low": range(0, 4), "middle": range(4, 7), "high": range(7, 11)}
"""Ratings are scanned in groups first, then the numbers of the group picked."""
SCAN_IDS = ("stop", "symptom", *(i.value for i in Intent if i not in (Intent.NUMBER, Intent.SYMPTOM, Intent.HELP)),
            *SCAN_GROUPS, *SYMPTOM_KINDS, *(f"n{n}" for n in range(11)))
"""Every option a scan can read (an intent added later is read as its first phrase until it has words here)."""


@dataclass
class AccessPrompts:
    """Checked lines; `line` picks variants in turn, like the coach's prompts."""

    lines: dict[str, tuple[str, ...]]
    acts: dict[str, str]
    waits: dict[str, str]
    scan_words: dict[str, str]
    scan_words_in_state: dict[str, dict[str, str]]
    alias_candidates: dict[str, tuple[str, ...]]
    """intent value → everyday alternatives, suggested after a confusability check."""
    _turn: dict[str, int] = field(default_factory=dict)

    def line(self, key: str, **slots: Any) -> str:
        return next_variant(self.lines, self._turn, key).format(**slots)

    def option(self, item: str, state: str, fallback: str) -> str:
        """The words read for scan option `item` in `state` (`fallback`, its phrase, for an option not listed)."""
        return self.scan_words_in_state.get(state, {}).get(item) or self.scan_words.get(item, fallback)


def _words(raw: dict[str, Any], section: str, keys: tuple[str, ...], path: Path, *,
           complete: bool = True) -> dict[str, str]:
    table = named_table(raw, section, keys, path, "words", complete=complete)
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise PromptError(f"{path}: {section}.{key}: must be non-empty text")
    return table


@lru_cache(maxsize=4)
def load_access_prompts(lang: str = "en", directory: Path = PROMPTS_DIR) -> AccessPrompts:
    """Load and check prompts/access_<lang>.yaml: every key present, no unknown keys or slots."""
    path = directory / f"access_{lang}.yaml"
    raw, lines = load_lines(path, ACCESS_SLOTS, "")
    in_state = raw.get("scan_words_in_state") or {}
    if not isinstance(in_state, dict):
        raise PromptError(f"{path}: scan_words_in_state: must be a mapping of state → words")
    by_state = {str(state): _partial_words(in_state, str(state), path) for state in in_state}
    candidates = raw.get("alias_candidates") or {}
    if not isinstance(candidates, dict):
        raise PromptError(f"{path}: alias_candidates: must be a mapping of intent → words")
    alias_candidates: dict[str, tuple[str, ...]] = {}
    for intent, words in candidates.items():
        if str(intent) not in {i.value for i in Intent}:
            raise PromptError(f"{path}: alias_candidates.{intent}: unknown intent")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise PromptError(f"{path}: alias_candidates.{intent}: must be a list of words")
        alias_candidates[str(intent)] = tuple(words)
    return AccessPrompts(lines=lines, acts=_words(raw, "acts", ACTS, path), waits=_words(raw, "waits", ACTS, path),
                         scan_words=_words(raw, "scan_words", SCAN_IDS, path, complete=False),
                         scan_words_in_state=by_state, alias_candidates=alias_candidates)


def _partial_words(raw: dict[str, Any], state: str, path: Path) -> dict[str, str]:
    """Per-state words: any subset of the scan ids, under a known coach state."""
    from voice_coach.coach.table import State

    if state not in {s.value for s in State}:
        raise PromptError(f"{path}: scan_words_in_state.{state}: unknown state")
    table = raw.get(state)
    if not isinstance(table, dict):
        raise PromptError(f"{path}: scan_words_in_state.{state}: must be a mapping of option → words")
    out = {}
    for key, value in table.items():
        if str(key) not in SCAN_IDS:
            raise PromptError(f"{path}: scan_words_in_state.{state}.{key}: unknown option")
        if not isinstance(value, str) or not value.strip():
            raise PromptError(f"{path}: scan_words_in_state.{state}.{key}: must be non-empty text")
        out[str(key)] = value
    return out
