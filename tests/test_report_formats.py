"""Every report format from a real SQLite journal of five weeks (routine, then a week with everything a
caregiver must see): JSON keys kept, CSV columns as documented, FHIR structure, text and HTML content."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.journals import read_entries, run_cli
from tests.report_bench import DEMO_ODD_REPLY, make_demo_journal
from voice_coach.journal.journal import SqliteJournal
from voice_coach.report.csv_export import COLUMNS, HEADER
from voice_coach.report.fhir import LOCAL_CODES, LOCAL_SYSTEM
from voice_coach.report.model import build_report

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "REPORTS.md"
UNTIL = ["--until", "2026-02-05"]


pytestmark = pytest.mark.usefixtures("utc")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "journal.sqlite3"
    make_demo_journal(path)
    return path


def report(capsys: pytest.CaptureFixture[str], demo: Path, fmt: str, *more: str) -> str:
    code, out, err = run_cli(capsys, "report", "--db", str(demo), *UNTIL, "--format", fmt, *more)
    assert code == 0, err
    return out


# ----- json ---------------------------------------------------------------------------------------------
def test_json_keeps_every_key_of_the_first_report_and_adds_the_new_ones(capsys, demo) -> None:
    data = json.loads(report(capsys, demo, "json"))
    assert data["version"] == 1
    assert {"sessions", "checkins", "caregiver", "attention", "adherence", "period"} <= set(data)
    s = data["sessions"][0]
    assert {"id", "program", "kind", "started_at", "ended_at", "outcome", "flags", "exercises", "ratings",
            "symptoms", "cautions", "answers", "recognition", "replies"} <= set(s)
    assert {"name", "reps_target", "reps_done", "rating", "skipped"} <= set(s["exercises"][0])
    assert {"value", "exercise", "transcript", "confidence", "source", "at"} <= set(s["ratings"][0])
    assert set(s["recognition"]) == {"replies", "unrecognised", "reprompts", "confirmations"}
    stop = next(x for x in data["sessions"] if x["outcome"] == "stopped_for_safety" and
                x["started_at"].startswith("2026-02-03"))
    assert {"kind", "transcript", "source", "at"} <= set(stop["symptoms"][0]) and stop["symptoms"][0]["kind"] == "cramp"
    assert {"key", "at"} <= set(stop["cautions"][0])
    assert data["checkins"] and all(c["kind"] == "checkin" for c in data["checkins"])


def test_json_replies_mark_what_was_not_understood(capsys, demo) -> None:
    data = json.loads(report(capsys, demo, "json"))
    odd = [r for s in data["sessions"] for r in s["replies"] if r["transcript"] == DEMO_ODD_REPLY]
    assert len(odd) == 1 and odd[0]["understood"] is False and odd[0]["source"] == "voice"


def test_attention_puts_the_safety_stop_first_and_lists_everything_a_caregiver_must_see(capsys, demo) -> None:
    data = json.loads(report(capsys, demo, "json"))
    items = data["attention"]
    kinds = [i["kind"] for i in items]
    assert items[0]["severity"] == "urgent" and items[0]["kind"] == "safety_stop"
    assert [i["severity"] for i in items] == sorted((i["severity"] for i in items),
                                                    key=["urgent", "warning", "info"].index)
    stop = next(i for i in items if i["kind"] == "safety_stop")
    assert "cramp" in stop["title"] and "said “cramp”" in stop["title"]
    assert "daily_activities" in kinds
    carer = [i for i in items if i["source"] == "caregiver"]
    assert {i["kind"] for i in carer} == {"symptom", "hard_effort"}
    assert any("twitching" in i["title"] for i in carer)
    assert any(i["kind"] == "hard_effort" and i["source"] == "voice" for i in items)
    missed = next(i for i in items if i["kind"] == "missed_days")
    assert "Sun 1 Feb 2026" in missed["detail"] and missed["severity"] == "info"
    assert data["period"]["attention_since"] == "2026-01-22" and data["period"]["today"] == "2026-02-04"


def test_program_filter_keeps_caregiver_entries(capsys, demo) -> None:
    data = json.loads(report(capsys, demo, "json", "--program", "aerobic"))
    assert data["sessions"] and {s["program"] for s in data["sessions"]} == {"aerobic"}
    assert data["checkins"] == []
    assert {c["kind"] for c in data["caregiver"]} == {"note", "rating", "symptom"}


def test_build_report_still_takes_just_the_entries(demo) -> None:
    data = build_report(read_entries(demo))
    assert data["sessions"] and data["period"]["today"] == "2026-02-04"


# ----- csv ----------------------------------------------------------------------------------------------
def test_csv_has_the_documented_columns_and_one_row_per_entry(capsys, demo) -> None:
    rows = list(csv.reader(io.StringIO(report(capsys, demo, "csv"))))
    assert tuple(rows[0]) == HEADER
    doc = DOCS.read_text(encoding="utf-8")
    section = doc[doc.index("### csv"):doc.index("### fhir")]
    assert re.findall(r"^\| `(\w+)` \| (.+) \|$", section, re.M) == list(COLUMNS)
    body = rows[1:]
    assert len(body) == len(read_entries(demo))
    assert all(len(r) == len(HEADER) for r in body)
    col = {n: i for i, n in enumerate(HEADER)}
    ids = [int(r[col["id"]]) for r in body]
    assert ids == sorted(ids)
    rating = next(r for r in body if r[col["kind"]] == "rating" and r[col["source"]] == "voice")
    assert rating[col["value"]].isdigit() and rating[col["scale"]] == "CR10" and rating[col["program"]]
    assert json.loads(rating[col["data"]])["value"] == int(rating[col["value"]])


def test_csv_cells_cannot_run_as_spreadsheet_formulas(capsys, demo) -> None:
    body = list(csv.DictReader(io.StringIO(report(capsys, demo, "csv"))))
    odd = [r for r in body if DEMO_ODD_REPLY in r["transcript"]]
    assert odd and all(r["transcript"] == "'" + DEMO_ODD_REPLY for r in odd)
    note = next(r for r in body if r["kind"] == "note" and "slept" in r["note"])
    assert note["note"].startswith("'=1+1") and note["source"] == "caregiver" and note["session_id"] == "caregiver"
    for r in body:
        for name, cell in r.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


def test_csv_file_opens_in_a_spreadsheet_as_utf8(capsys, demo, tmp_path) -> None:
    out = tmp_path / "journal.csv"
    code, _, err = run_cli(capsys, "report", "--db", str(demo), *UNTIL, "-o", str(out))  # format from the name
    assert code == 0 and f"wrote {out}" in err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == HEADER
    assert out.stat().st_mode & 0o777 == 0o600


# ----- fhir ---------------------------------------------------------------------------------------------
def test_fhir_is_a_bundle_of_survey_observations(capsys, demo) -> None:
    bundle = json.loads(report(capsys, demo, "fhir"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", bundle["timestamp"])
    ids = set()
    for entry in bundle["entry"]:
        obs = entry["resource"]
        assert obs["resourceType"] == "Observation" and obs["status"] == "final"
        assert entry["fullUrl"] == f"urn:uuid:{obs['id']}" and re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", obs["id"])
        ids.add(obs["id"])
        assert obs["category"][0]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey",
            "display": "Survey"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", obs["effectiveDateTime"])
        assert obs["code"]["coding"] and all({"system", "code"} <= set(c) for c in obs["code"]["coding"])
        values = [k for k in obs if k.startswith("value")]
        assert len(values) == 1, values
        for coding in obs["code"]["coding"] + obs.get("valueCodeableConcept", {}).get("coding", []):
            if coding["system"] == LOCAL_SYSTEM:
                assert coding["code"] in LOCAL_CODES
        for key, value in obs.items():
            assert value not in ([], {}, "", None), key  # FHIR JSON has no empty values
    assert len(ids) == len(bundle["entry"])
    by_code = {}
    for e in bundle["entry"]:
        by_code.setdefault(e["resource"]["code"]["coding"][0]["code"], []).append(e["resource"])
    assert by_code["cr10-effort"][0]["valueQuantity"]["code"] == "{score}"
    cramp = next(o for o in by_code["75325-1"] if o["valueCodeableConcept"]["coding"][0]["code"] == "55300003")
    assert cramp["code"]["coding"][0]["system"] == "http://loinc.org"
    assert any(o["valueCodeableConcept"]["coding"][0]["code"] == "LA33-6" for o in by_code["daily-activities"])
    carer = [e["resource"] for e in bundle["entry"] if e["resource"]["performer"][0]["display"] == "Caregiver"]
    assert {o["code"]["coding"][0]["code"] for o in carer} == {"caregiver-note", "cr10-effort", "75325-1"}
    assert all("issued" in o for o in carer if o["code"]["coding"][0]["code"] != "caregiver-note")


def test_fhir_bundle_validates_against_the_resource_models(capsys, demo) -> None:
    r4b = pytest.importorskip("fhir.resources.R4B.bundle", reason="fhir.resources is not installed")
    text = report(capsys, demo, "fhir")
    bundle = r4b.Bundle.model_validate_json(text)
    assert bundle.type == "collection" and len(bundle.entry) == len(json.loads(text)["entry"])


def test_fhir_local_codes_are_documented(demo) -> None:
    doc = DOCS.read_text(encoding="utf-8")
    assert LOCAL_SYSTEM in doc
    for code, meaning in LOCAL_CODES.items():
        assert f"| `{code}` | {meaning} |" in doc


# ----- text ---------------------------------------------------------------------------------------------
def test_text_puts_attention_first_then_the_week_then_sessions(capsys, demo) -> None:
    out = report(capsys, demo, "text")
    order = [out.index(s) for s in ("Needs attention", "Stopped for safety", "This week against the plan",
                                    "Last sessions", "Caregiver entries")]
    assert order == sorted(order)
    assert "URGENT" in out and "✎ caregiver" in out and "\x1b[" not in out  # no colour codes in a pipe
    assert "=1+1 <b>slept badly</b>" in out


# ----- html ---------------------------------------------------------------------------------------------
def test_html_is_one_self_contained_escaped_page(capsys, demo) -> None:
    page = report(capsys, demo, "html")
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;slept badly&lt;/b&gt;" in page
    assert not re.search(r"https?://", page.replace(DEMO_ODD_REPLY_ESCAPED, ""))
    assert not re.search(r"""\s(src|href)=["'](?!#)""", page)
    assert "@import" not in page and not re.search(r"url\((?!#)", page)
    assert page.count('<svg role="img"') == 3
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids are unique across the inline charts"
    attention = page.index('id="attention"')
    assert attention < page.index('id="calendar"') < page.index('id="effort"') < page.index('id="sessions"')
    assert "✎ caregiver" in page and "<details>" in page


