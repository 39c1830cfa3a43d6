"""Fuzzing every file loader (words, profile, program, plan, rules) and the date and number arguments: whatever
the input, the result is a value or the app's own error (CoachError), never another exception or a hang."""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_coach.access.profile import FIELDS, checked, key_name, load_profile
from voice_coach.access.words import load_aliases
from voice_coach.cli.plan import _day
from voice_coach.cli.report import _interpret, _window
from voice_coach.coach.intents import Heard, Intent, load_phrasebook
from voice_coach.coach.programs import load_program_file
from voice_coach.errors import CoachError
from voice_coach.journal.caregiver import parse_at
from voice_coach.paths import PROGRAMS_DIR
from voice_coach.plan.plan import PLANS_DIR, WEEKDAYS, load_plan
from voice_coach.plan.rules import RULES_DIR, load_rules
from voice_coach.plan.today import today_status, week_status

EXAMPLES = int(os.environ.get("VOICE_COACH_FUZZ_EXAMPLES", "150"))
"""Cases per fuzz test; raise it for a longer run (the figure in the report is from 2000)."""
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TRIED: Counter[str] = Counter()
"""Cases tried per test, printed at the end of the module."""
WORK = Path(tempfile.mkdtemp(prefix="voice-coach-fuzz-"))
BOOK = load_phrasebook()
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    print(f"\nfuzz cases tried: {sum(TRIED.values())} ({', '.join(f'{k} {v}' for k, v in sorted(TRIED.items()))})")


def _outcome(what: str, load: Callable[[], Any]) -> Any:
    """Run one load: a value or a CoachError is fine; anything else fails the test (hypothesis shrinks it)."""
    TRIED[what] += 1
    try:
        return load()
    except CoachError as exc:
        assert "\n" not in exc.message.strip() and "Traceback" not in exc.message
        return exc


def _file(name: str, text: str | bytes) -> Path:
    path = WORK / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return path


# ----- values and texts -------------------------------------------------------------------------------------
hostile_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 7, 8, 10, 11, 12, 13, -1, 2**63, -(2**63) - 1, 10**400]),
    st.floats(), st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, 5e-324]),
    st.text(max_size=30), st.sampled_from(["stop", "cramp", "\x1b[2J", "next", "", " ", "9" * 5000]),
    st.dates())
hostile_value = st.recursive(hostile_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
YAML_CHARS = st.sampled_from(list("abc019 -:[]{},&*!|>'\"#%@`?\n\t.e+") + ["\n  ", "- ", ": ", "&a ", "*a", "<<: "])
yaml_noise = st.lists(YAML_CHARS, max_size=80).map("".join)
TOML_CHARS = st.sampled_from(list("abc019 =[]{},.\"'#\n\t-+_:eE") + ["\n[", "]]", " = ", "0x", "1979-05-27", "inf"])
toml_noise = st.lists(TOML_CHARS, max_size=80).map("".join)


@st.composite
def laughs(draw: st.DrawFn) -> str:
    """Aliases repeated `width` times on `depth` levels, or a chain, or an alias inside its own anchor."""
    shape = draw(st.sampled_from(["wide", "chain", "self"]))
    if shape == "self":
        return "a: &a [1, *a]\n"  # its last key names the anchor a document may use
    depth, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    if shape == "chain":
        return "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, depth * 250))
    return "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]\n" for i in range(1, depth))


@st.composite
def deep(draw: st.DrawFn, toml: bool) -> str:
    n = draw(st.integers(1, 3000))
    if toml:
        return draw(st.sampled_from([f"a = {'[' * n}{']' * n}\n", f"a = {'{b=' * n}1{'}' * n}\n",
                                     "a" + ".a" * n + " = 1\n", "[" + "a." * n + "a]\n"]))
    return draw(st.sampled_from([f"a: {'[' * n}{']' * n}\n", "- " * n + "x\n", f"a: {'{b: ' * n}1{'}' * n}\n"]))


def _mutate(raw: Any, draw: st.DrawFn) -> Any:
    """A valid document with a few fields (found by walking it) replaced by hostile values."""
    for _ in range(draw(st.integers(1, 3))):
        node: Any = raw
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:  # an empty list or mapping: nothing to replace this time
                break
            key = draw(st.sampled_from(keys))
            if not isinstance(node[key], dict | list) or draw(st.booleans()):
                node[key] = draw(hostile_value)
                break
            node = node[key]
    return raw


