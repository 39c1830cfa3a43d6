"""The CSV export: one row per journal entry, documented columns, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from voice_coach.journal.journal import Entry

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Journal entry id (write order)."),
    ("at", "When it happened: ISO 8601 with its UTC offset, as the journal records it."),
    ("date", "The day, YYYY-MM-DD, in this computer's time zone."),
    ("time", "The time of day, HH:MM:SS, in this computer's time zone."),
    ("session_id", "The session or check-in; `caregiver` for entries typed with `note` and `log`."),
    ("seq", "Order within the session."),
    ("program", "Program of the session: stretching, resistance, aerobic, your own, or checkin; "
                "empty for caregiver entries and sessions that began before --since."),
    ("kind", "What the entry records: session_started, heard, rating, symptom, checkin_answer, note, ..."),
    ("source", "Who: voice (spoken), keyboard (typed reply), caregiver (typed by a caregiver), coach."),
    ("transcript", "What was heard or typed as a reply."),
    ("confidence", "Recognizer confidence of the transcript, 0 to 1."),
    ("exercise", "Exercise name (exercise_done, exercise_skipped, rating)."),
    ("reps_target", "Planned repetitions (exercise_done)."),
    ("reps_done", "Repetitions done (exercise_done)."),
    ("question", "Check-in question: fatigue, new_cramps, new_twitching, new_cramps_or_twitching, "
                 "daily_activities."),
    ("value", "The number or answer: effort 0–10 (rating), fatigue 0–10, or yes/no (checkin_answer)."),
    ("scale", "Scale of a rating: CR10 (Borg category-ratio 0–10)."),
    ("symptom", "Symptom kind (symptom, read_back): cramp, fasciculation, dizziness, pain, extreme_fatigue, "
                "breathless."),
    ("caution", "Key of the caution read out (caution_spoken)."),
    ("outcome", "How the session ended (session_ended): completed, finished_early (the person's choice), "
                "stopped_for_safety, stopped_by_user, abandoned, interrupted (Ctrl-C, SIGTERM, SIGHUP), "
                "input_ended (the replies ran out)."),
    ("flags", "Safety flags of the session (session_ended), separated by `;`."),
    ("note", "A caregiver's note."),
    ("data", "Every field of the entry, as JSON."),
)
HEADER = tuple(name for name, _ in COLUMNS)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these would run as a formula in a spreadsheet (CSV injection)."""


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row(e: Entry, program: str | None) -> list[Any]:
    d = e.data
    local = e.at.astimezone()
    value = d.get("value", d.get("answer"))
    flags = d.get("flags")
    cells = {
        "id": e.id, "at": e.at.isoformat(), "date": local.date().isoformat(), "time": local.strftime("%H:%M:%S"),
        "session_id": e.session_id, "seq": e.seq, "program": program, "kind": e.kind, "source": e.source,
        "transcript": e.transcript, "confidence": e.confidence,
        "exercise": d.get("name", d.get("exercise")), "reps_target": d.get("reps_target"),
        "reps_done": d.get("reps_done"), "question": d.get("question"), "value": value, "scale": d.get("scale"),
        "symptom": d.get("kind") if e.kind == "symptom" else d.get("symptom"), "caution": d.get("key"),
        "outcome": d.get("outcome"), "flags": ";".join(flags) if isinstance(flags, list) else flags,
        "note": d.get("text") if e.kind == "note" else None,
        "data": json.dumps(d, ensure_ascii=False, sort_keys=True),
    }
    return [safe_cell("" if cells[name] is None else cells[name]) for name in HEADER]


def render_csv(rows: Iterable[tuple[Entry, str | None]]) -> str:
    """The CSV text (RFC 4180, CRLF line ends); rows as given by `report.with_programs`."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HEADER)
    for e, program in rows:
        writer.writerow(row(e, program))
    return buf.getvalue()
