"""Lighter-program proposals and the voice-check trend in every report, from a real SQLite journal: what was
proposed and why, the changes, who answered; an open proposal needs attention; recognition per check."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.journals import MONDAY, FakeDays, at, run_cli
from voice_coach.access.voice_check import PhraseResult, VoiceCheckResult, record
from voice_coach.plan.progression import Change, Proposal

DOCS = Path(__file__).resolve().parent.parent / "docs" / "REPORTS.md"
UNTIL = ["--until", (MONDAY + timedelta(days=14)).isoformat()]

pytestmark = pytest.mark.usefixtures("utc")


def proposal(pid: str, program: str, rule: str, when: str, reason: str, triggers: tuple[int, ...],
             *changes: Change, symptom: str | None = None) -> dict:
    return Proposal(pid, program, rule, when, reason, triggers, changes, symptom).data()


def voice_check(rates: dict[str, int]) -> VoiceCheckResult:
    """Each phrase said three times, recognised `n` times."""
    results = [PhraseResult(p, p, heard=[p] * n + [None] * (3 - n), recognised=n) for p, n in rates.items()]
    return VoiceCheckResult(results, "mic", "vosk")


def session(j: FakeDays, day, program: str, ratings: tuple[int, ...] = ()) -> tuple[str, list[int]]:
    """A completed session with one exercise done, in the shape the coach writes; its id and entry ids."""
    ids = j.session(day, program, done=0, ratings=ratings)
    sid = next(e.session_id for e in j.entries() if e.id == ids[0])
    ids.append(j.journal.append(sid, "exercise_done", at(day, 10, 5),
                                {"name": "ex0", "index": 0, "reps_target": 10, "reps_done": 10}))
    return sid, ids


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite3"
    j = FakeDays(path)
    for d in range(10):
        session(j, MONDAY + timedelta(days=d), "stretching")
    hard = session(j, MONDAY + timedelta(days=1), "resistance", ratings=(8, 8))[1][1:3]
    hard += session(j, MONDAY + timedelta(days=2), "resistance", ratings=(8, 9))[1][1:3]
    # resistance: made at the start of a session, offered again the next time, accepted by voice
    sid1, _ = session(j, MONDAY + timedelta(days=3), "resistance")
    j.add(MONDAY + timedelta(days=3), "proposal_made",
          proposal("pres1", "resistance", "hard_effort", "effort_trend",
                   "The last sessions felt very hard: a lighter program for a while.", tuple(hard[-4:]),
                   Change(0, "<b>Wall</b> push-up", "reps", 12, 10), Change(1, "Seated row", "weight", "1 kg", "none")),
          session=sid1, source="coach")
    sid2, _ = session(j, MONDAY + timedelta(days=4), "resistance")
    j.add(MONDAY + timedelta(days=4), "proposal_offered", {"proposal": "pres1", "program": "resistance"},
          session=sid2, source="coach")
    j.journal.append(sid2, "proposal_accepted", at(MONDAY + timedelta(days=4), 12, 1),
                     {"proposal": "pres1", "program": "resistance", "rule": "hard_effort"},
                     source="voice", transcript="yes", confidence=0.9)
    # aerobic: proposed and declined by the caregiver on the command line (session "caregiver")
    j.add(MONDAY + timedelta(days=5), "proposal_made",
          proposal("paer1", "aerobic", "cramps", "symptoms", "Cramps were reported: shorter bouts.", (3,),
                   Change(0, "Walk", "minutes", 20.0, 15.0), symptom="cramp"), source="coach")
    j.journal.append("caregiver", "proposal_declined", at(MONDAY + timedelta(days=5), 13),
                     {"proposal": "paer1", "program": "aerobic", "rule": "cramps"}, source="caregiver")
    # aerobic again: offered in a session, not answered
    sid3, _ = session(j, MONDAY + timedelta(days=8), "aerobic")
    j.add(MONDAY + timedelta(days=8), "proposal_made",
          proposal("paer2", "aerobic", "daily", "daily_activities", "Exercise kept them from daily activities.",
                   (5,), Change(0, "Walk", "minutes", 20.0, 15.0)), session=sid3, source="coach")
    # three voice checks, getting worse
    for d, rates in ((0, {"next": 3, "stop": 3}), (6, {"next": 3, "stop": 2}), (9, {"next": 2, "stop": 1})):
        record(j.journal, voice_check(rates), at(MONDAY + timedelta(days=d), 18))
    j.close()
    return path


def report(capsys: pytest.CaptureFixture[str], db: Path, fmt: str, *more: str) -> str:
    code, out, err = run_cli(capsys, "report", "--db", str(db), *UNTIL, "--format", fmt, *more)
    assert code == 0, err
    return out


def test_json_lists_each_proposal_with_its_answer(capsys, db) -> None:
    data = json.loads(report(capsys, db, "json"))
    assert data["version"] == 1
    assert {"sessions", "checkins", "caregiver", "attention", "adherence", "period"} <= set(data)
    by_id = {p["id"]: p for p in data["proposals"]}
    assert list(by_id) == ["pres1", "paer1", "paer2"]  # oldest first
    res = by_id["pres1"]
    assert {"id", "program", "rule", "when", "reason", "symptom", "triggers", "changes", "made_at", "offered_at",
            "status", "decided_at", "decided_by", "session_id"} == set(res)
    assert res["status"] == "accepted" and res["decided_by"] == "voice" and len(res["offered_at"]) == 1
    assert res["changes"][0] == {"exercise": "<b>Wall</b> push-up", "field": "reps", "was": 12, "to": 10}
    assert res["reason"].startswith("The last sessions felt very hard") and len(res["triggers"]) == 4
    assert by_id["paer1"]["status"] == "declined" and by_id["paer1"]["decided_by"] == "caregiver"
    assert by_id["paer1"]["symptom"] == "cramp"
    assert by_id["paer2"]["status"] == "open" and by_id["paer2"]["decided_at"] is None
    # the sessions that carry the proposal entries are unchanged
    assert all(set(s) >= {"exercises", "replies"} for s in data["sessions"])


def test_an_open_proposal_is_a_note_in_needs_attention(capsys, db) -> None:
    items = json.loads(report(capsys, db, "json"))["attention"]
    found = [i for i in items if i["kind"] == "proposal"]
    assert len(found) == 1 and found[0]["severity"] == "info"
    assert "Aerobic" in found[0]["title"] and "not answered" in found[0]["title"]
    assert "Walk: minutes 20 → 15" in found[0]["detail"] and "voice-coach program accept aerobic" in found[0]["detail"]


def test_json_voice_checks_are_the_trend_oldest_first(capsys, db) -> None:
    checks = json.loads(report(capsys, db, "json"))["voice_checks"]
    assert [c["overall_rate"] for c in checks] == [1.0, 0.833, 0.5]
    assert checks[-1]["rates"] == {"next": 0.667, "stop": 0.333} and checks[-1]["weak"] == ["stop"]
    assert checks[0]["at"].startswith(MONDAY.isoformat()) and checks[0]["backend"] == "vosk"


def test_program_filter_keeps_that_programs_proposals(capsys, db) -> None:
    data = json.loads(report(capsys, db, "json", "--program", "resistance"))
    assert [p["id"] for p in data["proposals"]] == ["pres1"]
    assert not [i for i in data["attention"] if i["kind"] == "proposal"]
    assert len(data["voice_checks"]) == 3  # not tied to a program


def test_an_answer_after_since_still_shows_without_the_proposal_entry(capsys, db) -> None:
    since = (MONDAY + timedelta(days=4)).isoformat()
    data = json.loads(report(capsys, db, "json", "--since", since))
    res = next(p for p in data["proposals"] if p["id"] == "pres1")
    assert res["made_at"] is None and res["status"] == "accepted" and res["rule"] == "hard_effort"


def test_a_new_proposal_replaces_an_unanswered_one(tmp_path: Path, capsys) -> None:
    path = tmp_path / "j.sqlite3"
    j = FakeDays(path)
    session(j, MONDAY, "aerobic")
    j.add(MONDAY, "proposal_made", proposal("a", "aerobic", "r", "symptoms", "why", (1,)), source="coach")
    j.add(MONDAY + timedelta(days=1), "proposal_made", proposal("b", "aerobic", "r", "symptoms", "why", (2,)),
          source="coach")
    j.close()
    code, out, _ = run_cli(capsys, "report", "--db", str(path), "--format", "json")
    assert code == 0
    assert [(p["id"], p["status"]) for p in json.loads(out)["proposals"]] == [("a", "superseded"), ("b", "open")]


def test_html_shows_proposals_and_voice_checks_escaped_and_self_contained(capsys, db) -> None:
    page = report(capsys, db, "html")
    section = re.search(r'<section id="proposals".*?</section>', page, re.S)
    assert section is not None
    box = section.group(0)
    assert "Lighter program proposals" in box and "&lt;b&gt;Wall&lt;/b&gt; push-up: reps 12 → 10" in box
    assert "<b>Wall" not in page
    assert "Accepted" in box and "spoken by the person" in box and "Declined" in box and "✎ caregiver" in box
    assert "Not answered yet" in box and "Cramps were reported: shorter bouts." in box
    voice = re.search(r'<section id="voice-checks".*?</section>', page, re.S)
    assert voice is not None
    assert "Latest voice check" in voice.group(0) and "50%" in voice.group(0) and "-33 points" in voice.group(0)
    assert 'class="fill w50"' in voice.group(0)
    assert not re.search(r"https?://", page) and not re.search(r"""\s(src|href)=["'](?!#)""", page)
    assert "<script" not in page
    attention = re.search(r'<section id="attention".*?</section>', page, re.S)
    assert attention is not None and "Lighter program proposed for Aerobic" in attention.group(0)


