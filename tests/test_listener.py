"""The resident listener's machine as tables: what is heard (and when) → what it says, logs and runs; its lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from voice_coach.coach.messages import LogEntry, Say
from voice_coach.coach.prompt_contract import PROMPT_SLOTS
from voice_coach.listen.listener import (
    ASK_SECONDS,
    REMINDER_WINDOW_SECONDS,
    Facts,
    Mode,
    Reminder,
    ResidentListener,
    Run,
)
from voice_coach.listen.prompts import LISTEN_SLOTS, load_listen_prompts

PLANNED = Facts(next_program="stretching", next_title="daily stretching", today=(Say("plan_today", {"planned": "x"}),),
                week=(Say("plan_week_empty"),), titles={"stretching": "daily stretching", "aerobic": "aerobic bouts"})
DONE = Facts(titles=PLANNED.titles)
GATED = Facts(next_program="stretching", next_title="daily stretching", checkin_first=True, titles=PLANNED.titles)


def play(events: list[tuple], facts: Facts = PLANNED) -> tuple[ResidentListener, list[str]]:
    """Events: ("wake", request), ("say", kind, key), ("press", short|long), ("tick", seconds later),
    ("remind", checkin), ("done",); returns the machine and what came out: say keys, "run:<program>"/"run:checkin"
    (+switch when the session takes the switch), "log:<kind>"."""
    m, now, out = ResidentListener("okay coach"), 0.0, []
    for event in events:
        now += 1.0
        if event[0] == "wake":
            m.woke(event[1], now, facts)
        elif event[0] == "say":
            m.heard(event[1], event[2], now, facts)
        elif event[0] == "press":
            m.pressed(event[1], now, facts)
        elif event[0] == "tick":
            now += event[1]
            m.tick(now)
        elif event[0] == "remind":
            m.remind(Reminder(event[1], None if event[1] else "stretching", "daily stretching", "10:00"), now)
        elif event[0] == "near":
            m.near_miss(now)
        elif event[0] == "done":
            m.finished("completed")
        for action in m.outbox:
            if isinstance(action, Say):
                out.append(action.key)
            elif isinstance(action, Run):
                out.append(("run:checkin" if action.checkin else f"run:{action.program or 'planned'}")
                           + ("+switch" if action.switch else ""))
            elif isinstance(action, LogEntry) and action.kind not in ("wake",):
                out.append(f"log:{action.kind}")
        m.outbox.clear()
    return m, out


CASES = [
    # a wake alone asks; what follows decides
    ([("wake", None)], ["woken"], Mode.ASKING),
    ([("wake", None), ("say", "request", "checkin")], ["woken", "run:checkin"], Mode.WAITING),
    ([("wake", None), ("say", "request", "today")], ["woken", "plan_today"], Mode.WAITING),
    ([("wake", None), ("say", "request", "week")], ["woken", "plan_week_empty"], Mode.WAITING),
    # exercise is only ever started by a yes to a question
    ([("wake", "start")], ["confirm_session"], Mode.CONFIRMING),
    ([("wake", "start"), ("say", "answer", "yes")], ["confirm_session", "run:planned"], Mode.WAITING),
    ([("wake", "start"), ("say", "request", "start")], ["confirm_session", "run:planned"], Mode.WAITING),
    ([("wake", "aerobic"), ("say", "answer", "yes")], ["confirm_session", "run:aerobic"], Mode.WAITING),
    ([("wake", "start"), ("say", "answer", "no")], ["confirm_session", "log:wake_cancelled", "going_back"],
     Mode.WAITING),
    ([("wake", "start"), ("say", None, None), ("say", None, None)],
     ["confirm_session", "confirm_session", "log:wake_cancelled", "going_back"], Mode.WAITING),
    ([("wake", "start"), ("tick", ASK_SECONDS), ("tick", ASK_SECONDS)],
     ["confirm_session", "confirm_session", "log:wake_cancelled"], Mode.WAITING),
    ([("wake", "start"), ("say", "stop", None)], ["confirm_session", "log:wake_cancelled", "okay"], Mode.WAITING),
    ([("wake", "resistance")], ["unknown_program"], Mode.WAITING),
    # nothing clear after a wake: ask once, then back to sleep
    ([("wake", None), ("tick", ASK_SECONDS), ("tick", ASK_SECONDS)], ["woken", "ask_again", "log:wake_cancelled"],
     Mode.WAITING),
    ([("wake", None), ("say", None, None), ("say", None, None)],
     ["woken", "ask_again", "log:wake_cancelled", "going_back"], Mode.WAITING),
    ([("wake", None), ("say", "request", "cancel")], ["woken", "log:wake_cancelled", "going_back"], Mode.WAITING),
    ([("wake", "cancel")], ["log:wake_cancelled", "going_back"], Mode.WAITING),
    ([("wake", None), ("say", "request", "help")], ["woken", "help"], Mode.ASKING),
    ([("wake", None), ("say", "symptom", "cramp")], ["woken", "log:symptom", "caution_cramp", "log:wake_cancelled"],
     Mode.WAITING),
    # stop listening / start listening
    ([("wake", "sleep")], ["log:listen_paused", "paused"], Mode.PAUSED),
    ([("wake", "sleep"), ("wake", None)], ["log:listen_paused", "paused"], Mode.PAUSED),
    ([("wake", "sleep"), ("wake", "start")], ["log:listen_paused", "paused"], Mode.PAUSED),
    ([("wake", "sleep"), ("wake", "listen")], ["log:listen_paused", "paused", "resumed"], Mode.WAITING),
    ([("wake", "sleep"), ("remind", False)], ["log:listen_paused", "paused"], Mode.PAUSED),
    # replies without a wake phrase are ignored while waiting
    ([("say", "answer", "yes"), ("say", "request", "start")], [], Mode.WAITING),
    # reminders: one yes/no window, yes starts without a wake phrase
    ([("remind", False), ("say", "answer", "yes")], ["log:reminder", "reminder_session", "run:stretching"],
     Mode.WAITING),
    ([("remind", False), ("say", "answer", "later")],
     ["log:reminder", "reminder_session", "log:reminder_snoozed", "snoozed"], Mode.WAITING),
    ([("remind", False), ("say", "answer", "no")],
     ["log:reminder", "reminder_session", "log:reminder_declined", "not_today"], Mode.WAITING),
    ([("remind", False), ("say", None, None), ("tick", REMINDER_WINDOW_SECONDS)],
     ["log:reminder", "reminder_session", "log:reminder_unanswered"], Mode.WAITING),
    ([("remind", True), ("say", "answer", "yes")], ["log:reminder", "reminder_checkin", "run:checkin"], Mode.WAITING),
    ([("wake", None), ("remind", False)], ["woken"], Mode.ASKING),
    # after the session, back to listening
    ([("wake", "checkin"), ("done",)], ["run:checkin", "log:listen_resumed"], Mode.WAITING),
    # the switch: a long press wakes with today's session, asked first; a press (or a spoken yes) answers
    ([("press", "short")], [], Mode.WAITING),
    ([("press", "short"), ("press", "short")], [], Mode.WAITING),
    ([("press", "long")], ["confirm_session", "switch_hint"], Mode.CONFIRMING),
    ([("press", "long"), ("press", "short")], ["confirm_session", "switch_hint", "log:heard", "run:planned+switch"],
     Mode.WAITING),
    ([("press", "long"), ("say", "answer", "yes")], ["confirm_session", "switch_hint", "run:planned+switch"],
     Mode.WAITING),
    ([("press", "long"), ("tick", ASK_SECONDS), ("tick", ASK_SECONDS)],
     ["confirm_session", "switch_hint", "confirm_session", "switch_hint", "log:wake_cancelled", "switch_not_now"],
     Mode.WAITING),
    ([("press", "long"), ("say", "answer", "no")],
     ["confirm_session", "switch_hint", "log:wake_cancelled", "going_back"], Mode.WAITING),
    ([("press", "long"), ("say", "stop", None)], ["confirm_session", "switch_hint", "log:wake_cancelled", "okay"],
     Mode.WAITING),
    ([("wake", "sleep"), ("press", "short")], ["log:listen_paused", "paused"], Mode.PAUSED),
    ([("wake", "sleep"), ("press", "long")], ["log:listen_paused", "paused", "confirm_session", "switch_hint"],
     Mode.CONFIRMING),
    ([("wake", None), ("press", "short")], ["woken", "log:heard", "confirm_session", "switch_hint"], Mode.CONFIRMING),
    ([("wake", "start"), ("press", "short")], ["confirm_session", "log:heard", "run:planned+switch"], Mode.WAITING),
    ([("remind", False), ("press", "short")], ["log:reminder", "reminder_session", "log:heard",
                                               "run:stretching+switch"], Mode.WAITING),
    ([("press", "long"), ("press", "short"), ("done",), ("say", "answer", "yes")],
     ["confirm_session", "switch_hint", "log:heard", "run:planned+switch", "log:listen_resumed"], Mode.WAITING),
]


@pytest.mark.parametrize("events, said, mode", CASES, ids=[" ".join(str(e[1]) if len(e) > 1 else e[0]
                                                                     for e in c[0]) for c in CASES])
def test_listener_table(events: list[tuple], said: list[str], mode: Mode) -> None:
    m, out = play(events)
    assert out == said
    assert m.mode is mode


def test_nothing_left_today_starts_nothing() -> None:
    assert play([("wake", "start")], DONE)[1] == ["nothing_left"]


def test_after_a_safety_stop_exercise_waits_for_a_checkin_until_ready() -> None:
    m, out = play([("wake", "stretching"), ("say", "answer", "yes")], GATED)
    assert out == ["checkin_first", "run:checkin"]
    m, out = play([("wake", "ready")], GATED)
    assert out == ["log:ready_again", "ready_noted"]


def test_a_switch_wake_with_nothing_left_or_a_checkin_due() -> None:
    assert play([("press", "long")], DONE)[1] == ["nothing_left"]
    m, out = play([("press", "long"), ("press", "short")], GATED)
    assert out == ["checkin_first", "switch_hint", "log:heard", "run:checkin+switch"]


def test_a_switch_wake_is_journalled_as_one() -> None:
    m = ResidentListener("okay coach")
    m.pressed("long", 1.0, PLANNED, how={"seconds": 1.2})
    assert m.outbox[0] == LogEntry("wake", {"request": "start", "mode": "listen_waiting", "how": "switch",
                                            "seconds": 1.2})


def test_a_near_miss_gives_a_second_chance_for_a_few_seconds() -> None:
    m = ResidentListener("okay coach")
    assert not m.lenient(0.0)
    m.near_miss(10.0)
    assert m.lenient(12.0) and not m.lenient(30.0)
    assert m.outbox == [LogEntry("wake_near_miss", {})]


def test_every_line_the_listener_says_is_in_its_contract_or_the_coachs() -> None:
    keys = set()
    for name in ("listener.py", "resident.py"):
        tree = ast.parse((Path(__file__).parent.parent / "voice_coach" / "listen" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "_say", "Say"):
                keys |= {a.value for a in node.args[:1] if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    assert len(keys) > 15
    assert keys <= set(LISTEN_SLOTS) | set(PROMPT_SLOTS), sorted(keys - set(LISTEN_SLOTS) - set(PROMPT_SLOTS))
    lines = load_listen_prompts()
    for key, slots in LISTEN_SLOTS.items():
        text = lines.line(key, **{s: "X" for s in slots})
        assert text and "{" not in text


def test_listen_phrases_mean_one_thing_each() -> None:
    lines = load_listen_prompts()
    assert lines.meaning("Check in.") == ("request", "checkin")
    assert lines.meaning("yes") == ("answer", "yes")
    assert lines.meaning("put the kettle on") is None
    assert lines.wake == "okay coach"
