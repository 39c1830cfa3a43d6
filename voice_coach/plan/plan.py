"""The weekly plan as data: which programs on which weekday, checked against the ACSM limits on load."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from voice_coach.coach.programs import KINDS, MAX_AEROBIC_BOUT_MINUTES, MAX_AEROBIC_DAY_MINUTES, Program, load_program
from voice_coach.datafile import read_yaml
from voice_coach.errors import ProgramError
from voice_coach.paths import PLANS_DIR, config_dir
from voice_coach.terminal_text import SHOWN_CHARS, one_line, shown

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACSM_LIMITS: dict[str, tuple[int, int, str]] = {
    "aerobic_bout_minutes": (1, MAX_AEROBIC_BOUT_MINUTES, "ACSM: aerobic bouts of at most 10 minutes"),
    "aerobic_day_minutes": (1, MAX_AEROBIC_DAY_MINUTES, "ACSM: at most 30 minutes of aerobic exercise a day"),
    "resistance_sets": (1, 1, "ACSM: one set of light resistance"),
    "resistance_days_per_week": (0, 5, "ACSM: light resistance on 3 to 5 days a week"),
    "stretching_per_day": (1, 2, "ACSM: stretching once or twice a day"),
}
"""Plan limit → (lowest, highest the ACSM sheet allows, why). A plan may ask for less, never more."""


@dataclass(frozen=True)
class Planned:
    """One session planned on a day."""

    program: str
    """Program name, as `voice-coach session --program` takes it."""
    kind: str
    """stretching, resistance or aerobic (from the program)."""
    title: str
    """Spoken title of the program ("light resistance")."""


@dataclass(frozen=True)
class WeeklyPlan:
    """A validated weekly plan."""

    name: str
    """Identifier."""
    title: str
    """What a caregiver reads."""
    week: tuple[tuple[Planned, ...], ...]
    """Seven days, Monday first; each the sessions planned that day, in the order they are offered."""
    limits: dict[str, int]
    """The plan's own limits (at most the ACSM ones)."""
    source: Path | None = None
    """The file it came from."""

    def day(self, d: date) -> tuple[Planned, ...]:
        return self.week[d.weekday()]

    def kinds(self) -> list[str]:
        """Kinds planned at least once a week, in the usual order."""
        used = {p.kind for day in self.week for p in day}
        return [k for k in KINDS if k in used]

    def title_of(self, kind: str) -> str:
        """The title of the first program of this kind in the plan (or the kind itself)."""
        return next((p.title for day in self.week for p in day if p.kind == kind), kind)


def plan_dirs() -> list[Path]:
    """Where the plan is looked up: the user's (caregiver's) own first, then the bundled one."""
    return [config_dir() / "plans", PLANS_DIR]


def load_plan(path: Path | None = None, *, programs: Callable[[str], Program] = load_program) -> WeeklyPlan:
    """The weekly plan at `path`, or the user's own, or the bundled one; a bad file is one ProgramError."""
    if path is None:
        path = next((d / "weekly.yaml" for d in plan_dirs() if (d / "weekly.yaml").is_file()),
                    PLANS_DIR / "weekly.yaml")
    return parse_plan(path, read_yaml(path, ProgramError, "plan file"), programs)