def test_text_has_a_proposal_table_and_one_voice_check_line(capsys, db) -> None:
    out = report(capsys, db, "text")
    assert "Lighter program proposals" in out and "not answered yet" in out and "declined" in out
    assert "accepted" in out and "✎" in out
    lines = [line for line in out.splitlines() if "voice check" in line.lower()]
    assert len(lines) == 1 and "50% recognised" in lines[0] and "worse" in lines[0] and "100% at the first" in lines[0]
    assert out.index("Needs attention") < out.index("Lighter program proposals")
    assert "Lighter program proposed for Aerobic" in out


def test_voice_checks_alone_still_show_in_an_otherwise_empty_report(capsys, tmp_path) -> None:
    path = tmp_path / "j.sqlite3"
    j = FakeDays(path)
    record(j.journal, voice_check({"next": 3}), at(MONDAY))
    j.close()
    code, out, _ = run_cli(capsys, "report", "--db", str(path), "--format", "text")
    assert code == 0 and "No sessions yet" in out and "100% recognised; the first check" in out
    code, out, _ = run_cli(capsys, "report", "--db", str(path), "--format", "html")
    assert code == 0 and 'id="voice-checks"' in out


def test_new_keys_are_documented() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    assert "| `proposals[]` |" in doc and "| `voice_checks[]` |" in doc
    assert "`proposal`" in doc and "Lighter program proposals" in doc and "Voice checks" in doc
