"""Accepted proposals become the user's own program file: written atomically, validated, never heavier."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from voice_coach.coach.programs import Program, load_program, parse_program
from voice_coach.datafile import parse_yaml, read_text, write_atomically
from voice_coach.errors import ProgramError
from voice_coach.journal.journal import Entry
from voice_coach.paths import config_dir
from voice_coach.plan.progression import Proposal, apply

HEADER = """\
# Your {name} program, made lighter by the proposals you accepted (voice-coach program show).
# The coach never raises the load by itself. To raise it, edit this file; to go back to the bundled
# program, delete it. It is checked against the ACSM limits when it is loaded.
"""


def override_path(name: str) -> Path:
    return config_dir() / "programs" / f"{name}.yaml"


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def program_to_raw(p: Program) -> dict[str, Any]:
    """The program as the mapping a program file holds (what parse_program reads back)."""
    raw: dict[str, Any] = {"name": p.name, "kind": p.kind, "title": p.title, "rest_seconds": _num(p.rest_seconds)}
    if p.kind == "stretching":
        raw["relax_seconds"] = _num(p.relax_seconds)
    if p.kind == "aerobic":
        raw["progress_every_minutes"] = _num(p.progress_every_minutes)
    exercises = []
    for e in p.exercises:
        ex: dict[str, Any] = {"name": e.name, "description": e.description}
        if p.kind == "stretching":
            ex.update(mode=e.mode, hold_seconds=_num(e.hold_seconds), reps_per_side=e.reps_per_side,
                      sides=list(e.sides))
        elif p.kind == "resistance":
            assert e.tempo is not None
            ex.update(reps=e.reps, min_reps=e.min_reps, weight=e.weight,
                      tempo={"up_seconds": _num(e.tempo.up_seconds), "down_seconds": _num(e.tempo.down_seconds),
                             "up_cue": e.tempo.up_cue, "down_cue": e.tempo.down_cue})
        else:
            ex["minutes"] = _num(e.minutes)
        exercises.append(ex)
    raw["exercises"] = exercises
    return raw


def accepted_ids(program: Program) -> list[dict[str, Any]]:
    """The accepted proposals recorded in the program's file (empty for a bundled program)."""
    if program.source is None or not program.source.is_file():
        return []
    try:
        raw = parse_yaml(read_text(program.source))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    items = raw.get("accepted_proposals") if isinstance(raw, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _never_heavier(before: Program, after: Program, path: Path) -> None:
    if len(before.exercises) != len(after.exercises):
        raise ProgramError(f"{path}: a lighter program must keep its exercises")
    for a, b in zip(before.exercises, after.exercises, strict=True):
        if b.reps > a.reps or b.minutes > a.minutes or b.hold_seconds > a.hold_seconds:
            raise ProgramError(f"{path}: {b.name}: the coach never raises the load by itself")


def write_override(before: Program, after: Program, accepted: list[dict[str, Any]]) -> Path:
    """Write `after` as the user's program file, atomically, after checking it loads and is not heavier."""
    path = override_path(after.name)
    raw = program_to_raw(after)
    parse_program(path, raw)
    _never_heavier(before, after, path)
    raw["accepted_proposals"] = accepted
    text = HEADER.format(name=after.name) + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=110)
    write_atomically(path, text, ProgramError)
    return path


def apply_accepted(entries: Iterable[Entry]) -> list[tuple[str, Path]]:
    """Write every accepted proposal not yet in its program's file; idempotent. (name, file) per write."""
    made: dict[str, dict[str, Any]] = {}
    written: list[tuple[str, Path]] = []
    for e in entries:
        if e.kind == "proposal_made":
            made[e.data["proposal"]] = e.data
        if e.kind != "proposal_accepted" or e.data.get("proposal") not in made:
            continue
        proposal = Proposal.from_data(made[e.data["proposal"]])
        try:
            program = load_program(proposal.program)
        except ProgramError:
            continue  # the program is gone or broken: `program show` says so; nothing to make lighter
        accepted = accepted_ids(program)
        if any(a.get("proposal") == proposal.id for a in accepted):
            continue
        lighter, applied = apply(program, proposal.changes)
        if not applied:
            continue
        record = {"proposal": proposal.id, "rule": proposal.rule, "accepted_at": e.at.isoformat(timespec="seconds"),
                  "by": e.source, "changes": [f"{c.exercise}: {c.field} {c.was} -> {c.to}" for c in applied]}
        written.append((proposal.program, write_override(program, lighter, [*accepted, record])))
    return written
