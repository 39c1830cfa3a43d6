"""Adherence against the weekly plan: the ACSM rules as data, and a calendar of what was done each day."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from voice_coach.plan.plan import WEEKDAYS, WeeklyPlan
from voice_coach.terminal_text import warn_on_stderr

KIND_ORDER = ("stretching", "resistance", "aerobic")
"""Program kinds in the order reports show them."""


@dataclass(frozen=True)
class ActivityRule:
    """How often one kind of session is planned."""

    kind: str
    """The program kind it counts: stretching, resistance or aerobic."""
    label: str
    """What a caregiver reads."""
    min_days_per_week: int
    """Fewest days a week with such a session."""
    max_days_per_week: int | None = None
    """Most days a week (None: no upper limit)."""
    min_per_day: int = 1
    """Sessions that make a day count."""
    max_per_day: int | None = None
    """Most sessions a day before it is more than planned."""
    daily: bool = False
    """Planned every day: a day without it is a missed day."""
    not_on_days_with: tuple[str, ...] = ()
    """Kinds it should not share a day with (resistance on days without aerobic)."""
    plan_text: str = ""
    """The rule in words, as the source puts it."""


@dataclass(frozen=True)
class WeeklyTargets:
    """What a report measures a week against: one rule per kind of session, made from the weekly plan
    (`report_plan`) or the built-in ACSM rules."""

    name: str
    """Where the plan comes from."""
    rules: tuple[ActivityRule, ...]
    """One rule per kind of session."""

    def rule(self, kind: str) -> ActivityRule | None:
        return next((r for r in self.rules if r.kind == kind), None)


ACSM_PLAN = WeeklyTargets(
    name="ACSM, Exercising With ALS (2010)",
    rules=(
        ActivityRule("stretching", "Stretching", 7, 7, min_per_day=1, max_per_day=2, daily=True,
                     plan_text="once or twice every day"),
        ActivityRule("resistance", "Light resistance", 3, 5, not_on_days_with=("aerobic",),
                     plan_text="3 to 5 days a week, on days without aerobic exercise"),
        ActivityRule("aerobic", "Aerobic", 3, None, plan_text="at least 3 days a week"),
    ),
)


def default_plan(warn: Callable[[str], None] = warn_on_stderr) -> WeeklyTargets:
    """The plan reports measure against: the user's weekly plan file (or the bundled ACSM one); the
    built-in ACSM rules when no plan file can be read, said in one `warn` line and in the plan's name."""
    from voice_coach.errors import CoachError
    from voice_coach.plan.plan import load_plan

    try:
        return report_plan(load_plan())
    except CoachError as exc:
        warn(f"{exc.message} (the report measures against the built-in ACSM plan instead)")
        return replace(ACSM_PLAN, name=f"{ACSM_PLAN.name}; the weekly plan file could not be read")


def session_counts(session: Mapping[str, Any]) -> bool:
    """A session counts toward the plan when at least one exercise in it was done (not skipped)."""
    return any(not ex.get("skipped") for ex in session.get("exercises", []))


def local_date(iso: str) -> date:
    """The calendar day of a timestamp in this computer's time zone (the journal records UTC)."""
    return datetime.fromisoformat(iso).astimezone().date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def adherence(sessions: Iterable[Mapping[str, Any]], plan: WeeklyTargets, *, today: date,
              first: date | None = None) -> dict[str, Any]:
    """Per day: sessions done by kind; per week and rule: met, short, over, on track or at risk.

    Days before `first` (default: the first counted session) are not judged, nor days after `today`:
    nobody missed a plan they had not started. A weekly minimum is judged on whole weeks, and on the
    current week once it can no longer be met.
    """
    counts: dict[date, dict[str, int]] = {}
    for s in sessions:
        if s.get("kind") == "checkin" or not session_counts(s):
            continue
        day = local_date(s["started_at"])
        per = counts.setdefault(day, {})
        per[s["kind"]] = per.get(s["kind"], 0) + 1
    start = first if first is not None else (min(counts) if counts else today)
    weeks: list[dict[str, Any]] = []
    missed: list[str] = []
    if start > today:
        return {"plan": plan_dict(plan), "from": None, "to": today.isoformat(), "weeks": [], "missed_days": []}
    monday = week_start(start)
    while monday <= today:
        days = [monday + timedelta(days=i) for i in range(7)]
        judged = [d for d in days if start <= d <= today]
        day_rows = []
        for d in days:
            c = counts.get(d, {})
            status = _day_status(d, c, plan, start, today)
            if status == "missed":
                missed.append(d.isoformat())
            day_rows.append({"date": d.isoformat(), "counts": {k: c[k] for k in sorted(c)}, "status": status})
        rules = [_rule_status(r, days, judged, counts, today) for r in plan.rules]
        weeks.append({"start": monday.isoformat(), "days": day_rows, "rules": rules})
        monday += timedelta(days=7)
    return {"plan": plan_dict(plan), "from": start.isoformat(), "to": today.isoformat(), "weeks": weeks,
            "missed_days": missed}


