"""Progression rules as data: when to propose a lighter program and by how much, checked on load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice_coach.coach.intents import SYMPTOM_KINDS
from voice_coach.datafile import read_yaml
from voice_coach.errors import ProgramError
from voice_coach.paths import RULES_DIR, config_dir
from voice_coach.terminal_text import shown

WHEN = ("effort_trend", "symptoms", "daily_activities")
"""What a rule can watch: CR10 ratings over sessions, reported symptoms, a "yes" to the next-day question."""
LOWERABLE = ("reps", "weight", "minutes")
"""What a proposal can lower (never raise)."""


@dataclass(frozen=True)
class Changes:
    """How much lighter one proposal makes a program."""

    reps_step: int = 2
    """Repetitions taken off an exercise (never below its min_reps)."""
    bout_step_minutes: int = 2
    """Minutes taken off an aerobic bout."""
    min_bout_minutes: int = 2
    """Bouts never get shorter than this."""
    lighter_weight: str = "a lighter weight than before, or no weight"
    """The weight an exercise is given when its weight is lowered."""
    unweighted: tuple[str, ...] = ("no weight", "body weight")
    """A weight naming one of these already allows none: it is not lowered further."""


@dataclass(frozen=True)
class Rule:
    """One reason to propose a lighter program."""

    id: str
    """Named in the journal with every proposal it makes."""
    when: str
    """effort_trend, symptoms or daily_activities."""
    reason: str
    """Why, in words a caregiver and a clinician read."""
    lower: tuple[str, ...]
    """reps, weight, minutes: for each exercise the first that can still go down is lowered."""
    within_days: int
    """Only entries of the last this-many days (today included) count."""
    sessions: int = 3
    """effort_trend: how many of the latest rated sessions must all be hard."""
    threshold: int = 5
    """effort_trend: the CR10 average per session at or above which a session was hard."""
    symptoms: tuple[str, ...] = ()
    """symptoms: the kinds that count."""


@dataclass(frozen=True)
class Rules:
    """The validated rule file."""

    changes: Changes
    """Step sizes."""
    rules: tuple[Rule, ...]
    """Tried in order; the first that fires makes the proposal."""
    source: Path | None = None
    """The file they came from."""


def rules_path() -> Path:
    """The clinician's own rule file if there is one, else the bundled one."""
    own = config_dir() / "rules" / "progression.yaml"
    return own if own.is_file() else RULES_DIR / "progression.yaml"


def load_rules(path: Path | None = None) -> Rules:
    path = path or rules_path()
    return parse_rules(path, read_yaml(path, ProgramError, "rule file", line_numbers=False))


def parse_rules(path: Path, raw: Any) -> Rules:
    def fail(field: str, what: str) -> ProgramError:
        return ProgramError(f"{path}: {field}: {what}")

    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list) or not raw["rules"]:
        raise ProgramError(f"{path}: must be a mapping with changes and a non-empty list of rules")
    c = raw.get("changes", {})
    if not isinstance(c, dict):
        raise fail("changes", "must be a mapping")
    num = _numbers(c, "changes.", fail)
    lighter = c.get("lighter_weight", Changes.lighter_weight)
    if not isinstance(lighter, str) or not lighter.strip():
        raise fail("changes.lighter_weight", f"must be non-empty text (got {shown(lighter)})")
    unweighted = c.get("unweighted", list(Changes.unweighted))
    if not isinstance(unweighted, list) or not all(isinstance(u, str) and u.strip() for u in unweighted):
        raise fail("changes.unweighted", f"must be a list of words (got {shown(unweighted)})")
    changes = Changes(num("reps_step", 1, 4, Changes.reps_step), num("bout_step_minutes", 1, 5, 2),
                      num("min_bout_minutes", 1, 10, 2), lighter.strip(), tuple(u.lower() for u in unweighted))
    rules = tuple(_rule(r, i, fail) for i, r in enumerate(raw["rules"]))
    ids = [r.id for r in rules]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup is not None:
        raise fail(f"rules[{ids.index(dup, ids.index(dup) + 1)}].id", f"{shown(dup)} is used twice")
    return Rules(changes, rules, path)


def _numbers(raw: dict[str, Any], prefix: str, fail: Callable[[str, str], ProgramError]) -> Callable[..., int]:
    def num(field: str, lo: int, hi: int, default: int | None = None) -> int:
        value = raw.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(prefix + field, f"must be a whole number (got {shown(value)})")
        if not lo <= value <= hi:
            raise fail(prefix + field, f"must be between {lo} and {hi} (got {value}); a rule only ever "
                                       "lowers the load, in small steps")
        return value
    return num


def _rule(raw: Any, i: int, fail: Callable[[str, str], ProgramError]) -> Rule:
    prefix = f"rules[{i}]."
    if not isinstance(raw, dict):
        raise fail(f"rules[{i}]", "must be a mapping with id, when, lower and reason")
    num = _numbers(raw, prefix, fail)
    texts = {}
    for field in ("id", "when", "reason"):
        value = raw.get(field)
        if not isinstance(value, str) or not value.strip():
            raise fail(prefix + field, f"must be non-empty text (got {shown(value)})")
        texts[field] = " ".join(value.split())
    if texts["when"] not in WHEN:
        raise fail(prefix + "when", f"must be one of {', '.join(WHEN)} (got {shown(texts['when'])})")
    lower = raw.get("lower")
    if not isinstance(lower, list) or not lower or any(x not in LOWERABLE for x in lower):
        raise fail(prefix + "lower", f"must list some of {', '.join(LOWERABLE)} (got {shown(lower)}); "
                                     "a rule can only lower the load")
    symptoms: tuple[str, ...] = ()
    if texts["when"] == "symptoms":
        raw_s = raw.get("symptoms")
        if not isinstance(raw_s, list) or not raw_s or any(s not in SYMPTOM_KINDS for s in raw_s):
            raise fail(prefix + "symptoms", f"must list some of {', '.join(SYMPTOM_KINDS)} (got {shown(raw_s)})")
        symptoms = tuple(raw_s)
    effort = texts["when"] == "effort_trend"
    return Rule(id=texts["id"], when=texts["when"], reason=texts["reason"], lower=tuple(lower),
                within_days=num("within_days", 1, 60),
                sessions=num("sessions", 1, 10) if effort else 3,
                threshold=num("threshold", 1, 10) if effort else 5,
                symptoms=symptoms)
