"""Programs as data: the bundled ones load within the ACSM limits; bad files get one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from voice_coach.coach.programs import load_program, load_program_file
from voice_coach.errors import ProgramError

BUNDLED = Path(__file__).resolve().parent.parent / "voice_coach" / "data" / "programs"


def test_bundled_programs_meet_the_acsm_sheet() -> None:
    stretching, resistance, aerobic = (load_program(n) for n in ("stretching", "resistance", "aerobic"))
    assert len(stretching.exercises) >= 6
    assert {e.mode for e in stretching.exercises} == {"active", "passive"}
    assert all(e.hold_seconds > 0 and e.reps_per_side >= 1 for e in stretching.exercises)
    assert len(resistance.exercises) >= 6
    assert all(8 <= e.reps <= 12 and e.weight and e.tempo for e in resistance.exercises)
    assert all(e.minutes <= 10 for e in aerobic.exercises)
    assert sum(e.minutes for e in aerobic.exercises) <= 30


def _mutated(tmp_path: Path, name: str, change: dict) -> Path:
    raw = yaml.safe_load((BUNDLED / f"{name}.yaml").read_text())
    for dotted, value in change.items():
        target = raw
        *parents, last = dotted.split(".")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("name, change, message", [
    ("resistance", {"exercises.2.reps": 15}, r"exercises\[2\]\.reps: must be between 8 and 12 \(got 15\)"),
    ("resistance", {"exercises.0.sets": 3}, r"exercises\[0\]\.sets: the ACSM advice for ALS is one set"),
    ("resistance", {"exercises.1.weight": None}, r"exercises\[1\]\.weight: must be non-empty text"),
    ("resistance", {"exercises.1.tempo": None}, r"exercises\[1\]\.tempo: must give up_seconds"),
    ("resistance", {"exercises.3.tempo.up_seconds": "fast"}, r"exercises\[3\]\.tempo\.up_seconds: must be a number"),
    ("stretching", {"exercises.0.mode": "bouncy"}, r"exercises\[0\]\.mode: must be active or passive"),
    ("stretching", {"exercises.0.hold_seconds": 500}, r"exercises\[0\]\.hold_seconds: must be between 5 and 120"),
    ("stretching", {"exercises.5": None, "exercises.4": None}, r"exercises: a stretching program needs at least 6"),
    ("aerobic", {"exercises.0.minutes": 20}, r"exercises\[0\]\.minutes: must be between 1 and 10 \(got 20\)"),
    ("aerobic", {"kind": "yoga"}, r"kind: must be one of stretching, resistance, aerobic"),
])
def test_bad_program_is_one_line_naming_file_and_field(tmp_path: Path, name: str, change: dict,
                                                       message: str) -> None:
    path = _mutated(tmp_path, name, change)
    with pytest.raises(ProgramError, match=message) as err:
        load_program_file(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_more_than_thirty_aerobic_minutes_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load((BUNDLED / "aerobic.yaml").read_text())
    raw["exercises"].append(dict(raw["exercises"][0]))
    path = tmp_path / "aerobic.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ProgramError, match="add up to 40 minutes; the most is 30"):
        load_program_file(path)


def test_broken_yaml_and_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ProgramError, match="not valid YAML at line"):
        load_program_file(path)
    with pytest.raises(ProgramError, match="unknown program 'yoga': choose one of aerobic, resistance, stretching"):
        load_program("yoga")


def test_users_own_program_is_found_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICE_COACH_HOME", str(tmp_path))
    own = tmp_path / "config" / "programs"
    own.mkdir(parents=True)
    raw = yaml.safe_load((BUNDLED / "resistance.yaml").read_text())
    raw["title"] = "my light weights"
    (own / "resistance.yaml").write_text(yaml.safe_dump(raw))
    assert load_program("resistance").title == "my light weights"