def parse_plan(path: Path, raw: Any, programs: Callable[[str], Program] = load_program) -> WeeklyPlan:
    """Validate a plan mapping read from `path`: names, limits, and each day against the limits."""
    def fail(field: str, what: str) -> ProgramError:
        return ProgramError(f"{path}: {field}: {what}")

    if not isinstance(raw, dict):
        raise ProgramError(f"{path}: must be a mapping with name, limits and week")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", f"must be non-empty text (got {shown(name)})")
    title = raw.get("title", name)
    if not isinstance(title, str) or not title.strip():
        raise fail("title", f"must be non-empty text (got {shown(title)})")
    limits = _limits(raw.get("limits", {}), fail)
    week_raw = raw.get("week")
    if not isinstance(week_raw, dict):
        raise fail("week", "must map weekdays (monday ... sunday) to lists of program names")
    for key in week_raw:
        if key not in WEEKDAYS:
            raise fail(f"week.{one_line(str(key), SHOWN_CHARS)}", f"not a weekday; use {', '.join(WEEKDAYS)}")
    loaded: dict[str, Program] = {}
    week = tuple(_day(day, week_raw.get(day) or [], limits, loaded, programs, fail) for day in WEEKDAYS)
    resistance_days = sum(1 for d in week if any(p.kind == "resistance" for p in d))
    if resistance_days > limits["resistance_days_per_week"]:
        raise fail("week", f"light resistance on {resistance_days} days; the most is "
                           f"{limits['resistance_days_per_week']} (limits.resistance_days_per_week)")
    return WeeklyPlan(name=name.strip(), title=title.strip(), week=week, limits=limits, source=path)


def _limits(raw: Any, fail: Callable[[str, str], ProgramError]) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise fail("limits", "must be a mapping of limit → number")
    out: dict[str, int] = {}
    for key in raw:
        if key not in ACSM_LIMITS:
            raise fail(f"limits.{one_line(str(key), SHOWN_CHARS)}", f"unknown limit; known: {', '.join(ACSM_LIMITS)}")
    for key, (lo, hi, why) in ACSM_LIMITS.items():
        value = raw.get(key, hi)
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"limits.{key}", f"must be a whole number (got {shown(value)})")
        if not lo <= value <= hi:
            span = f"{lo}" if lo == hi else f"between {lo} and {hi}"
            raise fail(f"limits.{key}", f"must be {span} (got {value}); {why}")
        out[key] = value
    return out


def _day(day: str, items: Any, limits: dict[str, int], loaded: dict[str, Program],
         programs: Callable[[str], Program], fail: Callable[[str, str], ProgramError]) -> tuple[Planned, ...]:
    field = f"week.{day}"
    if not isinstance(items, list):
        raise fail(field, f"must be a list of program names (got {shown(items)})")
    planned: list[Planned] = []
    aerobic_minutes = 0.0
    for i, name in enumerate(items):
        if not isinstance(name, str) or not name.strip():
            raise fail(f"{field}[{i}]", f"must be a program name (got {shown(name)})")
        if name not in loaded:
            try:
                loaded[name] = programs(name)
            except ProgramError as exc:
                raise fail(f"{field}[{i}]", exc.message) from None
        p = loaded[name]
        if p.kind == "aerobic":
            longest = max(e.minutes for e in p.exercises)
            if longest > limits["aerobic_bout_minutes"]:
                raise fail(f"{field}[{i}]", f"program {name} has a {longest:g}-minute bout; the most is "
                                            f"{limits['aerobic_bout_minutes']} (limits.aerobic_bout_minutes)")
            aerobic_minutes += sum(e.minutes for e in p.exercises)
        planned.append(Planned(program=name, kind=p.kind, title=p.title))
    kinds = [p.kind for p in planned]
    if kinds.count("stretching") > limits["stretching_per_day"]:
        raise fail(field, f"stretching {kinds.count('stretching')} times; the most is "
                          f"{limits['stretching_per_day']} a day (limits.stretching_per_day)")
    if kinds.count("resistance") > limits["resistance_sets"]:
        raise fail(field, f"light resistance {kinds.count('resistance')} times; one set a day is the most "
                          "(ACSM: one set of 8 to 12 repetitions)")
    if "resistance" in kinds and "aerobic" in kinds:
        raise fail(field, "light resistance and aerobic on the same day; ACSM: resistance on days without "
                          "aerobic exercise")
    if aerobic_minutes > limits["aerobic_day_minutes"]:
        raise fail(field, f"aerobic bouts add up to {aerobic_minutes:g} minutes; the most is "
                          f"{limits['aerobic_day_minutes']} a day (limits.aerobic_day_minutes)")
    return tuple(planned)
