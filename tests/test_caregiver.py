"""Caregiver entries typed with `voice-coach note` and `voice-coach log`: journaled with source `caregiver`,
checked on the way in, and shown apart in every report format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.journals import read_entries, run_cli
from voice_coach.errors import CoachError
from voice_coach.journal.caregiver import parse_at, parse_symptom
from voice_coach.journal.journal import SqliteJournal
from voice_coach.paths import default_db

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("utc")


def test_note_is_appended_with_source_caregiver(capsys, tmp_path) -> None:
    db = tmp_path / "new" / "journal.sqlite3"
    code, _, err = run_cli(capsys, "note", "slept", "badly;", "new splint", "--db", str(db))
    assert code == 0 and "noted (caregiver)" in err
    (e,) = read_entries(db)
    assert (e.kind, e.source, e.session_id, e.data) == ("note", "caregiver", "caregiver",
                                                       {"text": "slept badly; new splint"})
    assert db.stat().st_mode & 0o777 == 0o600  # a new journal is private


def test_entries_go_to_the_default_journal(capsys) -> None:
    assert run_cli(capsys, "log", "--rating", "4")[0] == 0
    assert [e.data["value"] for e in read_entries(default_db())] == [4]


def test_log_rating_and_symptoms(capsys, tmp_path) -> None:
    db = str(tmp_path / "j.sqlite3")
    assert run_cli(capsys, "log", "--rating", "7", "--db", db)[0] == 0
    assert run_cli(capsys, "log", "--symptom", "short of breath", "--at", "2026-03-01 08:15", "--db", db)[0] == 0
    rating, symptom = read_entries(Path(db))
    assert rating.kind == "rating" and rating.data == {"value": 7, "scale": "CR10", "exercise": None, "index": None}
    assert symptom.kind == "symptom" and symptom.data["kind"] == "breathless" and symptom.source == "caregiver"
    assert symptom.at == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)
    assert "logged_at" in symptom.data and "logged_at" not in rating.data  # typed later than it happened


@pytest.mark.parametrize("said, kind", [("twitching", "fasciculation"), ("Dizzy", "dizziness"),
                                        ("exhausted", "extreme_fatigue"), ("extreme_fatigue", "extreme_fatigue"),
                                        ("my leg has a cramp", "cramp"), ("Short-of-breath", "breathless")])
def test_symptoms_are_named_as_the_coach_understands_them(said, kind) -> None:
    assert parse_symptom(said) == kind


@pytest.mark.parametrize("text, expected", [
    (None, NOW),
    ("08:30", datetime(2026, 3, 4, 8, 30, tzinfo=UTC)),
    ("21:30", datetime(2026, 3, 3, 21, 30, tzinfo=UTC)),  # still to come today: last night
    ("2026-03-02 07:05", datetime(2026, 3, 2, 7, 5, tzinfo=UTC)),
    ("2026-03-02", datetime(2026, 3, 2, 12, 0, tzinfo=UTC)),
    ("2026-03-04", NOW),  # today, typed in the morning
    ("2026-03-02T07:05:00+01:00", datetime(2026, 3, 2, 6, 5, tzinfo=UTC)),
])
def test_at_times(text, expected) -> None:
    assert parse_at(text, NOW) == expected


@pytest.mark.parametrize("text, needle", [("2026-03-05 10:00", "is in the future"), ("2026-03-05", "in the future"),
                                          ("yesterday", "use a time like 14:30")])
def test_bad_at_times(text, needle) -> None:
    with pytest.raises(CoachError, match=needle):
        parse_at(text, NOW)


@pytest.mark.parametrize("args, needle", [
    (["log"], "give either --rating N (0 to 10) or --symptom KIND"),
    (["log", "--rating", "3", "--symptom", "cramp"], "give either"),
    (["log", "--rating", "11"], "Invalid value for '--rating'"),
    (["log", "--symptom", "hiccups"], "--symptom 'hiccups': not a symptom the coach knows"),
    (["log", "--rating", "5", "--at", "soon"], "--at 'soon'"),
    (["note", "   "], "the note is empty"),
    (["note"], "Missing argument"),
])
def test_bad_caregiver_input_is_one_clear_line(capsys, tmp_path, args, needle) -> None:
    code, _, err = run_cli(capsys, *args, "--db", str(tmp_path / "j.sqlite3"))
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and needle in lines[0] and "Traceback" not in err
    assert not (tmp_path / "j.sqlite3").exists() or read_entries(tmp_path / "j.sqlite3") == []


def test_caregiver_entries_are_shown_apart_in_every_format(capsys, tmp_path) -> None:
    db = tmp_path / "j.sqlite3"
    j = SqliteJournal(db)
    sid = j.new_session_id()
    j.append(sid, "session_started", NOW - timedelta(hours=2), {"program": "stretching", "kind": "stretching"})
    j.append(sid, "rating", NOW - timedelta(hours=2), {"value": 3, "scale": "CR10", "exercise": "Neck side stretch",
                                                       "index": 0}, source="voice", transcript="three", confidence=0.9)
    j.append(sid, "session_ended", NOW - timedelta(hours=2), {"outcome": "completed", "flags": []})
    j.close()
    for args in (["note", "walked to the shop"], ["log", "--rating", "8"], ["log", "--symptom", "cramp"]):
        assert run_cli(capsys, *args, "--at", "2026-03-04 08:00", "--db", str(db))[0] == 0

    def out(fmt: str) -> str:
        code, text, err = run_cli(capsys, "report", "--db", str(db), "--until", "2026-03-05", "--format", fmt)
        assert code == 0, err
        return text

    data = json.loads(out("json"))
    assert [(c["kind"], c["source"]) for c in data["caregiver"]] == [
        ("note", "caregiver"), ("rating", "caregiver"), ("symptom", "caregiver")]
    assert {i["kind"] for i in data["attention"] if i["source"] == "caregiver"} == {"symptom", "hard_effort"}
    rows = list(csv.DictReader(io.StringIO(out("csv"))))
    assert [r["source"] for r in rows if r["session_id"] == "caregiver"] == ["caregiver"] * 3
    assert next(r for r in rows if r["kind"] == "note")["note"] == "walked to the shop"
    bundle = json.loads(out("fhir"))
    performers = [e["resource"]["performer"][0]["display"] for e in bundle["entry"]]
    assert performers.count("Caregiver") == 3 and performers.count("The person exercising (self-reported)") == 1
    text = out("text")
    assert "walked to the shop" in text and text.count("✎ caregiver") >= 3
    page = out("html")
    assert 'class="by-caregiver"' in page and "walked to the shop" in page and page.count("✎ caregiver") >= 4
