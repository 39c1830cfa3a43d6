"""Gentle progression: each rule fires and does not fire on boundary data (real journals, fake dates); a lighter
program takes effect only when accepted (voice or caregiver); no path ever raises the load (hypothesis)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.journals import MONDAY, FakeDays, at
from voice_coach.coach.intents import SYMPTOM_KINDS
from voice_coach.coach.programs import Exercise, Program, Tempo, load_program
from voice_coach.errors import ProgramError
from voice_coach.journal.journal import Entry, SqliteJournal
from voice_coach.plan.override import apply_accepted, override_path, write_override
from voice_coach.plan.progression import Change, Proposal, apply, lighten, offer_for, propose
from voice_coach.plan.rules import RULES_DIR, load_rules
from voice_coach.session.start import prepare_start

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()
RAW_RULES = yaml.safe_load((RULES_DIR / "progression.yaml").read_text())
RESISTANCE, AEROBIC, STRETCHING = (load_program(n) for n in ("resistance", "aerobic", "stretching"))
DAY = MONDAY + timedelta(days=20)
"""The day proposals are asked for, three weeks into the fake journal."""


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voice_coach.cli.main", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=dict(os.environ))


@pytest.fixture
def journal(tmp_path: Path) -> FakeDays:
    j = FakeDays(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def hard_sessions(j: FakeDays, ratings: list[tuple[int, ...]], program: str = "resistance",
                  last_day: date = DAY) -> list[int]:
    """Sessions of `program` on the days before `last_day`, one a day, oldest first; the rating entry ids."""
    ids = []
    for n, values in enumerate(ratings):
        day = last_day - timedelta(days=len(ratings) - 1 - n)
        got = j.session(day, program, ratings=values)
        ids += got[-1 - len(values):-1]
    return ids


# ----- the rule file -------------------------------------------------------------------------------------------
def test_bundled_rules_name_their_reasons() -> None:
    assert [r.id for r in RULES.rules] == ["hard_efforts", "symptoms_reported", "daily_activities_affected"]
    assert all("ACSM" in r.reason for r in RULES.rules)
    assert RULES.changes.reps_step == 2 and RULES.changes.min_bout_minutes == 2


def _rules(**edits: object) -> dict:
    raw = yaml.safe_load(yaml.safe_dump(RAW_RULES))
    for dotted, value in edits.items():
        target = raw
        *parents, last = dotted.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value
    return raw


@pytest.mark.parametrize("raw, message", [
    (_rules(changes__reps_step=-2), r"changes.reps_step: must be between 1 and 4 \(got -2\); a rule only ever lowers"),
    (_rules(changes__bout_step_minutes=0), r"changes.bout_step_minutes: must be between 1 and 5"),
    (_rules(changes__lighter_weight=""), r"changes.lighter_weight: must be non-empty text"),
    (_rules(rules__0__when="mood"), r"rules\[0\].when: must be one of effort_trend, symptoms, daily_activities"),
    (_rules(rules__0__lower=["sets"]), r"rules\[0\].lower: must list some of reps, weight, minutes"),
    (_rules(rules__0__threshold=11), r"rules\[0\].threshold: must be between 1 and 10"),
    (_rules(rules__0__sessions="three"), r"rules\[0\].sessions: must be a whole number"),
    (_rules(rules__1__symptoms=["sneezing"]), r"rules\[1\].symptoms: must list some of cramp"),
    (_rules(rules__2__within_days=0), r"rules\[2\].within_days: must be between 1 and 60"),
    (_rules(rules__2__id="hard_efforts"), r"rules\[2\].id: 'hard_efforts' is used twice"),
    (_rules(rules__1__reason=None), r"rules\[1\].reason: must be non-empty text"),
    ({"rules": []}, r"must be a mapping with changes and a non-empty list of rules"),
])
def test_bad_rule_file_is_one_error_naming_file_and_field(tmp_path: Path, raw: dict, message: str) -> None:
    path = tmp_path / "progression.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ProgramError, match=rf"^{path}: {message}"):
        load_rules(path)


def test_a_clinicians_rule_file_replaces_the_bundled_one(private_home: Path) -> None:
    own = private_home / "config" / "rules"
    own.mkdir(parents=True)
    (own / "progression.yaml").write_text(yaml.safe_dump(_rules(rules__0__threshold=6)))
    assert load_rules().rules[0].threshold == 6
    (own / "progression.yaml").write_text("rules: [\n")
    done = cli("session", "--program", "resistance", stdin="stop\n")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"voice-coach: {own / 'progression.yaml'}: cannot read rule file "
                                                "(ParserError); fix or restore it"]


# ----- each rule: firing and not firing on the boundary ------------------------------------------------------------
def test_hard_efforts_fire_at_the_threshold_over_three_sessions(journal: FakeDays) -> None:
    ids = hard_sessions(journal, [(5, 5), (4, 6), (5,)])  # each session's average is exactly 5
    found = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert found is not None
    proposal, new = found
    assert new and proposal.rule == "hard_efforts" and proposal.triggers == tuple(ids)
    assert [(c.exercise, c.field, c.was, c.to) for c in proposal.changes] == [
        ("Seated shoulder press", "reps", 10, 8), ("Biceps curl", "reps", 10, 8),
        ("Seated knee extension", "reps", 10, 8), ("Seated marching", "reps", 10, 8)]


@pytest.mark.parametrize("ratings, why", [
    ([(5, 5), (4, 5), (5,)], "one session averaged 4.5, below 5"),
    ([(6,), (6,)], "only two sessions"),
    ([(7,), (7,), (7,), (3,)], "the latest session was easy"),
])
def test_hard_efforts_do_not_fire_below_the_boundary(journal: FakeDays, ratings: list, why: str) -> None:
    hard_sessions(journal, ratings)
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is None, why


def test_hard_efforts_only_count_the_last_sessions_and_days(journal: FakeDays) -> None:
    hard_sessions(journal, [(2,), (6,), (6,), (6,)])  # an easy one, then three hard ones: fires
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is not None
    assert propose(AEROBIC, journal.entries(), RULES, DAY) is None, "ratings of another program do not count"
    assert propose(STRETCHING, journal.entries(), RULES, DAY) is None, "stretching has no load to lower"


@pytest.mark.parametrize("age_days, fires", [(13, True), (14, False)])
def test_hard_efforts_within_fourteen_days(journal: FakeDays, age_days: int, fires: bool) -> None:
    journal.session(DAY - timedelta(days=age_days), "resistance", ratings=(6,))
    hard_sessions(journal, [(6,), (6,)])
    assert (propose(RESISTANCE, journal.entries(), RULES, DAY) is not None) is fires


@pytest.mark.parametrize("age_days, fires", [(0, True), (6, True), (7, False)])
def test_symptoms_within_seven_days(journal: FakeDays, age_days: int, fires: bool) -> None:
    ids = journal.session(DAY - timedelta(days=age_days), "stretching", symptoms=("cramp",))
    found = propose(AEROBIC, journal.entries(), RULES, DAY)
    assert (found is not None) is fires
    if found:
        proposal = found[0]
        assert proposal.rule == "symptoms_reported" and proposal.triggers == (ids[-2],)
        assert proposal.symptom == "cramp"
        assert {(c.field, c.was, c.to) for c in proposal.changes} == {("minutes", 10, 8)}


def test_symptoms_count_check_ins_and_caregivers_but_only_the_listed_kinds(journal: FakeDays,
                                                                          tmp_path: Path) -> None:
    journal.checkin(DAY, symptoms=("fasciculation",))
    journal.add(DAY, "symptom", {"kind": "pain"})
    found = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert found is not None and found[0].symptom == "pain" and len(found[0].triggers) == 2
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(_rules(rules__1__symptoms=["cramp"])))
    assert propose(RESISTANCE, journal.entries(), load_rules(path), DAY) is None


@pytest.mark.parametrize("answer, fires", [("yes", True), ("no", False)])
def test_daily_activities_yes(journal: FakeDays, answer: str, fires: bool) -> None:
    ids = journal.checkin(DAY - timedelta(days=1), daily=answer)
    found = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert (found is not None) is fires
    if found:
        assert found[0].rule == "daily_activities_affected" and found[0].triggers == (ids[-2],)


def test_after_a_decision_only_newer_reports_count(journal: FakeDays) -> None:
    hard_sessions(journal, [(6,), (6,), (6,)], last_day=DAY - timedelta(days=1))
    found = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert found is not None
    journal.add(DAY, "proposal_made", found[0].data(), session="s-offer", source="coach")
    again = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert again == (found[0], False), "made but not answered: offered again, the same proposal"
    journal.add(DAY, "proposal_declined", {"proposal": found[0].id, "program": "resistance"})
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is None, "declined: not proposed again from the same"
    hard_sessions(journal, [(6,), (6,)], last_day=DAY)
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is None, "two new hard sessions are not three"
    journal.session(DAY, "resistance", ratings=(7,), hour=18)
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is not None


@pytest.mark.parametrize("report", ["cramp", "daily"])
def test_declined_for_one_program_no_program_is_proposed_lighter_for_the_same_report(journal: FakeDays,
                                                                                     report: str) -> None:
    """Issue 20 item 5: after a lighter resistance program was declined "from the same cramp", the aerobic session
    is not proposed lighter from it either; a new report counts again, for every program."""
    def report_it(day: date, hour: int) -> None:
        if report == "cramp":
            journal.session(day, "stretching", symptoms=("cramp",), hour=hour)
        else:
            journal.checkin(day, daily="yes", hour=hour)

    report_it(DAY - timedelta(days=1), 9)
    found = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert found is not None and propose(AEROBIC, journal.entries(), RULES, DAY) is not None
    journal.add(DAY, "proposal_made", found[0].data(), session="s-offer", source="coach")
    journal.add(DAY, "proposal_declined", {"proposal": found[0].id, "program": "resistance", "rule": found[0].rule})
    assert propose(AEROBIC, journal.entries(), RULES, DAY) is None, "the same report, another program"
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is None
    report_it(DAY, 18)
    assert propose(AEROBIC, journal.entries(), RULES, DAY) is not None, "something new happened"
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is not None


def test_a_decline_for_hard_ratings_of_one_program_leaves_the_others(journal: FakeDays) -> None:
    hard_sessions(journal, [(6,), (6,), (6,)], last_day=DAY - timedelta(days=1))
    hard_sessions(journal, [(7,), (7,), (7,)], program="aerobic", last_day=DAY - timedelta(days=1))
    found = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert found is not None
    journal.add(DAY, "proposal_declined", {"proposal": found[0].id, "program": "resistance", "rule": found[0].rule})
    assert propose(RESISTANCE, journal.entries(), RULES, DAY) is None
    assert propose(AEROBIC, journal.entries(), RULES, DAY) is not None, "aerobic's own hard ratings"


# ----- how much lighter ------------------------------------------------------------------------------------------
def _resistance(*exercises: tuple[int, int, str]) -> Program:
    tempo = Tempo(2, 2, "up", "down")
    return replace(RESISTANCE, exercises=tuple(Exercise(f"ex{i}", "d", reps=r, min_reps=m, weight=w, tempo=tempo)
                                               for i, (r, m, w) in enumerate(exercises)))


def test_reps_never_go_below_the_floor_and_then_the_weight_goes() -> None:
    p = _resistance((12, 8, "2 lb"), (9, 8, "2 lb"), (8, 8, "2 lb"), (8, 8, "no weight"), (10, 10, "body weight"),
                    (12, 5, "1 lb"))
    changes = lighten(p, RULES.changes, ["reps", "weight"])
    assert [(c.exercise, c.field, c.to) for c in changes] == [
        ("ex0", "reps", 10), ("ex1", "reps", 8), ("ex2", "weight", "a lighter weight than before, or no weight"),
        ("ex5", "reps", 10)]
    lighter, applied = apply(p, changes)
    assert applied == changes
    assert lighten(lighter, RULES.changes, ["weight"])[0].exercise == "ex0", "a lighter weight is not lowered again"
    assert all(c.exercise != "ex2" for c in lighten(lighter, RULES.changes, ["weight"]))


def test_bouts_get_shorter_but_not_below_the_shortest() -> None:
    p = replace(AEROBIC, exercises=(replace(AEROBIC.exercises[0], minutes=10), replace(AEROBIC.exercises[1], minutes=3),
                                    replace(AEROBIC.exercises[2], minutes=2)))
    assert [(c.index, c.was, c.to) for c in lighten(p, RULES.changes, ["minutes"])] == [(0, 10, 8), (1, 3, 2)]


def test_a_stale_change_is_not_applied() -> None:
    change = Change(0, "Seated shoulder press", "reps", 12, 10)  # made when the program had 12
    assert apply(RESISTANCE, [change]) == (RESISTANCE, ())


# ----- no path raises the load --------------------------------------------------------------------------------
@st.composite
def programs(draw: st.DrawFn) -> Program:
    if draw(st.booleans()):
        n = draw(st.integers(6, 8))
        exercises = []
        for i in range(n):
            reps = draw(st.integers(8, 12))
            weight = draw(st.sampled_from(["1 lb", "no weight", "body weight", "a small bottle"]))
            exercises.append(Exercise(f"r{i}", "d", reps=reps, min_reps=draw(st.integers(1, reps)), weight=weight,
                                      tempo=Tempo(2, 2, "up", "down")))
        return replace(RESISTANCE, exercises=tuple(exercises))
    minutes = draw(st.lists(st.integers(1, 10), min_size=1, max_size=3))
    return replace(AEROBIC, exercises=tuple(Exercise(f"a{i}", "d", minutes=float(m)) for i, m in enumerate(minutes)))


@st.composite
def journals(draw: st.DrawFn, program: str) -> list[Entry]:
    """Random sessions, check-ins, caregiver entries and decisions over four weeks, as the journal holds them."""
    entries: list[Entry] = []

    def add(sid: str, kind: str, day: int, data: dict) -> None:
        entries.append(Entry(len(entries) + 1, sid, len(entries), at(DAY - timedelta(days=day)), kind, "voice",
                             None, None, data))

    for n in range(draw(st.integers(0, 12))):
        sid, day = f"s{n}", draw(st.integers(0, 27))
        what = draw(st.sampled_from([program, "stretching", "checkin", "caregiver", "decision"]))
        if what == "decision":
            add(sid, draw(st.sampled_from(["proposal_accepted", "proposal_declined"])), day,
                {"proposal": "p-old", "program": program})
            continue
        add(sid, "session_started", day, {"program": what, "kind": what})
        for v in draw(st.lists(st.integers(0, 10), max_size=4)):
            add(sid, "rating", day, {"value": v})
        for k in draw(st.lists(st.sampled_from(SYMPTOM_KINDS), max_size=2)):
            add(sid, "symptom", day, {"kind": k})
        if draw(st.booleans()):
            add(sid, "checkin_answer", day, {"question": "daily_activities", "answer": draw(st.sampled_from(
                ["yes", "no"]))})
    return sorted(entries, key=lambda e: (e.at, e.id))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), program=programs())
def test_no_proposal_ever_raises_reps_weight_or_minutes(data: st.DataObject, program: Program) -> None:
    entries = data.draw(journals(program.name))
    found = propose(program, entries, RULES, DAY)
    if found is None:
        return
    offer = offer_for(program, *found)
    assert offer is not None
    for before, after in zip(program.exercises, offer.program.exercises, strict=True):
        assert after.name == before.name
        assert after.reps <= before.reps and after.minutes <= before.minutes
        assert after.reps >= min(before.reps, max(before.min_reps, 8))
        assert after.weight in (before.weight, RULES.changes.lighter_weight)
    assert offer.program != program, "a proposal always lowers something"


@settings(max_examples=300, deadline=None)
@given(program=programs(), raw=st.lists(st.tuples(st.integers(-1, 8), st.sampled_from(["reps", "minutes", "weight"]),
                                                  st.integers(0, 20), st.integers(0, 20)), max_size=8))
def test_applying_any_change_never_raises_the_load(program: Program, raw: list) -> None:
    """Even a forged or stale proposal in the journal (values going up) cannot make a program heavier."""
    changes = [Change(i, program.exercises[i].name if 0 <= i < len(program.exercises) else "x", f,
                      getattr(program.exercises[i], f) if 0 <= i < len(program.exercises) and w % 2 else w, t)
               for i, f, w, t in raw]
    after, _ = apply(program, changes)
    for b, a in zip(program.exercises, after.exercises, strict=True):
        assert a.reps <= b.reps and a.minutes <= b.minutes


def test_a_heavier_program_is_never_written(private_home: Path) -> None:
    heavier = replace(RESISTANCE, exercises=(replace(RESISTANCE.exercises[0], reps=12), *RESISTANCE.exercises[1:]))
    with pytest.raises(ProgramError, match="the coach never raises the load by itself"):
        write_override(RESISTANCE, heavier, [])
    assert not override_path("resistance").exists()


# ----- accepting: by voice at the start of a session, or by a caregiver ----------------------------------------------
def _hard_week(db: Path) -> None:
    j = FakeDays(db)
    hard_sessions(j, [(6, 5), (6,), (7, 6)], last_day=date.today() - timedelta(days=1))
    j.close()


def _kinds(db: Path) -> list[Entry]:
    j = SqliteJournal(db, readonly=True)
    try:
        return [e for e in j.entries() if e.kind.startswith("proposal_")]
    finally:
        j.close()


def test_after_a_hard_week_a_lighter_program_is_proposed_and_accepted_by_voice(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    _hard_week(db)
    script = tmp_path / "replies.txt"
    script.write_text("yes\nthree\nno\nno\nready\nfour\nstop\n")  # the last no: daily activities
    done = cli("session", "--program", "resistance", "--input", str(script), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "coach: Your recent light resistance sessions were rated hard." in done.stdout
    assert "coach: Seated shoulder press: 8 repetitions instead of 10." in done.stdout
    assert "coach: Exercise 1 of 6: Seated shoulder press." in done.stdout
    assert "One set of 8 repetitions, slowly." in done.stdout
    path = override_path("resistance")
    assert f"program resistance: the lighter program you accepted is saved in {path}" in done.stderr
    made, accepted = _kinds(db)
    assert made.kind == "proposal_made" and made.data["rule"] == "hard_efforts" and len(made.data["triggers"]) == 5
    assert accepted.kind == "proposal_accepted" and accepted.source == "keyboard"
    lighter = load_program("resistance")
    assert lighter.source == path and [e.reps for e in lighter.exercises] == [8, 8, 8, 8, 8, 8]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    saved = yaml.safe_load(path.read_text())
    assert saved["accepted_proposals"][0]["proposal"] == made.data["proposal"]
    again = cli("session", "--program", "resistance", "--input", str(script), "--db", str(db))
    assert "rated hard" not in again.stdout, "the same hard week does not propose again"
    assert "One set of 8" in again.stdout


def test_a_proposal_left_unanswered_is_offered_again_then_declined(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    _hard_week(db)
    first = cli("session", "--program", "resistance", "--db", str(db), stdin="stop\n")
    second = cli("session", "--program", "resistance", "--db", str(db), stdin="no\nstop\n")
    assert "rated hard" in first.stdout and "rated hard" in second.stdout
    assert "All right. Your program stays as it is." in second.stdout
    entries = _kinds(db)
    pid = entries[0].data["proposal"]
    assert [(e.kind, e.data["proposal"]) for e in entries] == [
        ("proposal_made", pid), ("proposal_offered", pid), ("proposal_declined", pid)]
    assert not override_path("resistance").exists()
    assert load_program("resistance").exercises[0].reps == 10


def test_a_caregiver_shows_and_accepts_a_proposal(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    _hard_week(db)
    shown = cli("program", "show", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "resistance (light resistance)" in shown.stdout and "rule hard_efforts" in shown.stdout
    assert "because of: #" in shown.stdout and "effort 6 on" in shown.stdout
    assert "Seated shoulder press: reps 10 -> 8" in shown.stdout
    assert "aerobic (aerobic bouts)" in shown.stdout and "nothing proposed" in shown.stdout
    done = cli("program", "accept", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert f"the lighter program is in {override_path('resistance')}" in done.stdout
    made, accepted = _kinds(db)
    assert (made.session_id, made.source) == ("caregiver", "coach")
    assert (accepted.session_id, accepted.source) == ("caregiver", "caregiver")
    assert load_program("resistance").exercises[0].reps == 8
    none = cli("program", "accept", "resistance", "--db", str(db))
    assert none.returncode == 2 and none.stderr.strip() == ("voice-coach: program resistance: nothing is proposed; "
                                                            "`voice-coach program show` lists proposals and why")


def test_a_caregiver_declines_and_nothing_changes(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite3"
    _hard_week(db)
    done = cli("program", "decline", "resistance", "--db", str(db))
    assert done.returncode == 0 and "declined proposal" in done.stdout
    assert [e.kind for e in _kinds(db)] == ["proposal_made", "proposal_declined"]
    assert not override_path("resistance").exists()
    start = prepare_start("resistance", list(SqliteJournal(db, readonly=True).entries()))
    assert start.opening.offer is None


def test_an_acceptance_not_yet_written_is_written_at_the_next_start(journal: FakeDays) -> None:
    hard_sessions(journal, [(6,), (6,), (6,)])
    proposal = propose(RESISTANCE, journal.entries(), RULES, DAY)
    assert proposal is not None
    journal.add(DAY, "proposal_made", proposal[0].data(), session="s9", source="coach")
    journal.add(DAY, "proposal_accepted", {"proposal": proposal[0].id, "program": "resistance"}, session="s9",
                source="voice")  # ... and the app was killed before it wrote the program
    start = prepare_start("resistance", journal.entries(), today=DAY)
    assert start.program is not None and start.program.exercises[0].reps == 8
    before = override_path("resistance").read_text()
    assert apply_accepted(journal.entries()) == [], "idempotent"
    assert override_path("resistance").read_text() == before
    assert start.opening.offer is None


def test_journal_data_of_a_proposal_round_trips() -> None:
    p = Proposal("p1", "resistance", "hard_efforts", "effort_trend", "why", (1, 2), (Change(0, "x", "reps", 10, 8),))
    assert Proposal.from_data(p.data()) == p
