"""What the resident listener understands and says, as data: prompts/listen_<lang>.yaml, checked on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from voice_coach.coach.intents import normalize
from voice_coach.coach.prompts import load_lines, named_table, next_variant
from voice_coach.errors import PromptError
from voice_coach.paths import PROMPTS_DIR

LISTEN_SLOTS: dict[str, frozenset[str]] = {key: frozenset(slots.split()) for key, slots in {
    "listening": "wake", "woken": "", "ask_again": "", "confirm_session": "title", "confirm_checkin": "",
    "checkin_first": "", "nothing_left": "", "unknown_program": "title", "okay": "", "going_back": "wake",
    "help": "wake", "paused": "wake", "resumed": "", "ready_noted": "wake", "reminder_session": "title wake",
    "reminder_checkin": "", "snoozed": "", "not_today": "", "input_lost": "", "input_back": "",
    "speech_failed": "", "switch_hint": "", "switch_not_now": "", "listening_switch": "", "switch_too": "",
    "switch_lost": "", "switch_back": "",
}.items()}
"""key → the placeholders its variants may use."""
REQUESTS = ("start", "stretching", "resistance", "aerobic", "checkin", "today", "week", "ready", "sleep", "listen",
            "help", "cancel")
"""What can be asked after the wake phrase; stretching, resistance and aerobic name a program."""
ANSWERS = ("yes", "no", "later")
"""Answers to the listener's own questions."""
PROGRAM_REQUESTS = ("stretching", "resistance", "aerobic")


@dataclass
class ListenPrompts:
    """Checked phrases and lines; `line` picks variants in turn."""

    wake: str
    """The default wake phrase."""
    requests: dict[str, tuple[str, ...]]
    """request id → phrases."""
    answers: dict[str, tuple[str, ...]]
    """answer id → phrases."""
    lines: dict[str, tuple[str, ...]]
    _turn: dict[str, int] = field(default_factory=dict)

    def line(self, key: str, **slots: Any) -> str:
        return next_variant(self.lines, self._turn, key).format(**slots)

    def meaning(self, text: str) -> tuple[str, str] | None:
        """("request", id) or ("answer", id) for a phrase; None if unknown."""
        said = normalize(text)
        for kind, table in (("request", self.requests), ("answer", self.answers)):
            for key, phrases in table.items():
                if said in phrases:
                    return kind, key
        return None


def _table(raw: dict[str, Any], section: str, keys: tuple[str, ...], path: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for key, phrases in named_table(raw, section, keys, path, "phrases").items():
        if not isinstance(phrases, list) or not phrases:
            raise PromptError(f"{path}: {section}.{key}: must be a list of phrases")
        cleaned = []
        for p in phrases:
            if not isinstance(p, str) or not normalize(p) or any(c.isdigit() for c in p):
                raise PromptError(f"{path}: {section}.{key}: phrases must be words (got {p!r})")
            if normalize(p) in seen:
                raise PromptError(f"{path}: {section}.{key}: {p!r} already means {seen[normalize(p)]}")
            seen[normalize(p)] = key
            cleaned.append(normalize(p))
        out[key] = tuple(cleaned)
    return out


@lru_cache(maxsize=2)
def load_listen_prompts(lang: str = "en", directory: Path = PROMPTS_DIR) -> ListenPrompts:
    """Load and check prompts/listen_<lang>.yaml; a bad file is one PromptError line naming the field."""
    path = directory / f"listen_{lang}.yaml"
    raw, lines = load_lines(path, LISTEN_SLOTS, " (the listener never says it)")
    wake = raw.get("wake")
    if not isinstance(wake, str) or not normalize(wake):
        raise PromptError(f"{path}: wake: must be the default wake phrase")
    requests = _table(raw, "requests", REQUESTS, path)
    answers = _table(raw, "answers", ANSWERS, path)
    clash = set().union(*requests.values()) & set().union(*answers.values())
    if clash:
        raise PromptError(f"{path}: {sorted(clash)[0]!r} is both a request and an answer")
    return ListenPrompts(normalize(wake), requests, answers, lines)
