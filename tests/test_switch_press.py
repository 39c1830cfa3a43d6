"""How long a switch was held, as tables: down/up/repeat sequences → short, long or nothing; a terminal's bytes →
those events; the kernel's `struct input_event` records → the switch's events."""

from __future__ import annotations

import pytest

from voice_coach.access.switch_device import EV_KEY, KEY_ENTER, KEY_KPENTER, KEY_SPACE, EventReader, pack_event
from voice_coach.access.switch_press import DOWN, REPEAT, UP, KeyEvent, PressLength, TerminalKeys


def repeats(start: float, end: float, first: float = 0.25, every: float = 0.033) -> list[tuple[int, float]]:
    """A held key's auto-repeat from `start` until `end`."""
    out, t = [], start + first
    while t < end:
        out.append((REPEAT, round(t, 3)))
        t += every
    return out


PRESSES = [
    # (events as (value, seconds)), what comes out in order
    ("tap", [(DOWN, 0.0), (UP, 0.1)], ["short"]),
    ("brushed", [(DOWN, 5.0), (UP, 5.02)], ["short"]),
    ("just short of long", [(DOWN, 0.0), (UP, 0.99)], ["short"]),
    ("a button held, no repeats", [(DOWN, 0.0), (UP, 1.0)], ["long"]),
    ("a key held: long while still held", [(DOWN, 0.0), *repeats(0.0, 1.6), (UP, 1.6)], ["long"]),
    ("held 0.6 s with repeats", [(DOWN, 0.0), *repeats(0.0, 0.6), (UP, 0.6)], ["short"]),
    ("held long twice", [(DOWN, 0.0), (UP, 1.2), (DOWN, 3.0), *repeats(3.0, 4.5), (UP, 4.5)], ["long", "long"]),
    ("long then a short yes", [(DOWN, 0.0), *repeats(0.0, 1.5), (UP, 1.5), (DOWN, 4.0), (UP, 4.2)],
     ["long", "short"]),
    ("held since before we listened", [*repeats(-1.0, 3.0), (UP, 3.0)], []),
    ("let go of an earlier press", [(UP, 0.5)], []),
    ("stuck down", [(DOWN, 0.0), *repeats(0.0, 60.0)], ["long"]),
    ("two keys of one switch", [(DOWN, 0.0), (DOWN, 0.05), (UP, 0.1)], ["short"]),
    ("nothing", [], []),
]


@pytest.mark.parametrize("events, said", [c[1:] for c in PRESSES], ids=[c[0] for c in PRESSES])
def test_press_length_table(events: list[tuple[int, float]], said: list[str]) -> None:
    press = PressLength(1.0)
    out = [p for value, at in events if (p := press.feed(KeyEvent(value, at))) is not None]
    assert out == said


def test_a_press_begun_before_a_reset_does_not_count() -> None:
    press = PressLength(1.0)
    press.feed(KeyEvent(DOWN, 0.0))
    press.reset()  # a session had the switch meanwhile
    assert [press.feed(KeyEvent(v, t)) for v, t in [*repeats(0.0, 2.0), (UP, 2.0)]] == [None] * (
        len(repeats(0.0, 2.0)) + 1)


TERMINAL = [
    # bytes' arrival times (and a last quiet look) → events
    ("a tap", [0.0], 2.0, [(DOWN, 0.0), (UP, 0.0)]),
    ("not let go yet", [0.0], 0.5, [(DOWN, 0.0)]),
    ("held: the terminal repeats", [0.0, 0.5, 0.53, 0.56], 1.0, [(DOWN, 0.0), (REPEAT, 0.5), (REPEAT, 0.53),
                                                                 (REPEAT, 0.56), (UP, 0.56)]),
    ("two taps", [0.0, 2.0], 4.0, [(DOWN, 0.0), (UP, 0.0), (DOWN, 2.0), (UP, 2.0)]),
]


@pytest.mark.parametrize("times, last, events", [c[1:] for c in TERMINAL], ids=[c[0] for c in TERMINAL])
def test_terminal_bytes_table(times: list[float], last: float, events: list[tuple[int, float]]) -> None:
    keys = TerminalKeys(first_repeat_seconds=0.8, repeat_gap_seconds=0.25)
    out = [e for t in times for e in keys.byte(t)] + keys.quiet(last)
    assert [(e.value, e.seconds) for e in out] == events


def test_another_key_right_after_a_hold_is_a_new_press() -> None:
    keys, press = TerminalKeys(), PressLength(1.0)
    said = [press.feed(e) for t in [0.0, *[0.5 + 0.04 * i for i in range(20)]] for e in keys.byte(t)]
    said += [press.feed(e) for e in keys.byte(1.4, 0x0A) + keys.quiet(3.0)]  # enter, 50 ms after the last space
    assert [p for p in said if p] == ["long", "short"]


def test_a_held_terminal_key_is_a_long_press_while_held() -> None:
    keys, press = TerminalKeys(), PressLength(1.0)
    said = [press.feed(e) for t in [0.0, *[0.5 + 0.04 * i for i in range(20)]] for e in keys.byte(t)]
    assert said.count("long") == 1 and keys.up_at() is not None


def test_input_event_records_in_any_pieces() -> None:
    records = (pack_event(100.25, EV_KEY, KEY_SPACE, 1) + pack_event(100.25, 0, 0, 0)  # EV_SYN is skipped
               + pack_event(100.5, EV_KEY, 30, 1)  # the letter a: not a switch key
               + pack_event(100.75, EV_KEY, KEY_SPACE, 2) + pack_event(101.0, EV_KEY, KEY_SPACE, 0)
               + pack_event(102.0, EV_KEY, KEY_ENTER, 1) + pack_event(102.0, EV_KEY, KEY_KPENTER, 0)
               + pack_event(103.0, EV_KEY, 0x110, 1) + pack_event(103.0, 4, 4, 90001))  # BTN_LEFT; EV_MSC skipped
    reader = EventReader()
    out = [e for i in range(0, len(records), 7) for e in reader.feed(records[i:i + 7])]
    assert [(e.value, e.seconds) for e in out] == [(1, 100.25), (2, 100.75), (0, 101.0), (1, 102.0), (0, 102.0),
                                                   (1, 103.0)]
