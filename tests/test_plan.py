"""The weekly plan: loaded and checked as data; today and this week from real journals on fake dates;
the next-day question asked once and only after an exercise day; `voice-coach plan` and `session` by the plan."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from tests.journals import MONDAY, FakeDays, days
from voice_coach.errors import ProgramError
from voice_coach.journal.journal import SqliteJournal
from voice_coach.plan.plan import PLANS_DIR, load_plan
from voice_coach.plan.today import asks_daily, today_lines, today_status, week_status
from voice_coach.session.start import prepare_start

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = yaml.safe_load((PLANS_DIR / "weekly.yaml").read_text())
NO_AEROBIC = {"name": "no-aerobic", "week": {d: ["stretching", "resistance"] if d in ("monday", "wednesday", "friday")
                                             else ["stretching"] for d in BUNDLED["week"]}}


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli.main", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=dict(os.environ))


def write_plan(folder: Path, raw: dict, name: str = "weekly.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def journal(tmp_path: Path) -> FakeDays:
    j = FakeDays(tmp_path / "journal.sqlite3")
    yield j
    j.close()


# ----- the plan file ----------------------------------------------------------------------------------------
def test_bundled_plan_follows_the_acsm_sheet() -> None:
    plan = load_plan()
    kinds_per_day = [[p.kind for p in day] for day in plan.week]
    assert all(1 <= k.count("stretching") <= 2 for k in kinds_per_day), "stretching once or twice every day"
    assert sum("aerobic" in k for k in kinds_per_day) >= 3, "aerobic at least 3 days a week"
    assert 3 <= sum("resistance" in k for k in kinds_per_day) <= 5, "resistance on 3 to 5 days"
    assert not any("resistance" in k and "aerobic" in k for k in kinds_per_day), "resistance on other days"
    assert plan.limits == {"aerobic_bout_minutes": 10, "aerobic_day_minutes": 30, "resistance_sets": 1,
                           "resistance_days_per_week": 5, "stretching_per_day": 2}


def _edit(**week: list) -> dict:
    raw = yaml.safe_load(yaml.safe_dump(BUNDLED))
    raw["week"].update(week)
    return raw


def _limit(**limits: object) -> dict:
    raw = yaml.safe_load(yaml.safe_dump(BUNDLED))
    raw["limits"].update(limits)
    return raw


@pytest.mark.parametrize("raw, message", [
    (_limit(aerobic_bout_minutes=12), r"limits.aerobic_bout_minutes: must be between 1 and 10 \(got 12\); ACSM"),
    (_limit(aerobic_day_minutes=45), r"limits.aerobic_day_minutes: must be between 1 and 30"),
    (_limit(resistance_sets=2), r"limits.resistance_sets: must be 1 \(got 2\); ACSM: one set"),
    (_limit(stretching_per_day=3), r"limits.stretching_per_day: must be between 1 and 2"),
    (_limit(resistance_days_per_week="five"), r"limits.resistance_days_per_week: must be a whole number"),
    (_limit(sets=1), r"limits.sets: unknown limit"),
    (_limit(aerobic_bout_minutes=8), r"week.monday\[1\]: program aerobic has a 10-minute bout; the most is 8"),
    (_edit(monday=["stretching", "resistance", "aerobic"]), r"week.monday: light resistance and aerobic on the same"),
    (_edit(tuesday=["resistance", "resistance"]), r"week.tuesday: light resistance 2 times; one set a day"),
    (_edit(sunday=["stretching"] * 3), r"week.sunday: stretching 3 times; the most is 2"),
    (_edit(monday=["aerobic", "aerobic"]), r"week.monday: aerobic bouts add up to 60 minutes; the most is 30"),
    (_edit(monday=["resistance"], wednesday=["resistance"], friday=["resistance"]),
     r"week: light resistance on 6 days; the most is 5"),
    (_edit(monday=["stretching", "yoga"]), r"week.monday\[1\]: unknown program 'yoga'"),
    (_edit(monday="stretching"), r"week.monday: must be a list of program names"),
    (_edit(funday=["stretching"]), r"week.funday: not a weekday"),
    ({"week": {}}, r"name: must be non-empty text"),
    ({"name": "x"}, r"week: must map weekdays"),
    (["stretching"], r"must be a mapping with name, limits and week"),
])
def test_bad_plan_is_one_error_naming_file_and_field(tmp_path: Path, raw: object, message: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ProgramError, match=rf"^{path}: {message}"):
        load_plan(path)


def test_a_plan_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("week: [\n")
    with pytest.raises(ProgramError, match="not valid YAML at line 2"):
        load_plan(path)


def test_the_caregivers_plan_replaces_the_bundled_one(private_home: Path) -> None:
    write_plan(private_home / "config" / "plans", NO_AEROBIC)
    assert load_plan().name == "no-aerobic"


def test_bad_plan_on_the_command_line_is_one_clear_line(tmp_path: Path) -> None:
    path = write_plan(tmp_path, _limit(aerobic_bout_minutes=15))
    done = cli("plan", "--plan", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert str(path) in line and "limits.aerobic_bout_minutes" in line and "at most 10 minutes" in line


# ----- today and this week, over several weeks ------------------------------------------------------------
def test_today_and_the_week_follow_the_journal_with_aerobic_days(journal: FakeDays) -> None:
    plan = load_plan()
    week1 = days(MONDAY, 7)
    for d in week1:  # week 1: everything as planned, but no aerobic on Friday
        journal.session(d, "stretching")
        for p in plan.day(d)[1:]:
            if not (p.kind == "aerobic" and d.weekday() == 4):
                journal.session(d, p.program, hour=16)
    journal.session(MONDAY + timedelta(days=7), "stretching")  # week 2: Monday's stretching only
    entries = journal.entries()

    friday = today_status(plan, entries, MONDAY + timedelta(days=4))
    assert [p.kind for p in friday.planned] == ["stretching", "aerobic"] and friday.done == (True, False)
    assert friday.next is not None and friday.next.program == "aerobic"
    assert {w.kind: (w.done_days, w.planned_days) for w in week_status(plan, entries, week1[-1])} == {
        "stretching": (7, 7), "resistance": (3, 3), "aerobic": (2, 3)}
    wednesday = {w.kind: w.done_days for w in week_status(plan, entries, week1[2])}
    assert wednesday == {"stretching": 3, "resistance": 1, "aerobic": 2}, "only days up to the day asked count"

    monday2 = MONDAY + timedelta(days=7)
    assert {w.kind: w.done_days for w in week_status(plan, entries, monday2)} == {
        "stretching": 1, "resistance": 0, "aerobic": 0}, "a new week starts from nothing"
    lines = today_lines(today_status(plan, entries, monday2))
    assert [(s.key, s.slots) for s in lines] == [
        ("plan_today", {"planned": "daily stretching, aerobic bouts"}),
        ("plan_done_today", {"done": "daily stretching"}),
        ("plan_next", {"title": "aerobic bouts"})]


def test_a_week_without_aerobic_days(journal: FakeDays, tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, NO_AEROBIC))
    assert plan.kinds() == ["stretching", "resistance"]
    for d in days(MONDAY, 7):
        journal.session(d, "stretching")
    journal.session(MONDAY, "resistance", hour=15)
    journal.session(MONDAY + timedelta(days=1), "aerobic", hour=15)  # done, though not planned
    entries = journal.entries()
    week = {w.kind: (w.done_days, w.planned_days) for w in week_status(plan, entries, MONDAY + timedelta(days=6))}
    assert week == {"stretching": (7, 7), "resistance": (1, 3), "aerobic": (1, 0)}
    tuesday = today_status(plan, entries, MONDAY + timedelta(days=1))
    assert [p.kind for p in tuesday.planned] == ["stretching"] and tuesday.next is None
    assert [s.key for s in today_lines(tuesday)] == ["plan_today", "plan_done_today", "plan_all_done"]


def test_a_session_with_nothing_done_does_not_count(journal: FakeDays) -> None:
    journal.session(MONDAY, "stretching", done=0)
    status = today_status(load_plan(), journal.entries(), MONDAY)
    assert status.done == (False, False) and status.next is not None and status.next.program == "stretching"


def test_a_rest_day(tmp_path: Path) -> None:
    raw = _edit(sunday=[])
    plan = load_plan(write_plan(tmp_path, raw))
    assert [s.key for s in today_lines(today_status(plan, [], MONDAY + timedelta(days=6)))] == ["plan_rest_day"]


# ----- the next-day question --------------------------------------------------------------------------------
def test_next_day_question_is_asked_once_and_only_after_an_exercise_day(journal: FakeDays) -> None:
    mon, tue, wed, thu, fri, sat, sun = days(MONDAY, 7)
    journal.session(mon, "stretching")
    journal.checkin(tue)  # the check-in was stopped before the question was answered: ask again
    assert asks_daily(journal.entries(), tue)
    journal.checkin(tue, daily="no")
    assert not asks_daily(journal.entries(), tue), "answered today: not again"
    journal.session(tue, "resistance", hour=11)
    assert not asks_daily(journal.entries(), tue)
    assert asks_daily(journal.entries(), wed), "Tuesday was an exercise day"
    journal.session(wed, "aerobic", done=0)  # started, nothing done: not an exercise day
    journal.checkin(wed, daily="yes")
    assert not asks_daily(journal.entries(), thu)
    journal.checkin(thu)
    assert not asks_daily(journal.entries(), fri), "a check-in alone is not exercise"
    journal.session(sat, "stretching")
    assert not asks_daily(journal.entries(), sat), "the same day is not the next day"
    assert asks_daily(journal.entries(), sun)
    assert not asks_daily(journal.entries(), sun + timedelta(days=1)), "two days after: no"


def test_the_coach_is_told_to_ask_it_in_sessions_and_check_ins(journal: FakeDays) -> None:
    journal.session(MONDAY, "resistance")
    tue = MONDAY + timedelta(days=1)
    for checkin in (True, False):
        start = prepare_start(None if checkin else "stretching", journal.entries(), checkin=checkin, today=tue)
        assert start.settings.ask_daily and start.opening.notes["daily_question_due"]
    assert not prepare_start("stretching", journal.entries(), today=MONDAY).settings.ask_daily


# ----- choosing the session ------------------------------------------------------------------------------------
def test_no_program_means_the_next_session_of_today(journal: FakeDays) -> None:
    tue = MONDAY + timedelta(days=1)
    start = prepare_start(None, journal.entries(), today=tue)
    assert start.program is not None and start.program.name == "stretching"
    assert [s.key for s in start.opening.announce] == ["plan_today"]
    assert start.opening.notes["planned"] == "tuesday"
    journal.session(tue, "stretching")
    start = prepare_start(None, journal.entries(), today=tue)
    assert start.program is not None and start.program.name == "resistance"
    journal.session(tue, "resistance", hour=15)
    start = prepare_start(None, journal.entries(), today=tue)
    assert start.program is None and [s.key for s in start.nothing_left][-1] == "plan_all_done"


def test_a_broken_plan_stops_only_what_needs_it(private_home: Path) -> None:
    write_plan(private_home / "config" / "plans", _limit(resistance_sets=3))
    with pytest.raises(ProgramError, match="limits.resistance_sets"):
        prepare_start(None, [], today=MONDAY)
    start = prepare_start("stretching", [], today=MONDAY)
    assert start.program is not None and [s.key for s in start.opening.today] == ["plan_unavailable"]


# ----- the commands -------------------------------------------------------------------------------------------
QUICK = {"name": "quick", "kind": "aerobic", "title": "quick bout", "rest_seconds": 10,
         "exercises": [{"name": "Stepping", "description": "Step in place.", "minutes": 1}]}


@pytest.fixture
def quick_plan(private_home: Path) -> Path:
    """Every day: one quick one-minute bout (so the day of the week does not matter)."""
    write_plan(private_home / "config" / "programs", QUICK, "quick.yaml")
    write_plan(private_home / "config" / "plans", {"name": "quick", "week": {d: ["quick"] for d in BUNDLED["week"]}})
    return private_home


def test_session_without_a_program_runs_todays_plan_then_says_all_is_done(quick_plan: Path, tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    script = tmp_path / "replies.txt"
    script.write_text("what's today\ntwo\nno\nready\nthree\nyes\n")
    done = cli("session", "--input", str(script), "--db", str(db))
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0] == "coach: Hello. Your quick bout today: 1 exercise."
    assert out[1] == "coach: Planned for today: quick bout."
    asked = out.index("coach: Planned for today: quick bout.", 2)  # "what's today?" answered by voice
    assert out[asked + 1] == "coach: Next is quick bout."
    assert "completed" in done.stderr
    again = cli("session", "--input", str(script), "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["coach: Planned for today: quick bout.", "coach: Done today: quick bout.",
                                         "coach: Everything planned for today is done. Well done."]
    shown = cli("plan", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "Everything planned for today is done." in shown.stdout
    assert "This week, quick bout: 1 of 7 planned days done." in shown.stdout
    today_col = date.today().weekday()
    row = next(line for line in shown.stdout.splitlines() if line.startswith("quick bout  "))
    assert row[24:].split()[0] == "x" and len(row[24:].split()) == 7 - today_col


def test_plan_for_a_date_and_the_journal(tmp_path: Path) -> None:
    j = FakeDays(tmp_path / "j.sqlite3")
    for d in days(MONDAY, 3):
        j.session(d, "stretching")
    j.session(MONDAY, "aerobic", hour=15)
    j.close()
    done = cli("plan", "--db", str(j.path), "--date", "2026-03-04")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:3] == ["Planned for today: daily stretching, aerobic bouts.", "Done today: daily stretching.",
                         "Next is aerobic bouts."]
    assert "This week, aerobic bouts: 1 of 3 planned days done." in lines
    assert "daily stretching         x   x   x   o   o   o   o " in lines
    assert "aerobic bouts            x   .   o   .   o   .   . " in lines
    assert "light resistance         .   -   .   o   .   o   . " in lines
    bad = cli("plan", "--date", "next week")
    assert bad.returncode == 2 and bad.stderr.strip() == "voice-coach: --date 'next week': use a date like 2026-03-02"


def test_checkin_asks_the_next_day_question_after_an_exercise_day(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    j = FakeDays(db)
    j.session(date.today() - timedelta(days=1), "stretching")
    j.close()
    first = cli("checkin", "--db", str(db), stdin="four\nno\nno\nno\n")
    second = cli("checkin", "--db", str(db), stdin="four\nno\nno\n")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "keep you from your daily activities" in first.stdout
    assert "keep you from your daily activities" not in second.stdout
    journal = SqliteJournal(db, readonly=True)
    answers = [e.data for e in journal.entries() if e.kind == "checkin_answer" and e.data["question"] ==
               "daily_activities"]
    starts = [e.data for e in journal.entries() if e.kind == "session_started" and e.data["kind"] == "checkin"]
    journal.close()
    assert answers == [{"question": "daily_activities", "answer": "no"}]
    assert [s.get("daily_question_due") for s in starts] == [True, None]
    assert json.dumps(starts)  # plain data


@pytest.mark.skipif(importlib.util.find_spec("voice_coach.speech.wiring") is None,
                    reason="speech output is not wired yet (voice_coach.speech.wiring)")
def test_plan_is_also_spoken(tmp_path: Path) -> None:
    out = tmp_path / "wavs"
    done = cli("plan", "--date", "2026-03-04", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "Planned for today: daily stretching, aerobic bouts." in done.stdout
    assert len(list(out.glob("*.wav"))) >= 5, "one WAV per spoken line: today (2 lines) and the week (3)"


def test_the_reports_can_measure_against_the_plan(tmp_path: Path) -> None:
    from voice_coach.report.adherence import report_plan

    rules = {r.kind: r for r in report_plan(load_plan()).rules}
    assert (rules["stretching"].min_days_per_week, rules["stretching"].daily, rules["stretching"].max_per_day) == (
        7, True, 2)
    assert (rules["resistance"].min_days_per_week, rules["resistance"].max_days_per_week,
            rules["resistance"].not_on_days_with) == (3, 5, ("aerobic",))
    assert rules["aerobic"].min_days_per_week == 3 and rules["aerobic"].plan_text == "on Monday, Wednesday, Friday"
    assert [r.kind for r in report_plan(load_plan(write_plan(tmp_path, NO_AEROBIC))).rules] == [
        "stretching", "resistance"]