def plan_dict(plan: WeeklyTargets) -> dict[str, Any]:
    return {"name": plan.name, "rules": [
        {"kind": r.kind, "label": r.label, "min_days_per_week": r.min_days_per_week,
         "max_days_per_week": r.max_days_per_week, "min_per_day": r.min_per_day, "max_per_day": r.max_per_day,
         "daily": r.daily, "not_on_days_with": list(r.not_on_days_with), "plan_text": r.plan_text}
        for r in plan.rules]}


def _day_status(d: date, c: Mapping[str, int], plan: WeeklyTargets, start: date, today: date) -> str:
    """outside (not judged), future, done (every daily rule met), missed (a daily rule not met)."""
    if d < start:
        return "outside"
    if d > today:
        return "future"
    for r in plan.rules:
        if r.daily and c.get(r.kind, 0) < r.min_per_day:
            # today is not over: not missed yet
            return "pending" if d == today else "missed"
    return "done"


def _rule_status(r: ActivityRule, days: list[date], judged: list[date], counts: Mapping[date, Mapping[str, int]],
                 today: date) -> dict[str, Any]:
    """met, over, on_track, at_risk (cannot be met any more this week), short, or partial_week (not judged)."""
    def done(d: date) -> bool:
        return counts.get(d, {}).get(r.kind, 0) >= r.min_per_day

    done_days = [d for d in judged if done(d)]
    over_days = [d for d in judged if r.max_per_day is not None and counts.get(d, {}).get(r.kind, 0) > r.max_per_day]
    clashes = [d for d in done_days if any(counts.get(d, {}).get(k, 0) for k in r.not_on_days_with)]
    # days that can still count: the rest of the week, and today if nothing is done yet
    open_days = sum(1 for d in days if d > today) + (1 if today in judged and not done(today) else 0)
    n = len(done_days)
    missed = [d for d in judged if d < today and not done(d)] if r.daily else []
    if r.daily:
        status = "short" if missed else "over" if over_days else "on_track" if open_days else "met"
    elif r.max_days_per_week is not None and n > r.max_days_per_week:
        status = "over"
    elif n >= r.min_days_per_week:
        status = "met"
    elif any(d not in judged and d <= today for d in days):
        status = "partial_week"  # the plan began during this week: a weekly count would be unfair
    elif open_days:
        status = "on_track" if n + open_days >= r.min_days_per_week else "at_risk"
    else:
        status = "short"
    return {"kind": r.kind, "label": r.label, "days": n, "target_min": r.min_days_per_week,
            "target_max": r.max_days_per_week, "judged_days": len(judged), "open_days": open_days,
            "status": status, "missed_days": len(missed), "over_days": [d.isoformat() for d in over_days],
            "clash_days": [d.isoformat() for d in clashes]}


def report_plan(plan: WeeklyPlan) -> WeeklyTargets:
    """The plan as the reports measure adherence (`WeeklyTargets`): days per week by kind."""

    rules = []
    for kind in plan.kinds():
        on = [WEEKDAYS[i] for i, day in enumerate(plan.week) if any(p.kind == kind for p in day)]
        per_day = max(sum(p.kind == kind for p in day) for day in plan.week)
        text = "every day" if len(on) == 7 else "on " + ", ".join(d.capitalize() for d in on)
        rules.append(ActivityRule(
            kind, plan.title_of(kind).capitalize(), len(on),
            max_days_per_week=plan.limits["resistance_days_per_week"] if kind == "resistance" else None,
            max_per_day=plan.limits["stretching_per_day"] if kind == "stretching" else per_day,
            daily=len(on) == 7 and kind == "stretching",
            not_on_days_with=("aerobic",) if kind == "resistance" else (),
            plan_text=f"{'up to ' + str(per_day) + ' times ' if per_day > 1 else ''}{text}"))
    where = f" ({plan.source.name})" if plan.source is not None else ""  # the file's name: no folder of the machine
    return WeeklyTargets(name=f"{plan.title}{where}", rules=tuple(rules))
