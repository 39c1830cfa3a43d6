"""Exercise programs as data: load a YAML file and check it against the ACSM limits for ALS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice_coach.datafile import read_yaml
from voice_coach.errors import ProgramError
from voice_coach.paths import PROGRAMS_DIR, config_dir
from voice_coach.terminal_text import shown

KINDS = ("stretching", "resistance", "aerobic")
MIN_EXERCISES = {"stretching": 6, "resistance": 6, "aerobic": 1}
MAX_AEROBIC_BOUT_MINUTES = 10
MAX_AEROBIC_DAY_MINUTES = 30


@dataclass(frozen=True)
class Tempo:
    """How one repetition is paced and cued."""

    up_seconds: float
    """Time for the lifting part."""
    down_seconds: float
    """Time for the lowering part."""
    up_cue: str
    """Word spoken for the lifting part ("press up")."""
    down_cue: str
    """Word spoken for the lowering part ("lower slowly")."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of a program; which fields matter depends on the program kind."""

    name: str
    """Spoken name."""
    description: str
    """How to do it, read when the exercise is introduced."""
    mode: str = "active"
    """Stretching: active (on your own) or passive (a helper moves the limb)."""
    hold_seconds: float = 0
    """Stretching: how long each stretch is held."""
    reps_per_side: int = 0
    """Stretching: holds per side."""
    sides: tuple[str, ...] = ()
    """Stretching: the sides in order ("right", "left") or ("both",)."""
    reps: int = 0
    """Resistance: repetitions in the one set."""
    min_reps: int = 0
    """Resistance: the floor below which progression never lowers reps."""
    weight: str = ""
    """Resistance: the light weight, named."""
    tempo: Tempo | None = None
    """Resistance: pacing of each rep."""
    minutes: float = 0
    """Aerobic: length of the bout."""

    @property
    def reps_target(self) -> int:
        """Repetitions (or holds, or bout minutes) that make the exercise complete."""
        if self.tempo is not None:
            return self.reps
        if self.hold_seconds:
            return self.reps_per_side * len(self.sides)
        return int(self.minutes)


@dataclass(frozen=True)
class Program:
    """A validated program."""

    name: str
    """Identifier used on the command line."""
    kind: str
    """stretching, resistance or aerobic."""
    title: str
    """Spoken title."""
    rest_seconds: float
    """Rest between exercises (between bouts for aerobic)."""
    exercises: tuple[Exercise, ...]
    """In order."""
    relax_seconds: float = 5
    """Stretching: pause between holds."""
    progress_every_minutes: float = 2
    """Aerobic: how often the time left is announced."""
    source: Path | None = None
    """The file it came from."""


