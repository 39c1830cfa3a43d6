"""Reports from the journal: sessions with their exercises, ratings, symptoms and cautions; check-ins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .journal import Entry

REPORT_VERSION = 1


def _spoken(e: Entry) -> dict[str, Any]:
    return {"transcript": e.transcript, "confidence": e.confidence, "source": e.source, "at": e.at.isoformat()}


def build_report(entries: Iterable[Entry], *, program: str | None = None) -> dict[str, Any]:
    """Group entries by session: the JSON report (`sessions[]` and `checkins[]`), stable and documented."""
    sessions: dict[str, dict[str, Any]] = {}
    for e in entries:
        s = sessions.get(e.session_id)
        if s is None:
            if e.kind != "session_started":
                continue  # caregiver notes and entries of sessions that started before --since
            s = sessions[e.session_id] = {
                "id": e.session_id, "program": e.data.get("program"), "kind": e.data.get("kind"),
                "started_at": e.at.isoformat(), "ended_at": None, "outcome": None, "flags": [],
                "exercises": [], "ratings": [], "symptoms": [], "cautions": [], "answers": [],
                "recognition": {"replies": 0, "unrecognised": 0, "reprompts": 0, "confirmations": 0},
            }
        _apply(s, e)
    out_sessions: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []
    for s in sessions.values():
        if program and s["program"] != program:
            continue
        (checkins if s["kind"] == "checkin" else out_sessions).append(s)
    return {"version": REPORT_VERSION, "sessions": out_sessions, "checkins": checkins}


def _apply(s: dict[str, Any], e: Entry) -> None:
    d, rec = e.data, s["recognition"]
    if e.kind == "session_ended":
        s["ended_at"], s["outcome"] = e.at.isoformat(), d.get("outcome")
        s["flags"] = d.get("flags", [])
    elif e.kind == "exercise_done":
        s["exercises"].append({"name": d["name"], "reps_target": d["reps_target"], "reps_done": d["reps_done"],
                               "rating": None, "skipped": False})
    elif e.kind == "exercise_skipped":
        s["exercises"].append({"name": d["name"], "reps_target": None, "reps_done": 0, "rating": None,
                               "skipped": True})
    elif e.kind == "rating":
        s["ratings"].append({"value": d["value"], "exercise": d.get("exercise"), **_spoken(e)})
        for ex in reversed(s["exercises"]):
            if ex["name"] == d.get("exercise") and ex["rating"] is None:
                ex["rating"] = d["value"]
                break
    elif e.kind == "symptom":
        s["symptoms"].append({"kind": d["kind"], **_spoken(e)})
    elif e.kind == "caution_spoken":
        s["cautions"].append({"key": d["key"], "at": e.at.isoformat()})
    elif e.kind == "checkin_answer":
        s["answers"].append({"question": d["question"], "value": d.get("value", d.get("answer")), **_spoken(e)})
    elif e.kind == "heard":
        rec["replies"] += 1
    elif e.kind == "unrecognised":
        rec["unrecognised"] += 1
    elif e.kind == "reprompt":
        rec["reprompts"] += 1
    elif e.kind == "read_back":
        rec["confirmations"] += 1


def parse_date(text: str) -> datetime:
    """YYYY-MM-DD or an ISO time; naive values are taken as local time."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.astimezone()
