"""What needs a caregiver's attention first: safety stops, symptoms, hard efforts, missed plan days."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from voice_coach.coach.settings import CoachSettings
from voice_coach.report import labels as words
from voice_coach.report.adherence import local_date

EFFORT_THRESHOLD = CoachSettings().effort_stop_threshold
"""A CR10 rating at or above this needs attention (the same number that ends an exercise)."""
ATTENTION_DAYS = 14
"""Without --since, the attention box looks back this many days (the rest is in the tables)."""
SEVERITY_ORDER = {"urgent": 0, "warning": 1, "info": 2}
RECOGNITION_WORSE = 0.25
"""Share of replies not understood in the last 7 days that is worth a note (with at least 10 replies)."""


def _item(severity: str, kind: str, at: str, title: str, detail: str = "", source: str = "coach",
          session_id: str | None = None) -> dict[str, Any]:
    return {"severity": severity, "kind": kind, "at": at, "title": title, "detail": detail, "source": source,
            "session_id": session_id}


def _quoted(said: Mapping[str, Any]) -> str:
    if said.get("source") == "caregiver":
        return "logged by the caregiver"
    text = said.get("transcript")
    return f"said “{text}”" if text else f"{words.label(words.SOURCES, said.get('source'))}"


def attention(sessions: Iterable[Mapping[str, Any]], caregiver: Iterable[Mapping[str, Any]],
              calendar: Mapping[str, Any], *, since: date, today: date,
              effort_threshold: int = EFFORT_THRESHOLD,
              proposals: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Items from `since` to `today`: urgent, then warnings, then notes; safety stops first among the urgent;
    newest first within each. An open (unanswered) lighter-program proposal is a note whatever its date."""
    items: list[dict[str, Any]] = []
    recent = [s for s in sessions if since <= local_date(s["started_at"]) <= today]
    for s in recent:
        items += _session_items(s, effort_threshold)
    for c in caregiver:
        if not since <= local_date(c["at"]) <= today:
            continue
        if c["kind"] == "symptom":
            items.append(_item("urgent", "symptom", c["at"], f"Symptom: {words.label(words.SYMPTOMS, c['symptom'])}",
                               f"{words.when(c['at'])}, logged by the caregiver", "caregiver", c["session_id"]))
        elif c["kind"] == "rating" and c["value"] is not None and c["value"] >= effort_threshold:
            items.append(_item("warning", "hard_effort", c["at"], f"Effort {c['value']} of 10",
                               f"{words.when(c['at'])}, logged by the caregiver", "caregiver", c["session_id"]))
    items += _plan_items(calendar, since, today)
    items += _recognition_items(recent, today)
    items += _proposal_items(proposals)
    items.sort(key=lambda i: i["at"], reverse=True)
    items.sort(key=lambda i: (SEVERITY_ORDER[i["severity"]], i["kind"] != "safety_stop"))
    return items


