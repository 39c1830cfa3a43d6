"""Words reports show a caregiver for the journal's codes: symptoms, outcomes, flags, questions, days."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

SYMPTOMS = {
    "cramp": "cramp",
    "fasciculation": "more twitching (fasciculations)",
    "dizziness": "dizziness",
    "pain": "pain",
    "extreme_fatigue": "extreme fatigue",
    "breathless": "short of breath",
}
OUTCOMES = {
    "completed": "completed",
    "finished_early": "finished early (the person's choice)",
    "stopped_for_safety": "stopped for safety",
    "stopped_by_user": "stopped by the person",
    "abandoned": "not finished",
    "interrupted": "cut off (Ctrl-C, or the program was closed)",
    "input_ended": "cut off (the input closed)",
    None: "in progress or cut off",
}
FLAGS = {
    **SYMPTOMS,
    "daily_activities": "exercise kept them from daily activities",
    "hard_effort": "very hard effort",
    "new_cramps_or_twitching": "new cramps or more twitching",
}
QUESTIONS = {
    "fatigue": "Fatigue today (0–10)",
    "new_cramps": "New cramps?",
    "new_twitching": "New twitching?",
    "new_cramps_or_twitching": "New cramps or twitching?",
    "which_symptom": "Said which (cramp or twitching)?",
    "checked_with_practitioner": "Checked with the practitioner since the last safety stop?",
    "daily_activities": "Did yesterday's exercise keep you from daily activities?",
}
SOURCES = {"voice": "spoken", "keyboard": "typed", "caregiver": "caregiver", "coach": "coach"}
KINDS = {"stretching": "Stretching", "resistance": "Light resistance", "aerobic": "Aerobic", "checkin": "Check-in"}
STATUS = {
    "met": "met", "over": "more than planned", "on_track": "on track", "at_risk": "behind",
    "short": "missed", "partial_week": "partial week",
}


def label(table: Mapping[Any, str], key: object) -> str:
    """The caregiver's word for a code, or the code itself with underscores as spaces."""
    found = table.get(key)
    return found if found is not None else str(key).replace("_", " ")


def local(value: datetime | str) -> datetime:
    """A journal time (UTC, ISO text or datetime) in this computer's time zone: the person's own clock."""
    t = datetime.fromisoformat(value) if isinstance(value, str) else value
    return t.astimezone()


def day(value: date | datetime | str) -> str:
    """Mon 6 Jan 2026; times are taken in local time."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else local(value)
    d = local(value).date() if isinstance(value, datetime) else value
    return f"{d:%a} {d.day} {d:%b %Y}"


def when(value: datetime | str) -> str:
    """Mon 6 Jan 2026 09:05, local time."""
    t = local(value)
    return f"{day(t.date())} {t:%H:%M}"


def clock(value: datetime | str) -> str:
    """09:05:12, local time."""
    return f"{local(value):%H:%M:%S}"


def rule_status(rule: Mapping[str, Any]) -> str:
    """A week's status for one rule: "met", "on track", "2 days missed", ..."""
    missed = rule.get("missed_days", 0)
    if rule["status"] == "short" and missed:
        return f"{missed} day{'s' if missed != 1 else ''} missed"
    return label(STATUS, rule["status"])
