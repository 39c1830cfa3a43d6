"""The terminal report (rich): what needs attention, this week against the plan, the last sessions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from voice_coach.report import labels as words
from voice_coach.report.adherence import KIND_ORDER
from voice_coach.report.attention import proposal_change
from voice_coach.report.listen import listening_line
from voice_coach.report.model import voice_trend_line

LAST_SESSIONS = 10
LAST_CAREGIVER = 10
LAST_PROPOSALS = 5
ANSWERS = {"accepted": "accepted", "declined": "declined", "open": "not answered yet",
           "superseded": "not answered; replaced"}
SEVERITY = {"urgent": ("URGENT", "bold white on red"), "warning": ("CHECK", "bold black on yellow"),
            "info": ("NOTE", "bold white on blue")}
STATUS_STYLE = {"met": "green", "on_track": "cyan", "partial_week": "cyan", "over": "yellow", "at_risk": "red",
                "short": "bold red"}
CAREGIVER_MARK = "✎ caregiver"


def date_range(period: dict[str, Any], sessions: list[dict[str, Any]]) -> str:
    """ "from Mon 2 Mar 2026 to Fri 6 Mar 2026": the first day asked for (or of the first session) to today."""
    first = period.get("since") or (min(s["started_at"] for s in sessions) if sessions else None)
    end = f"to {words.day(period['today'])}"
    return f"from {words.day(first)} {end}" if first else end


def render_text(report: Mapping[str, Any], console: Console) -> None:
    """Print the report to `console` (a terminal, or a file console without colour)."""
    sessions = sorted(report["sessions"] + report["checkins"], key=lambda s: s["started_at"], reverse=True)
    period = report["period"]
    console.print(Text("Exercise report", style="bold"), Text(date_range(period, sessions)
                                                               + (f" · program {period['program']}"
                                                                  if period["program"] else "")))
    for damaged in report.get("damaged", []):
        console.print(Text(f"Damaged journal entry left out: {damaged['text']}", style="yellow"), soft_wrap=True)
    voice_line = voice_trend_line(list(report.get("voice_checks", [])))
    proposals = list(report.get("proposals", []))
    if not sessions and not report["caregiver"] and not proposals:
        if period["since"] or period["until"] or period["program"]:
            console.print("No sessions for these dates or this program.")
        else:
            console.print("No sessions yet. Run `voice-coach session` or `voice-coach checkin`, then report again.")
        if voice_line:
            console.print(Text(voice_line), soft_wrap=True)
        return
    console.print(_attention(report["attention"], period))
    weeks = report["adherence"]["weeks"]
    if weeks:
        console.print(_week(weeks[-1], report["adherence"]["plan"]))
    console.print(_sessions(sessions[:LAST_SESSIONS], len(sessions), period["effort_threshold"]))
    if report["caregiver"]:
        console.print(_caregiver(report["caregiver"]))
    if proposals:
        console.print(_proposals(proposals))
    if voice_line:
        console.print(Text(voice_line), soft_wrap=True)
    listen_line = listening_line(report.get("listening"))
    if listen_line:
        console.print(Text(listen_line), soft_wrap=True)
    console.print(Text("Charts, the calendar and transcripts: voice-coach report --format html -o report.html",
                       style="dim"))


def _attention(items: list[Mapping[str, Any]], period: Mapping[str, Any]) -> RenderableType:
    title = f"Needs attention since {words.day(period['attention_since'])}"
    if not items:
        return Panel(Text("✓ Nothing needs attention: no safety stops, no symptoms, no hard efforts, "
                          "no missed plan days.", style="green"), title=title, border_style="green",
                     title_align="left")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for item in items:
        tag, style = SEVERITY[item["severity"]]
        text = Text(item["title"], style="bold")
        if item["source"] == "caregiver":
            text.append(f"  {CAREGIVER_MARK}", style="magenta")
        if item["detail"]:
            text.append(f"\n{item['detail']}", style="dim")
        grid.add_row(Text(f" {tag} ", style=style), text)
    return Panel(grid, title=title, border_style="red", title_align="left")


def _week(week: Mapping[str, Any], plan: Mapping[str, Any]) -> RenderableType:
    table = Table(title=f"This week against the plan (week of {words.day(week['start'])})", title_justify="left",
                  box=box.SIMPLE_HEAVY)
    table.add_column("Activity")
    table.add_column("Plan (ACSM)")
    table.add_column("Days done", justify="right")
    table.add_column("Status")
    for rule, p in zip(week["rules"], plan["rules"], strict=True):
        done = f"{rule['days']} of {rule['judged_days']}" if p["daily"] else str(rule["days"])
        status = Text(words.rule_status(rule), style=STATUS_STYLE.get(rule["status"], ""))
        if rule["clash_days"]:
            status.append(f" ({len(rule['clash_days'])} on an aerobic day)", style="dim")
        table.add_row(Text(rule["label"]), Text(p["plan_text"]), done, status)
    days = " ".join(_day_mark(d) for d in week["days"])
    table.caption = f"Mon–Sun: {days}   (S stretching, R resistance, A aerobic, ✗ missed, · not yet)"
    table.caption_justify = "left"
    return table


def _day_mark(d: Mapping[str, Any]) -> str:
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    letters = "".join(k[0].upper() for k in sorted(d["counts"], key=lambda k: (rank.get(k, len(rank)), k)))
    if d["status"] == "missed":
        return "✗"
    if d["status"] in ("future", "outside"):
        return "·"
    return letters or "-"


def _sessions(sessions: list[Mapping[str, Any]], total: int, threshold: int) -> RenderableType:
    title = f"Last sessions ({len(sessions)} of {total})" if total > len(sessions) else "Sessions"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAVY)
    for name, justify in (("When", "left"), ("Program", "left"), ("Outcome", "left"), ("Done", "right"),
                          ("Max effort", "right"), ("Symptoms", "left"), ("Misheard", "right")):
        table.add_column(name, justify=justify, no_wrap=name in ("When", "Program"))  # type: ignore[arg-type]
    for s in sessions:
        ratings = [r["value"] for r in s["ratings"]]
        high = max(ratings) if ratings else None
        done = sum(1 for e in s["exercises"] if not e["skipped"])
        rec = s["recognition"]
        table.add_row(
            words.when(s["started_at"]),
            Text(words.label(words.KINDS, s["kind"] if s["kind"] == "checkin" else s["program"])),
            Text(words.label(words.OUTCOMES, s["outcome"]),
                 style="bold red" if s["outcome"] == "stopped_for_safety" else ""),
            "–" if s["kind"] == "checkin" else str(done),
            Text("–" if high is None else str(high),
                 style="bold red" if high is not None and high >= threshold else ""),
            Text(", ".join(words.label(words.SYMPTOMS, sy["kind"]) for sy in s["symptoms"]) or "–"),
            f"{rec['unrecognised']} of {rec['replies']}")
    return table


def _caregiver(entries: list[Mapping[str, Any]]) -> RenderableType:
    table = Table(title=f"Caregiver entries {CAREGIVER_MARK}", title_justify="left", box=box.SIMPLE_HEAVY,
                  title_style="magenta")
    table.add_column("When", no_wrap=True)
    table.add_column("Entry")
    for c in sorted(entries, key=lambda c: c["at"], reverse=True)[:LAST_CAREGIVER]:
        if c["kind"] == "note":
            what = c["text"]
        elif c["kind"] == "rating":
            what = f"effort {c['value']} of 10"
        else:
            what = f"symptom: {words.label(words.SYMPTOMS, c['symptom'])}"
        table.add_row(words.when(c["at"]), Text(str(what)))
    return table


def _proposals(proposals: list[Mapping[str, Any]]) -> RenderableType:
    newest = sorted(proposals, key=lambda p: p["made_at"] or p["decided_at"] or "", reverse=True)[:LAST_PROPOSALS]
    title = "Lighter program proposals" + (f" (last {len(newest)} of {len(proposals)})"
                                           if len(proposals) > len(newest) else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAVY)
    for name in ("Proposed", "Program", "Why and what", "Answer"):
        table.add_column(name, no_wrap=name == "Proposed")
    for p in newest:
        what = Text(str(p["reason"] or p["rule"] or "–"))
        for c in p["changes"]:
            what.append(f"\n{proposal_change(c)}", style="dim")
        answer = Text(ANSWERS.get(p["status"], str(p["status"])),
                      style="bold" if p["status"] == "open" else "")
        if p["decided_at"]:
            who = CAREGIVER_MARK if p["decided_by"] == "caregiver" else words.label(words.SOURCES, p["decided_by"])
            answer.append(f"\n{words.when(p['decided_at'])}, {who}", style="dim")
        table.add_row(words.when(p["made_at"]) if p["made_at"] else "earlier",
                      Text(words.label(words.KINDS, p["program"])), what, answer)
    return table
