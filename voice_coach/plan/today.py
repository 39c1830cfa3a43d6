"""Today and this week against the weekly plan, from the journal; the lines that say it; the next-day question."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from voice_coach.coach.messages import Say
from voice_coach.journal.journal import Entry
from voice_coach.plan.plan import Planned, WeeklyPlan


def day_of(at: datetime) -> date:
    """The person's calendar day of a journal time (this machine's local time zone)."""
    return at.astimezone().date()


@dataclass(frozen=True)
class Done:
    """A session in the journal that counts toward the plan: at least one exercise done."""

    session_id: str
    """The journal session."""
    day: date
    """Local day it started."""
    program: str
    """Program name."""
    kind: str
    """stretching, resistance or aerobic."""


def done_sessions(entries: Iterable[Entry]) -> list[Done]:
    """Sessions (not check-ins) with at least one exercise done, in the order they started."""
    started: dict[str, Entry] = {}
    counted: set[str] = set()
    for e in entries:
        if e.kind == "session_started" and e.data.get("kind") not in (None, "checkin"):
            started[e.session_id] = e
        elif e.kind == "exercise_done":
            counted.add(e.session_id)
    return [Done(sid, day_of(e.at), str(e.data.get("program")), str(e.data["kind"]))
            for sid, e in started.items() if sid in counted]


@dataclass(frozen=True)
class Today:
    """What is planned for one day and which of it is done."""

    day: date
    """The date."""
    planned: tuple[Planned, ...]
    """In the plan's order."""
    done: tuple[bool, ...]
    """Per planned session: done already (matched by kind, in order)."""

    @property
    def next(self) -> Planned | None:
        """The first planned session not done yet (None: a rest day, or all done)."""
        return next((p for p, d in zip(self.planned, self.done, strict=True) if not d), None)


def today_status(plan: WeeklyPlan, entries: Iterable[Entry], day: date) -> Today:
    planned = plan.day(day)
    left = [d.kind for d in done_sessions(entries) if d.day == day]
    done = []
    for p in planned:
        done.append(p.kind in left)
        if p.kind in left:
            left.remove(p.kind)
    return Today(day, planned, tuple(done))


@dataclass(frozen=True)
class KindWeek:
    """One kind of session over the week that holds a day."""

    kind: str
    """stretching, resistance or aerobic."""
    title: str
    """Spoken title."""
    planned_days: int
    """Days of the week (Monday to Sunday) that plan it."""
    done_days: int
    """Days of the week, up to the day asked about, with such a session done."""


def week_status(plan: WeeklyPlan, entries: Iterable[Entry], day: date) -> list[KindWeek]:
    """Per kind planned this week (or done though unplanned): planned days and days done so far."""
    monday = day - timedelta(days=day.weekday())
    done = [d for d in done_sessions(entries) if monday <= d.day <= day]
    kinds = plan.kinds() + sorted({d.kind for d in done} - set(plan.kinds()))
    out = []
    for kind in kinds:
        planned = sum(1 for d in plan.week if any(p.kind == kind for p in d))
        title = plan.title_of(kind) if planned else next(d.program for d in done if d.kind == kind)
        out.append(KindWeek(kind, title, planned, len({d.day for d in done if d.kind == kind})))
    return out


def today_lines(t: Today) -> list[Say]:
    """What the coach says for "what's today?" (and before a session chosen from the plan)."""
    if not t.planned:
        return [Say("plan_rest_day")]
    lines = [Say("plan_today", {"planned": ", ".join(p.title for p in t.planned)})]
    done = [p.title for p, d in zip(t.planned, t.done, strict=True) if d]
    if done:
        lines.append(Say("plan_done_today", {"done": ", ".join(done)}))
    nxt = t.next
    lines.append(Say("plan_next", {"title": nxt.title}) if nxt else Say("plan_all_done"))
    return lines


def week_lines(week: list[KindWeek]) -> list[Say]:
    """This week so far against the plan, one line per kind."""
    if not week:
        return [Say("plan_week_empty")]
    return [Say("plan_week", {"title": w.title, "done": w.done_days, "planned": w.planned_days})
            if w.planned_days else Say("plan_week_unplanned", {"title": w.title, "done": w.done_days})
            for w in week]


def asks_daily(entries: Iterable[Entry], day: date) -> bool:
    """Ask the next-day question: yesterday was an exercise day and it has not been answered today."""
    entries = list(entries)
    exercised = any(d.day == day - timedelta(days=1) for d in done_sessions(entries))
    answered = any(e.kind == "checkin_answer" and e.data.get("question") == "daily_activities"
                   and day_of(e.at) == day for e in entries)
    return exercised and not answered