def _dump(raw: Any) -> str:
    try:
        return yaml.safe_dump(raw, allow_unicode=True)
    except (yaml.YAMLError, ValueError):  # a value YAML cannot write: use its repr as the document
        return repr(raw)


@st.composite
def yaml_document(draw: st.DrawFn, valid: list[Path]) -> str:
    kind = draw(st.sampled_from(["mutated", "noise", "laughs", "deep", "values", "bomb"]))
    if kind == "bomb":  # a valid document with one field made an alias of a "billion laughs" (or of itself)
        raw = yaml.safe_load(draw(st.sampled_from(valid)).read_text(encoding="utf-8"))
        field = draw(st.sampled_from(sorted(raw)))
        bomb = draw(laughs())
        last = bomb.rstrip("\n").rsplit("\n", 1)[-1].split(":")[0]
        return bomb + _dump({k: v for k, v in raw.items() if k != field}) + f"{field}: *{last}\n"
    if kind == "mutated":
        raw = yaml.safe_load(draw(st.sampled_from(valid)).read_text(encoding="utf-8"))
        return _dump(_mutate(raw, draw))
    if kind == "noise":
        return draw(yaml_noise)
    if kind == "laughs":
        return draw(laughs())
    if kind == "deep":
        return draw(deep(toml=False))
    return _dump(draw(hostile_value))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = repr(value) if value == value and abs(value) != float("inf") else ("nan" if value != value else
                                                                                   "inf" if value > 0 else "-inf")
        return text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {_toml_value(v)}' for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text) + '"'


@st.composite
def toml_document(draw: st.DrawFn, keys: list[str], values: st.SearchStrategy[Any]) -> str:
    kind = draw(st.sampled_from(["entries", "entries", "noise", "deep", "big"]))
    if kind == "noise":
        return draw(toml_noise)
    if kind == "deep":
        return draw(deep(toml=True))
    if kind == "big":
        return f"{draw(st.sampled_from(keys))} = {draw(st.sampled_from(['9' * 5000, '9' * 30, '0x' + 'f' * 40]))}\n"
    entries = draw(st.lists(st.tuples(st.one_of(st.sampled_from(keys), st.text(max_size=12)),
                                      st.one_of(values, hostile_value)), max_size=8, unique_by=lambda kv: kv[0]))
    return "".join(f"{_toml_value(k)} = {_toml_value(v)}\n" for k, v in entries)


# ----- the loaders -----------------------------------------------------------------------------------------
PHRASES = sorted(BOOK.phrases)
SAFETY = {p: m for p, m in BOOK.phrases.items() if m[0] in (Intent.STOP, Intent.SYMPTOM)}


@FUZZ
@given(text=toml_document(PHRASES, st.one_of(st.sampled_from(PHRASES), st.text(max_size=12))))
def test_fuzz_words_file(text: str) -> None:
    warnings: list[str] = []
    aliases = _outcome("words", lambda: load_aliases(_file("words.toml", text), BOOK, warn=warnings.append))
    assert all("\n" not in w for w in warnings)
    if isinstance(aliases, dict):  # whatever loaded, stop and every symptom keep their meaning
        for phrase, meaning in SAFETY.items():
            u = BOOK.parse(Heard(phrase), aliases)
            assert u is not None and (u.intent, u.value, u.symptom) == meaning


profile_values = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6), st.sampled_from(
    ["speech", "scanning", "always", "default", "en-us", "both", "-5", "1e999", "50%", "3s", "nan"]))


@FUZZ
@given(text=toml_document(sorted(FIELDS), profile_values))
def test_fuzz_profile_file(text: str) -> None:
    _outcome("profile", lambda: load_profile(_file("profile.toml", text)))


@FUZZ
@given(text=yaml_document(sorted(PROGRAMS_DIR.glob("*.yaml"))))
def test_fuzz_program_file(text: str) -> None:
    _outcome("program", lambda: load_program_file(_file("program.yaml", text)))


program_names = st.one_of(st.sampled_from(["stretching", "resistance", "aerobic", "", "/dev/zero", "../x", "a/b.yaml"]),
                          hostile_scalar)


