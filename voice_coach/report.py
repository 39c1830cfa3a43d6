"""Reports from the journal: sessions with their exercises, ratings, symptoms and cautions; check-ins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from .journal import Entry
from .report_adherence import WeeklyPlan, adherence, default_plan, local_date
from .report_attention import ATTENTION_DAYS, EFFORT_THRESHOLD, attention

REPORT_VERSION = 1
"""Bumped only when a key changes meaning or goes away; new keys keep the version."""

CAREGIVER_SESSION_ID = "caregiver"
"""The session id of entries a caregiver types with `voice-coach note` and `voice-coach log`."""
CAREGIVER_KINDS = ("note", "rating", "symptom")
"""What a caregiver can type: a note, an effort rating, a symptom."""


def _spoken(e: Entry) -> dict[str, Any]:
    return {"transcript": e.transcript, "confidence": e.confidence, "source": e.source, "at": e.at.isoformat()}


def build_report(entries: Iterable[Entry], *, program: str | None = None, today: date | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 generated_at: datetime | None = None, plan: WeeklyPlan | None = None,
                 effort_threshold: int = EFFORT_THRESHOLD) -> dict[str, Any]:
    """Group entries by session: the JSON report, stable and documented in docs/REPORTS.md.

    `sessions[]` and `checkins[]` as before; added: `replies[]` per session, `caregiver[]` (notes, ratings
    and symptoms typed by a caregiver), `attention[]` (what a caregiver should look at first),
    `adherence` (the weekly plan, day by day) and `period`. `today` is the last day judged for adherence
    (default: the day of the last entry).
    """
    sessions: dict[str, dict[str, Any]] = {}
    caregiver: list[dict[str, Any]] = []
    last: datetime | None = None
    for e in entries:
        last = e.at if last is None or e.at > last else last
        s = sessions.get(e.session_id)
        if s is None:
            if e.kind != "session_started":
                if e.source == "caregiver" and e.kind in CAREGIVER_KINDS:
                    caregiver.append(caregiver_item(e))
                continue  # entries of sessions that started before --since
            s = sessions[e.session_id] = {
                "id": e.session_id, "program": e.data.get("program"), "kind": e.data.get("kind"),
                "started_at": e.at.isoformat(), "ended_at": None, "outcome": None, "flags": [],
                "exercises": [], "ratings": [], "symptoms": [], "cautions": [], "answers": [],
                "recognition": {"replies": 0, "unrecognised": 0, "reprompts": 0, "confirmations": 0},
                "replies": [],
            }
        _apply(s, e)
    out_sessions: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []
    for s in sessions.values():
        if program and s["program"] != program:
            continue
        (checkins if s["kind"] == "checkin" else out_sessions).append(s)
    if today is None:
        today = (last or generated_at or datetime.now()).astimezone().date()
    plan = plan or default_plan()
    calendar = adherence(out_sessions, plan, today=today)
    attention_since = local_date(since.isoformat()) if since else today - timedelta(days=ATTENTION_DAYS - 1)
    return {
        "version": REPORT_VERSION, "sessions": out_sessions, "checkins": checkins,
        "caregiver": caregiver,
        "attention": attention(out_sessions + checkins, caregiver, calendar, since=attention_since, today=today,
                               effort_threshold=effort_threshold),
        "adherence": calendar,
        "period": {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                   "today": today.isoformat(), "attention_since": attention_since.isoformat(),
                   "program": program, "effort_threshold": effort_threshold,
                   "generated_at": generated_at.isoformat(timespec="seconds") if generated_at else None},
    }



def caregiver_item(e: Entry) -> dict[str, Any]:
    """A note, rating or symptom a caregiver typed; `at` is when it happened, `logged_at` when typed."""
    d = e.data
    return {"kind": e.kind, "at": e.at.isoformat(), "text": d.get("text"), "value": d.get("value"),
            "symptom": d.get("kind"), "logged_at": d.get("logged_at", e.at.isoformat()), "source": e.source,
            "session_id": e.session_id}


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
        s["replies"].append({"intent": d.get("intent"), "state": d.get("state"), "understood": True, **_spoken(e)})
    elif e.kind == "unrecognised":
        rec["unrecognised"] += 1
        if s["replies"]:
            s["replies"][-1]["understood"] = False  # the reply just heard was not valid here
    elif e.kind == "reprompt":
        rec["reprompts"] += 1
    elif e.kind == "read_back":
        rec["confirmations"] += 1


def with_programs(entries: Iterable[Entry], program: str | None = None) -> Iterator[tuple[Entry, str | None]]:
    """Each entry with the program of its session (None when the session started before the window);
    with `program`, only that program's entries and the caregiver's."""
    programs: dict[str, str | None] = {}
    for e in entries:
        if e.kind == "session_started":
            programs[e.session_id] = e.data.get("program")
        p = programs.get(e.session_id)
        if program and p != program and not (e.source == "caregiver" and e.session_id not in programs):
            continue
        yield e, p


def parse_date(text: str) -> datetime:
    """YYYY-MM-DD or an ISO time; naive values are taken as local time."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.astimezone()