DEMO_ODD_REPLY_ESCAPED = "=HYPERLINK(&#34;http://example.invalid&#34;,&#34;x&#34;)"


def test_html_is_the_same_for_the_same_journal(capsys, demo) -> None:
    first = report(capsys, demo, "html")
    second = report(capsys, demo, "html")
    strip = re.compile(r"made \w{3} \d+ \w{3} \d{4} \d\d:\d\d")
    assert strip.sub("", first) == strip.sub("", second)


def test_empty_journal_says_no_sessions_yet(capsys, tmp_path) -> None:
    db = tmp_path / "empty.sqlite3"
    SqliteJournal(db).close()
    code, out, _ = run_cli(capsys, "report", "--db", str(db), "--format", "html")
    assert code == 0 and "No sessions yet" in out and 'id="attention"' not in out
    code, out, _ = run_cli(capsys, "report", "--db", str(db), "--format", "text")
    assert code == 0 and "No sessions yet" in out
    code, out, err = run_cli(capsys, "report", "--db", str(db), "--format", "fhir")
    assert code == 0 and json.loads(out) == {"resourceType": "Bundle", "type": "collection",
                                             "timestamp": json.loads(out)["timestamp"]}
    assert "no sessions yet" in err
    code, out, _ = run_cli(capsys, "report", "--db", str(db), "--format", "csv")
    assert code == 0 and out.strip() == ",".join(HEADER)
