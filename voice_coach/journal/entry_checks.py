"""What a journal row must hold to be read at all: a damaged row is named and skipped, never a crash or a refusal."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

NUMBER = (int, float)
CHANGE_FIELDS = frozenset({"index", "exercise", "field", "was", "to"})
"""The fields of a `progression.Change` as a proposal_made entry stores it (a test keeps the two in step)."""

REQUIRED: dict[str, dict[str, tuple[type, ...]]] = {
    "exercise_done": {"name": (str,)},
    "exercise_skipped": {"name": (str,)},
    "rating": {"value": NUMBER},
    "symptom": {"kind": (str,)},
    "caution_spoken": {"key": (str,)},
    "checkin_answer": {"question": (str,)},
    "proposal_made": {"proposal": (str,), "program": (str,), "rule": (str,)},
    "proposal_offered": {"proposal": (str,)},
    "proposal_accepted": {"proposal": (str,)},
    "proposal_declined": {"proposal": (str,)},
}
"""Fields the readers (plan, progression, reports) rely on, by entry kind, with the types they may have."""

OPTIONAL: dict[str, tuple[type, ...]] = {
    "program": (str, type(None)), "kind": (str, type(None)), "outcome": (str, type(None)),
    "flags": (list,), "triggers": (list,), "changes": (list,), "phrases": (dict,), "text": (str, type(None)),
}
"""Fields of any kind that, when present, must have one of these types (a string where a list is read...)."""

MAX_DEPTH = 64
"""Deeper JSON than this is damage (the coach writes at most four levels); parsing it could exhaust the stack."""


def parse_row(row: tuple[Any, ...]) -> tuple[tuple[Any, ...], str | None]:
    """(id, session_id, seq, at, kind, source, transcript, confidence, data) → the row with `at` a datetime and
    `data` a dict, and None; or the row as it was and why it cannot be read."""
    row_id, session_id, seq, at_text, kind, source, transcript, confidence, data_text = row
    if not isinstance(session_id, str) or not isinstance(kind, str) or not isinstance(source, str):
        return row, "its session, kind or source is not text"
    if not isinstance(seq, int) or isinstance(seq, bool):
        return row, "its sequence number is not a number"
    if transcript is not None and not isinstance(transcript, str):
        return row, "its transcript is not text"
    if confidence is not None and not isinstance(confidence, NUMBER):
        return row, "its confidence is not a number"
    try:
        at = datetime.fromisoformat(at_text) if isinstance(at_text, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        return row, "its time is not a valid time with a time zone"
    if not isinstance(data_text, str):
        return row, "its data is not JSON text"
    if _too_deep(data_text):
        return row, f"its data is nested more than {MAX_DEPTH} levels deep"
    try:
        data = json.loads(data_text)
    except (ValueError, RecursionError):
        return row, "its data is not valid JSON"
    if not isinstance(data, dict):
        return row, "its data is not a mapping of fields (null or a bare value)"
    why = problem(kind, data)
    if why is not None:
        return row, why
    return (row_id, session_id, seq, at, kind, source, transcript, confidence, data), None


def problem(kind: str, data: dict[str, Any]) -> str | None:
    """Why `data` cannot be a `kind` entry the readers can use; None when it can."""
    for name, types in REQUIRED.get(kind, {}).items():
        value = data.get(name)
        if value is None:
            return f"{kind} without its {name}"
        if not isinstance(value, types) or isinstance(value, bool):
            return f"{kind} whose {name} is not {_kind_of(types)}"
    for name, types in OPTIONAL.items():
        if name in data and not isinstance(data[name], types):
            return f"{kind} whose {name} is not {_kind_of(types)}"
    if kind == "proposal_made":
        for change in data.get("changes", []):
            if not isinstance(change, dict) or set(change) != CHANGE_FIELDS:
                return f"proposal_made with a change that is not {', '.join(sorted(CHANGE_FIELDS))}"
    return None


def _kind_of(types: tuple[type, ...]) -> str:
    names = {str: "text", int: "a number", float: "a number", list: "a list", dict: "a mapping"}
    return " or ".join(dict.fromkeys(names[t] for t in types if t in names))


def _too_deep(text: str) -> bool:
    """More than MAX_DEPTH brackets open at once (counted outside strings, without parsing)."""
    depth, in_string, escaped = 0, False, False
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False