def _session_items(s: Mapping[str, Any], threshold: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    what = words.label(words.KINDS, s.get("kind") if s.get("kind") == "checkin" else s.get("program"))
    place = f"{what}, {words.when(s['started_at'])}"
    answers = {a["question"]: a for a in s.get("answers", [])}
    daily = answers.get("daily_activities")
    fatigue = answers.get("fatigue")
    if s.get("outcome") == "stopped_for_safety":
        reasons = [f"{words.label(words.SYMPTOMS, sy['kind'])} ({_quoted(sy)})" for sy in s.get("symptoms", [])]
        flags = [f for f in s.get("flags", []) if f not in {sy["kind"] for sy in s.get("symptoms", [])}]
        for f in flags:
            if f == "extreme_fatigue" and fatigue is not None:
                reasons.append(f"extreme fatigue (fatigue {fatigue['value']} of 10)")
            elif f != "hard_effort":
                reasons.append(words.label(words.FLAGS, f))
        out.append(_item("urgent", "safety_stop", s.get("ended_at") or s["started_at"],
                         "Stopped for safety: " + (", ".join(reasons) or "see the session"), place,
                         "coach", s["id"]))
    else:
        for sy in s.get("symptoms", []):
            out.append(_item("urgent", "symptom", sy["at"], f"Symptom: {words.label(words.SYMPTOMS, sy['kind'])}",
                             f"{place}: {_quoted(sy)}", sy.get("source") or "voice", s["id"]))
        if daily is not None and daily.get("value") == "yes":
            out.append(_item("urgent", "daily_activities", daily["at"],
                             "Yesterday's exercise kept them from daily activities",
                             f"{place}: {_quoted(daily)}. ACSM: exercise is then no longer appropriate; "
                             "check in with the health care practitioner.", daily.get("source") or "voice", s["id"]))
        if "extreme_fatigue" in s.get("flags", []) and not any(
                sy["kind"] == "extreme_fatigue" for sy in s.get("symptoms", [])):
            value = f" (fatigue {fatigue['value']} of 10)" if fatigue is not None else ""
            out.append(_item("urgent", "extreme_fatigue", fatigue["at"] if fatigue else s["started_at"],
                             f"Extreme fatigue{value}", place, "coach", s["id"]))
    for r in s.get("ratings", []):
        if r["value"] >= threshold:
            exercise = f" — {r['exercise']}" if r.get("exercise") else ""
            out.append(_item("warning", "hard_effort", r["at"], f"Effort {r['value']} of 10{exercise}",
                             f"{place}: {_quoted(r)}", r.get("source") or "voice", s["id"]))
    return out


def _plan_items(calendar: Mapping[str, Any], since: date, today: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    missed = [d for d in calendar.get("missed_days", []) if since <= date.fromisoformat(d) <= today]
    daily = [r for r in calendar.get("plan", {}).get("rules", []) if r.get("daily")]
    if missed and daily:
        shown = ", ".join(words.day(d) for d in reversed(missed[-7:]))
        more = f" and {len(missed) - 7} more" if len(missed) > 7 else ""
        names = " or ".join(r["label"].lower() for r in daily)
        out.append(_item("info", "missed_days", missed[-1],
                         f"No {names} on {len(missed)} day{'s' if len(missed) != 1 else ''}", shown + more))
    for week in calendar.get("weeks", []):
        start = date.fromisoformat(week["start"])
        if start + timedelta(days=6) < since:
            continue
        for r in week["rules"]:
            if r["status"] not in ("short", "at_risk") or r["kind"] in {d["kind"] for d in daily}:
                continue
            so_far = " so far; the plan can no longer be met this week" if r["status"] == "at_risk" else ""
            out.append(_item("info", "plan_short", min(today, start + timedelta(days=6)).isoformat(),
                             f"{r['label']}: {r['days']} of {r['target_min']} days in the week of {words.day(start)}",
                             f"Plan: at least {r['target_min']} days a week{so_far}."))
    return out


def _recognition_items(sessions: list[Mapping[str, Any]], today: date) -> list[dict[str, Any]]:
    """A note when the recognizer has been failing more often lately: speech may be getting harder."""
    def share(first: date, last: date) -> tuple[int, float | None]:
        rec = [s["recognition"] for s in sessions if first <= local_date(s["started_at"]) <= last]
        replies = sum(r["replies"] for r in rec)
        return replies, (sum(r["unrecognised"] for r in rec) / replies if replies else None)

    replies, now = share(today - timedelta(days=6), today)
    _, before = share(today - timedelta(days=13), today - timedelta(days=7))
    if now is None or replies < 10 or now < RECOGNITION_WORSE or (before is not None and now < before + 0.1):
        return []
    was = f" (the week before: {before:.0%})" if before is not None else ""
    return [_item("info", "recognition", today.isoformat(),
                  f"Speech harder to recognise: {now:.0%} of replies not understood in the last 7 days{was}",
                  "Consider longer timeouts, own command words, or the any-sound-is-yes fallback.")]


def _proposal_items(proposals: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A note for each lighter program proposed and not answered yet."""
    out = []
    for p in proposals:
        if p.get("status") != "open":
            continue
        at = max([t for t in [p.get("made_at"), *p.get("offered_at", [])] if t], default=None)
        if at is None:
            continue
        changes = "; ".join(proposal_change(c) for c in p.get("changes", []))
        reason = p.get("reason") or ""
        detail = " ".join(x for x in (reason, f"Proposed: {changes}." if changes else "",
                                      f"Answer with: voice-coach program accept {p['program']} (or decline).")
                          if x)
        out.append(_item("info", "proposal", at,
                         f"Lighter program proposed for {words.label(words.KINDS, p.get('program'))}, not answered yet",
                         detail, "coach", p.get("session_id")))
    return out


def proposal_change(c: Mapping[str, Any]) -> str:
    """"Wall push-up: reps 12 → 10"; minutes rounded."""
    def show(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)
    return f"{c.get('exercise')}: {c.get('field')} {show(c.get('was'))} → {show(c.get('to'))}"