class _Check:
    """Reads fields from one mapping and raises ProgramError naming file and field path."""

    def __init__(self, path: Path, raw: dict[str, Any], prefix: str = "") -> None:
        self.path, self.raw, self.prefix = path, raw, prefix

    def fail(self, field: str, what: str) -> ProgramError:
        return ProgramError(f"{self.path}: {self.prefix}{field}: {what}")

    def text(self, field: str, default: str | None = None) -> str:
        value = self.raw.get(field, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be non-empty text (got {shown(value)})")
        return value.strip()

    def number(self, field: str, lo: float, hi: float, default: float | None = None,
               integer: bool = False) -> float:
        value = self.raw.get(field, default)
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type:
            kind = "a whole number" if integer else "a number"
            raise self.fail(field, f"must be {kind} (got {shown(value)})")
        assert value is not None
        if not lo <= value <= hi:
            raise self.fail(field, f"must be between {lo:g} and {hi:g} (got {value:g})")
        return float(value)


def _exercise(path: Path, kind: str, raw: Any, index: int) -> Exercise:
    prefix = f"exercises[{index}]."
    if not isinstance(raw, dict):
        raise ProgramError(f"{path}: exercises[{index}]: must be a mapping with name and description")
    c = _Check(path, raw, prefix)
    name, description = c.text("name"), c.text("description")
    if kind == "stretching":
        mode = c.text("mode")
        if mode not in ("active", "passive"):
            raise c.fail("mode", f"must be active or passive (got {shown(mode)})")
        sides = raw.get("sides", ["both"])
        if not isinstance(sides, list) or not sides or any(s not in ("left", "right", "both") for s in sides):
            raise c.fail("sides", f"must be a list of left, right or both (got {shown(sides)})")
        return Exercise(name, description, mode=mode, hold_seconds=c.number("hold_seconds", 5, 120),
                        reps_per_side=int(c.number("reps_per_side", 1, 5, integer=True)), sides=tuple(sides))
    if kind == "resistance":
        if raw.get("sets", 1) != 1:
            raise c.fail("sets", f"the ACSM advice for ALS is one set (got {shown(raw.get('sets'))})")
        reps = int(c.number("reps", 8, 12, integer=True))
        min_reps = int(c.number("min_reps", 1, reps, default=min(8, reps), integer=True))
        tempo_raw = raw.get("tempo")
        if not isinstance(tempo_raw, dict):
            raise c.fail("tempo", "must give up_seconds, down_seconds, up_cue and down_cue")
        t = _Check(path, tempo_raw, prefix + "tempo.")
        tempo = Tempo(t.number("up_seconds", 1, 10), t.number("down_seconds", 1, 10),
                      t.text("up_cue"), t.text("down_cue"))
        return Exercise(name, description, reps=reps, min_reps=min_reps, weight=c.text("weight"), tempo=tempo)
    minutes = c.number("minutes", 1, MAX_AEROBIC_BOUT_MINUTES)
    return Exercise(name, description, minutes=minutes)


def parse_program(path: Path, raw: Any) -> Program:
    """Validate a program mapping read from `path`."""
    if not isinstance(raw, dict):
        raise ProgramError(f"{path}: must be a mapping with name, kind, title and exercises")
    c = _Check(path, raw)
    kind = c.text("kind")
    if kind not in KINDS:
        raise c.fail("kind", f"must be one of {', '.join(KINDS)} (got {shown(kind)})")
    items = raw.get("exercises")
    if not isinstance(items, list) or len(items) < MIN_EXERCISES[kind]:
        raise c.fail("exercises", f"a {kind} program needs at least {MIN_EXERCISES[kind]} exercises")
    exercises = tuple(_exercise(path, kind, item, i) for i, item in enumerate(items))
    if kind == "aerobic":
        total = sum(e.minutes for e in exercises)
        if total > MAX_AEROBIC_DAY_MINUTES:
            raise c.fail("exercises", f"aerobic bouts add up to {total:g} minutes; the most is "
                                      f"{MAX_AEROBIC_DAY_MINUTES}")
    return Program(
        name=c.text("name"), kind=kind, title=c.text("title"),
        rest_seconds=c.number("rest_seconds", 10, 900, default=60),
        exercises=exercises,
        relax_seconds=c.number("relax_seconds", 1, 60, default=5),
        progress_every_minutes=c.number("progress_every_minutes", 1, 10, default=2),
        source=path,
    )


def load_program_file(path: Path) -> Program:
    """Load and validate one program file."""
    return parse_program(path, read_yaml(path, ProgramError, "program file"))


def program_dirs() -> list[Path]:
    """Where programs are looked up by name: the user's own first, then the bundled ones."""
    return [config_dir() / "programs", PROGRAMS_DIR]


def available_programs() -> list[str]:
    """Names of every program file found."""
    names = {p.stem for d in program_dirs() if d.is_dir() for p in d.glob("*.yaml")}
    return sorted(names)


def load_program(name_or_path: str) -> Program:
    """A program by name (user's directory first, then bundled) or by path to a YAML file."""
    as_path = Path(name_or_path)
    if as_path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        return load_program_file(as_path)
    for d in program_dirs():
        candidate = d / f"{name_or_path}.yaml"
        if candidate.is_file():
            return load_program_file(candidate)
    known = ", ".join(available_programs()) or "none"
    raise ProgramError(f"unknown program {shown(name_or_path)}: choose one of {known}, or give a path to a .yaml file")
