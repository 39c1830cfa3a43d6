"""Text from files and the journal made safe for a terminal: no control characters, nothing unbounded."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from typing import Any

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (ESC starts the sequences that clear a screen or move the cursor) and the bidirectional
overrides that make text read backwards; tab and newline are handled apart."""
SHOWN_CHARS = 60
"""A value echoed in an error message is cut to this many characters."""
LINE_CHARS = 500
"""The longest error line printed; beyond it the line is cut (a line must stay readable)."""


def printable(text: str) -> str:
    """`text` with control characters removed (tabs become spaces; newlines are kept for multi-line output)."""
    return _CONTROL.sub("", text.replace("\t", " "))


def scrub(value: Any, depth: int = 0) -> Any:
    """A copy of JSON-like data (a report) with every string made `printable`; past 100 levels a value is
    replaced by "…" (nothing the app makes nests that deep)."""
    if isinstance(value, str):
        return printable(value)
    if depth > 100:
        return "…"
    if isinstance(value, dict):
        return {scrub(k, depth + 1): scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, depth + 1) for v in value)
    return value


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    """`text` printable, on one line, at most `limit` characters (an error line, a name in a listing)."""
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A short description of a value read from a file, for an error message: quoted text cut to `limit`
    characters, a number unless it is huge, and only the size of a list or mapping (which may be nested
    without bound, or refer to itself)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if value.bit_length() <= 64 else "a number too large"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = printable(value)
        return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a value of type {type(value).__name__}"


def warn_on_stderr(line: str) -> None:
    """A warning (the command goes on): one line on stderr, like every other message of the app."""
    print(f"voice-coach: warning: {one_line(line)}", file=sys.stderr)