@st.composite
def plan_document(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(yaml_document([PLANS_DIR / "weekly.yaml"]))
    week = draw(st.dictionaries(st.one_of(st.sampled_from(WEEKDAYS), hostile_scalar),
                                st.one_of(st.lists(program_names, max_size=4), hostile_value), max_size=8))
    limits = draw(st.dictionaries(st.sampled_from(["aerobic_bout_minutes", "aerobic_day_minutes", "resistance_sets",
                                                   "resistance_days_per_week", "stretching_per_day", "other"]),
                                  hostile_scalar, max_size=5))
    return _dump({"name": draw(st.one_of(st.just("mine"), hostile_scalar)), "limits": limits, "week": week})


@FUZZ
@given(text=plan_document())
def test_fuzz_plan_file(text: str) -> None:
    _outcome("plan", lambda: load_plan(_file("plan.yaml", text)))


@FUZZ
@given(text=yaml_document(sorted(RULES_DIR.glob("*.yaml"))))
def test_fuzz_progression_rules_file(text: str) -> None:
    _outcome("rules", lambda: load_rules(_file("rules.yaml", text)))


@FUZZ
@given(data=st.binary(max_size=200), loader=st.sampled_from(["words", "profile", "program", "plan", "rules"]))
def test_fuzz_any_loader_with_bytes(data: bytes, loader: str) -> None:
    path = _file(f"bytes.{'toml' if loader in ('words', 'profile') else 'yaml'}", data)
    load: dict[str, Callable[[], Any]] = {
        "words": lambda: load_aliases(path, BOOK, warn=lambda _: None), "profile": lambda: load_profile(path),
        "program": lambda: load_program_file(path), "plan": lambda: load_plan(path), "rules": lambda: load_rules(path)}
    _outcome(f"{loader} bytes", load[loader])


# ----- the arguments ---------------------------------------------------------------------------------------
offsets = st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
date_texts = st.one_of(
    st.dates().map(date.isoformat),
    st.datetimes().map(lambda d: d.isoformat(sep=" ", timespec="minutes")),
    st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), st.datetimes(), offsets),
    st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00+14:00", "24:00",
                     "99:99", "00:00", "23:59", "2026-02-30", "1969-12-31", "2200-01-01", "-1", "", " "]),
    st.from_regex(r"\A[0-9]{1,5}:[0-9]{1,3}\Z"), st.text(max_size=40), st.just("2" * 100000))


ZONES = st.sampled_from(["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "America/New_York", "Asia/Kolkata"])
"""The machine's time zone: year 1 and 9999 overflow only when a zone moves them across the edge."""


@contextmanager
def local_zone(zone: str) -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        os.environ["TZ"] = before or "UTC"
        time.tzset()


@FUZZ
@given(text=date_texts, zone=ZONES)
def test_fuzz_at(text: str, zone: str) -> None:
    with local_zone(zone):
        result = _outcome("--at", lambda: parse_at(text, NOW))
    if isinstance(result, datetime):
        assert result.tzinfo is not None and result <= NOW + timedelta(minutes=5)


@FUZZ
@given(since=st.one_of(st.none(), date_texts), until=st.one_of(st.none(), date_texts), zone=ZONES)
def test_fuzz_since_until(since: str | None, until: str | None, zone: str) -> None:
    def report() -> Any:  # the window, then the report over it, as `voice-coach report` makes it
        start, end = _window(since, until)
        return _interpret("json", [], program=None, since=start, until=end, now=NOW)
    with local_zone(zone):
        _outcome("--since/--until", report)


@FUZZ
@given(text=date_texts)
def test_fuzz_plan_date(text: str) -> None:
    def plan() -> Any:  # the day, then today and its week against the plan, as `voice-coach plan` does
        day = _day(text)
        weekly = load_plan()
        monday = day - timedelta(days=day.weekday())
        return today_status(weekly, [], day), week_status(weekly, [], day), [monday + timedelta(days=6)]
    _outcome("--date", plan)


number_texts = st.one_of(
    st.integers().map(str), st.floats().map(repr), st.text(max_size=20),
    st.sampled_from(["-5", "1e999", "-1e999", "nan", "inf", "9" * 5000, "0x10", "1_000", "50%", "120wpm", "2.5s",
                     "-45dbfs", "1e-400", "٣", "½", "", " "]))


@FUZZ
@given(key=st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=30)), value=number_texts)
def test_fuzz_profile_set_values(key: str, value: str) -> None:
    def parse() -> Any:
        return checked(key_name(key), value)
    _outcome("profile set", parse)
