"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external files)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from voice_coach.report import labels as words
from voice_coach.report.adherence import KIND_ORDER
from voice_coach.report.attention import proposal_change
from voice_coach.report.model import voice_trend_line

KIND_LETTER = {"stretching": "S", "resistance": "R", "aerobic": "A"}
RECENT_SESSIONS = 7
"""Sessions and check-ins listed open; older ones are folded (the week at a glance, details on request)."""
RECENT_WEEKS = 4
"""Weeks of the adherence calendar shown open."""
RECENT_ROWS = 5
"""Symptoms and caregiver entries listed open."""
TRANSCRIPT_SESSIONS = 100
"""Only the newest sessions carry their transcript in the page (a year of them would make it slow and
heavy); every reply is in the CSV and JSON exports."""


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Templates from voice_coach/templates, autoescaped: transcripts and notes are never markup."""
    env = Environment(loader=PackageLoader("voice_coach", "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(day=words.day, when=words.when, clock=words.clock,
                       symptom=lambda k: words.label(words.SYMPTOMS, k),
                       outcome=lambda o: words.label(words.OUTCOMES, o), kind=lambda k: words.label(words.KINDS, k),
                       question=lambda q: words.label(words.QUESTIONS, q),
                       source=lambda s: words.label(words.SOURCES, s), status=lambda s: words.label(words.STATUS, s),
                       percent=lambda x: f"{x:.0%}", rule_status=words.rule_status, change=proposal_change)
    return env


def render_html(report: Mapping[str, Any], *, charts: Callable[[str], str | None] | None = None) -> str:
    """The page; `charts(name)` returns an inline SVG for cr10, symptoms or recognition (None: no chart)."""
    context = page_context(report)
    for name in ("cr10", "symptoms", "recognition"):
        svg = charts(name) if charts is not None else None
        context[f"{name}_chart"] = Markup(svg) if svg else None  # noqa: S704 - matplotlib escapes its text
    return environment().get_template("report.html.j2").render(**context)


def page_context(report: Mapping[str, Any]) -> dict[str, Any]:
    sessions = list(report["sessions"])
    checkins = list(report["checkins"])
    everything = sorted(sessions + checkins, key=lambda s: s["started_at"], reverse=True)
    period = report["period"]
    calendar = report["adherence"]
    weeks = [_week_row(w, calendar["plan"]) for w in calendar["weeks"]]
    symptoms = sorted(
        [{**sy, "where": words.label(words.KINDS, s["program"])} for s in sessions + checkins for sy in s["symptoms"]]
        + [{"kind": c["symptom"], "at": c["at"], "source": "caregiver", "transcript": None, "where": "caregiver log"}
           for c in report["caregiver"] if c["kind"] == "symptom"],
        key=lambda e: e["at"], reverse=True)
    proposals = sorted(report.get("proposals", []), key=lambda p: p["made_at"] or p["decided_at"] or "",
                       reverse=True)
    checks = list(report.get("voice_checks", []))
    return {
        "report": report, "period": period,
        "empty": not everything and not report["caregiver"] and not proposals and not checks,
        "today": date.fromisoformat(period["today"]), "attention": report["attention"],
        "this_week": weeks[-1] if weeks else None, "weeks": list(reversed(weeks)), "plan": calendar["plan"],
        "sessions": [_session_row(s, i < TRANSCRIPT_SESSIONS) for i, s in enumerate(everything)],
        "transcript_sessions": TRANSCRIPT_SESSIONS, "symptoms": symptoms, "recent_sessions": RECENT_SESSIONS,
        "recent_weeks": RECENT_WEEKS, "recent_rows": RECENT_ROWS,
        "caregiver": sorted(report["caregiver"], key=lambda c: c["at"], reverse=True),
        "recognition": _recognition_summary(sessions + checkins),
        "kind_letter": KIND_LETTER, "threshold": period["effort_threshold"],
        "proposals": proposals, "voice_checks": _voice_rows(checks), "voice_line": voice_trend_line(checks),
    }


def _voice_rows(checks: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Newest first, each with its change from the check before (in points)."""
    rows: list[dict[str, Any]] = []
    before: float | None = None
    for c in checks:
        rate = c.get("overall_rate")
        change: int | None = round((rate - before) * 100) if rate is not None and before is not None else None
        rows.append({**c, "change": change, "width": round(100 * rate) if rate is not None else 0})
        before = rate if rate is not None else before
    return list(reversed(rows))


def _week_row(week: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, Any]:
    days = []
    for d in week["days"]:
        marks = [(k, d["counts"][k]) for k in sorted(d["counts"], key=_kind_rank)]
        days.append({**d, "day": date.fromisoformat(d["date"]), "marks": marks})
    return {"start": date.fromisoformat(week["start"]), "days": days, "rules": week["rules"]}


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _session_row(s: Mapping[str, Any], with_transcript: bool) -> dict[str, Any]:
    ratings = [r["value"] for r in s["ratings"]]
    done = [e for e in s["exercises"] if not e["skipped"]]
    rec = s["recognition"]
    return {**s, "done": len(done), "skipped": len(s["exercises"]) - len(done),
            "highest": max(ratings) if ratings else None,
            "not_understood": rec["unrecognised"], "replies_count": rec["replies"],
            "with_transcript": with_transcript}


def _recognition_summary(sessions: list[Mapping[str, Any]]) -> dict[str, Any]:
    replies = sum(s["recognition"]["replies"] for s in sessions)
    missed = sum(s["recognition"]["unrecognised"] for s in sessions)
    return {"replies": replies, "unrecognised": missed, "share": (missed / replies) if replies else None,
            "reprompts": sum(s["recognition"]["reprompts"] for s in sessions),
            "confirmations": sum(s["recognition"]["confirmations"] for s in sessions)}
