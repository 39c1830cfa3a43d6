"""Reports from the journal: sessions with their exercises, ratings, symptoms and cautions; check-ins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from voice_coach.journal.journal import Entry
from voice_coach.report import labels as words
from voice_coach.report.adherence import WeeklyTargets, adherence, default_plan, local_date
from voice_coach.report.attention import ATTENTION_DAYS, EFFORT_THRESHOLD, attention
from voice_coach.report.listen import LISTEN_KINDS, listening

PROPOSAL_KINDS = ("proposal_made", "proposal_offered", "proposal_accepted", "proposal_declined")
"""Journal entries of lighter-program proposals (voice_coach/progression.py, `voice-coach program`)."""
VOICE_CHECK_KIND = "voice_check"
"""Kind (and session id) of a `voice-coach voice-check` result (voice_coach/voice_check.py)."""
VOICE_CHECK_PASS = 2 / 3
"""A phrase recognised less often than this in a voice check is listed as weak (voice_check.PASS_RATE)."""

REPORT_VERSION = 1
"""Bumped only when a key changes meaning or goes away; new keys keep the version."""

"""The session id of entries a caregiver types with `voice-coach note` and `voice-coach log`."""
CAREGIVER_KINDS = ("note", "rating", "symptom")
"""What a caregiver can type: a note, an effort rating, a symptom."""


def _spoken(e: Entry) -> dict[str, Any]:
    return {"transcript": e.transcript, "confidence": e.confidence, "source": e.source, "at": e.at.isoformat()}


def build_report(entries: Iterable[Entry], *, program: str | None = None, today: date | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 generated_at: datetime | None = None, plan: WeeklyTargets | None = None,
                 effort_threshold: int = EFFORT_THRESHOLD) -> dict[str, Any]:
    """Group entries by session: the JSON report, stable and documented in docs/REPORTS.md.

    `sessions[]` and `checkins[]` as before; added: `replies[]` per session, `caregiver[]` (notes, ratings
    and symptoms typed by a caregiver), `attention[]` (what a caregiver should look at first),
    `adherence` (the weekly plan, day by day) and `period`. `today` is the last day judged for adherence
    (default: the day of the last entry).
    """
    sessions: dict[str, dict[str, Any]] = {}
    caregiver: list[dict[str, Any]] = []
    proposal_entries: list[Entry] = []
    voice_entries: list[Entry] = []
    listen_entries: list[Entry] = []
    last: datetime | None = None
    for e in entries:
        last = e.at if last is None or e.at > last else last
        if e.kind in LISTEN_KINDS:
            listen_entries.append(e)
            continue
        if e.kind in PROPOSAL_KINDS:
            proposal_entries.append(e)
            continue
        if e.kind == VOICE_CHECK_KIND:
            voice_entries.append(e)
            continue
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
    proposals = build_proposals(proposal_entries, program=program)
    return {
        "version": REPORT_VERSION, "sessions": out_sessions, "checkins": checkins,
        "caregiver": caregiver,
        "attention": attention(out_sessions + checkins, caregiver, calendar, since=attention_since, today=today,
                               effort_threshold=effort_threshold, proposals=proposals),
        "adherence": calendar,
        "period": {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
                   "today": today.isoformat(), "attention_since": attention_since.isoformat(),
                   "program": program, "effort_threshold": effort_threshold,
                   "generated_at": generated_at.isoformat(timespec="seconds") if generated_at else None},
        "proposals": proposals, "voice_checks": voice_checks(voice_entries),
        "listening": listening(listen_entries),
    }



def build_proposals(entries: Iterable[Entry], *, program: str | None = None) -> list[dict[str, Any]]:
    """Each lighter program proposed, oldest first: what, why, the changes, and the answer.

    `status` is `accepted`, `declined`, `open` (not answered yet: the coach offers it again), or `superseded`
    (not answered, and a later proposal for the same program was made or answered). A decision whose
    proposal_made entry is before the report's window still shows, with what the decision entry knows.
    """
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        d = e.data
        pid, prog = d.get("proposal"), d.get("program")
        if pid is None or (program and prog != program):
            continue
        p = out.get(pid)
        if p is None:
            p = out[pid] = {
                "id": pid, "program": prog, "rule": d.get("rule"), "when": d.get("when"), "reason": d.get("reason"),
                "symptom": d.get("symptom"), "triggers": list(d.get("triggers", [])), "changes": [],
                "made_at": None, "offered_at": [], "status": "open", "decided_at": None, "decided_by": None,
                "session_id": e.session_id,
            }
        if e.kind == "proposal_made":
            if p["made_at"] is None:
                p.update(made_at=e.at.isoformat(), session_id=e.session_id,
                         **{k: d.get(k, p[k]) for k in ("rule", "when", "reason", "symptom")})
                p["triggers"] = list(d.get("triggers", []))
                p["changes"] = [{"exercise": c.get("exercise"), "field": c.get("field"), "was": c.get("was"),
                                 "to": c.get("to")} for c in d.get("changes", [])]
            else:
                p["offered_at"].append(e.at.isoformat())
        elif e.kind == "proposal_offered":
            p["offered_at"].append(e.at.isoformat())
        elif p["decided_at"] is None:  # accepted or declined: the first answer counts
            p.update(status="accepted" if e.kind == "proposal_accepted" else "declined",
                     decided_at=e.at.isoformat(), decided_by=e.source, rule=p["rule"] or d.get("rule"))
            for other in out.values():  # an answer for the program ends any older unanswered proposal
                if other is not p and other["program"] == prog and other["status"] == "open":
                    other["status"] = "superseded"
        if e.kind == "proposal_made":
            for other in out.values():
                if other is not p and other["program"] == prog and other["status"] == "open":
                    other["status"] = "superseded"
    return list(out.values())


def voice_checks(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """Each voice check, oldest first: `at`, `overall_rate`, `rates` by phrase (voice_check.trend), and the
    `weak` phrases (recognised less than two times in three), `backend` and `input`."""
    from voice_coach.access.voice_check import trend

    entries = list(entries)
    out = []
    for e, row in zip(entries, trend(entries), strict=True):
        weak = sorted(p for p, r in row["rates"].items() if r is not None and r < VOICE_CHECK_PASS - 1e-9)
        out.append({**row, "weak": weak, "backend": e.data.get("backend"), "input": e.data.get("input")})
    return out


def voice_trend(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest voice check against the one before and the first: for the one-line summaries."""
    rated = [r for r in rows if r.get("overall_rate") is not None]
    if not rated:
        return None
    latest = rated[-1]
    previous = rated[-2] if len(rated) > 1 else None
    change = latest["overall_rate"] - rated[0]["overall_rate"] if len(rated) > 1 else None
    direction = None if change is None else ("steady" if abs(change) < 0.05 else "better" if change > 0 else "worse")
    return {"latest": latest, "previous": previous, "first": rated[0], "count": len(rated), "change": change,
            "direction": direction}


def voice_trend_line(rows: list[dict[str, Any]]) -> str | None:
    """"Latest voice check Tue 3 Feb 2026: 80% recognised; 4 checks since Mon 5 Jan 2026: worse (90% then)"."""
    t = voice_trend(rows)
    if t is None:
        return None
    latest = t["latest"]
    line = f"Latest voice check {words.day(latest['at'])}: {latest['overall_rate']:.0%} recognised"
    if latest.get("weak"):
        line += f" (weak: {', '.join(latest['weak'])})"
    if t["change"] is None:
        return line + "; the first check"
    first = t["first"]
    return (line + f"; {t['count']} checks since {words.day(first['at'])}: {t['direction']} "
            f"({first['overall_rate']:.0%} at the first, {t['previous']['overall_rate']:.0%} the time before)")


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
        s["exercises"].append({"name": d["name"], "reps_target": d.get("reps_target"), "reps_done": d.get("reps_done"),
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
        rec["replies"] += e.source == "voice"  # typed and caregiver replies are never "misheard"
        s["replies"].append({"intent": d.get("intent"), "state": d.get("state"), "understood": True, **_spoken(e)})
    elif e.kind == "unrecognised":
        rec["unrecognised"] += e.source == "voice"
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
