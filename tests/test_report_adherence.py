"""Adherence against the ACSM weekly plan, and what needs attention, on hand-made weeks (tests as data)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from voice_coach.report.adherence import ACSM_PLAN, ActivityRule, WeeklyTargets, adherence, default_plan
from voice_coach.report.attention import attention

MON = date(2026, 3, 2)  # a Monday


pytestmark = pytest.mark.usefixtures("utc")


def session(day: int, kind: str, *, hour: int = 9, done: bool = True, **more: Any) -> dict[str, Any]:
    """A session on MON + `day`, with one exercise done (or only skipped ones)."""
    d = MON + timedelta(days=day)
    return {"id": f"{kind}-{day}-{hour}", "program": kind, "kind": kind,
            "started_at": f"{d.isoformat()}T{hour:02d}:00:00+00:00", "ended_at": None, "outcome": "completed",
            "flags": [], "exercises": [{"name": "x", "skipped": not done}], "ratings": [], "symptoms": [],
            "answers": [], "recognition": {"replies": 0, "unrecognised": 0, "reprompts": 0, "confirmations": 0},
            **more}


def week_of(sessions: list[dict[str, Any]], today: date, first: date | None = MON) -> dict[str, Any]:
    cal = adherence(sessions, ACSM_PLAN, today=today, first=first)
    week = cal["weeks"][0]  # the week of MON
    return {r["kind"]: r for r in week["rules"]} | {"_days": week["days"], "_missed": cal["missed_days"]}


EVERY_DAY = [session(d, "stretching") for d in range(7)]


@pytest.mark.parametrize("extra, today, kind, status", [
    # aerobic at least 3 days a week; `today` 7 is the next Monday: the week is over
    ([session(d, "aerobic") for d in (0, 2, 4)], 6, "aerobic", "met"),
    ([session(d, "aerobic") for d in (0, 2)], 7, "aerobic", "short"),
    ([session(0, "aerobic")], 3, "aerobic", "on_track"),  # Thu: 1 done, Thu to Sun still open
    ([session(0, "aerobic")], 5, "aerobic", "on_track"),  # Sat: Sat and Sun could still make 3
    ([session(0, "aerobic")], 6, "aerobic", "at_risk"),  # Sun: 3 is out of reach
    ([], 7, "aerobic", "short"),
    # resistance 3 to 5 days
    ([session(d, "resistance") for d in (1, 3, 5)], 6, "resistance", "met"),
    ([session(d, "resistance") for d in range(6)], 6, "resistance", "over"),
    # skipped-only sessions do not count
    ([session(d, "aerobic", done=False) for d in (0, 2, 4)], 7, "aerobic", "short"),
])
def test_weekly_rules(extra: list[dict[str, Any]], today: int, kind: str, status: str) -> None:
    rules = week_of(EVERY_DAY + extra, MON + timedelta(days=today))
    assert rules[kind]["status"] == status


def test_open_days_are_the_rest_of_the_week_and_today_until_done() -> None:
    sat = week_of(EVERY_DAY + [session(0, "aerobic")], MON + timedelta(days=5))["aerobic"]
    assert sat["open_days"] == 2 and sat["days"] == 1
    done_today = week_of(EVERY_DAY + [session(5, "aerobic")], MON + timedelta(days=5))["aerobic"]
    assert done_today["open_days"] == 1


def test_a_day_without_stretching_is_missed_but_today_is_not_over() -> None:
    sessions = [session(d, "stretching") for d in (0, 1, 3)]
    rules = week_of(sessions, MON + timedelta(days=4))
    assert rules["stretching"]["status"] == "short" and rules["stretching"]["missed_days"] == 1
    statuses = [d["status"] for d in rules["_days"]]
    assert statuses == ["done", "done", "missed", "done", "pending", "future", "future"]
    assert rules["_missed"] == [(MON + timedelta(days=2)).isoformat()]


def test_stretching_more_than_twice_a_day_is_noted_not_missed() -> None:
    sessions = EVERY_DAY + [session(2, "stretching", hour=h) for h in (12, 18)]
    rules = week_of(sessions, MON + timedelta(days=6))
    assert rules["stretching"]["status"] == "over" and rules["stretching"]["over_days"] == ["2026-03-04"]


def test_resistance_on_an_aerobic_day_is_a_clash() -> None:
    sessions = EVERY_DAY + [session(0, "aerobic"), session(0, "resistance", hour=15)]
    assert week_of(sessions, MON + timedelta(days=6))["resistance"]["clash_days"] == ["2026-03-02"]


def test_days_before_the_first_session_are_not_judged() -> None:
    sessions = [session(d, "stretching") for d in (3, 4, 5, 6)]
    rules = week_of(sessions, MON + timedelta(days=6), first=None)
    assert [d["status"] for d in rules["_days"]][:3] == ["outside"] * 3
    assert rules["stretching"]["status"] == "met" and rules["aerobic"]["status"] == "partial_week"
    assert rules["_missed"] == []


def test_checkins_do_not_count_toward_the_plan() -> None:
    checkin = session(0, "stretching") | {"kind": "checkin", "program": "checkin"}
    assert week_of([checkin], MON)["stretching"]["days"] == 0


def test_the_plan_comes_from_the_weekly_plan_file(private_home) -> None:
    plan = default_plan()
    assert "weekly.yaml" in plan.name
    assert {r.kind for r in plan.rules} == {"stretching", "aerobic", "resistance"}
    broken = private_home / "config" / "plans" / "weekly.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("week: [unclosed\n")
    warnings: list[str] = []
    plan = default_plan(warnings.append)  # a caregiver's broken plan file must not break the report ...
    assert plan.rules == ACSM_PLAN.rules and "could not be read" in plan.name  # ... but the report says so
    assert len(warnings) == 1 and "weekly.yaml: not valid YAML" in warnings[0] and "built-in ACSM plan" in warnings[0]


def test_the_plan_is_data_that_can_be_replaced() -> None:
    twice = WeeklyTargets("two aerobic days", (ActivityRule("aerobic", "Aerobic", 2),))
    cal = adherence([session(0, "aerobic"), session(3, "aerobic")], twice, today=MON + timedelta(days=6))
    assert [r["status"] for r in cal["weeks"][-1]["rules"]] == ["met"] and cal["plan"]["name"] == "two aerobic days"


# ----- needs attention ----------------------------------------------------------------------------------
def items(sessions: list[dict[str, Any]], caregiver: list[dict[str, Any]] | None = None,
          today: int = 6) -> list[dict[str, Any]]:
    end = MON + timedelta(days=today)
    cal = adherence(sessions, ACSM_PLAN, today=end, first=MON)
    return attention(sessions, caregiver or [], cal, since=MON, today=end)


def said(kind: str, text: str, day: int = 1, source: str = "voice") -> dict[str, Any]:
    return {"kind": kind, "transcript": text, "source": source, "at": f"{MON + timedelta(days=day)}T09:05:00+00:00"}


def test_a_safety_stop_is_one_urgent_item_with_what_was_said() -> None:
    stop = session(1, "resistance", outcome="stopped_for_safety", flags=["cramp"],
                   symptoms=[said("cramp", "my leg has a cramp")])
    (first, *rest) = items(EVERY_DAY + [stop] + [session(d, "aerobic") for d in (0, 2, 4)]
                           + [session(d, "resistance") for d in (1, 3, 5)])
    assert first["severity"] == "urgent" and first["kind"] == "safety_stop"
    assert first["title"] == "Stopped for safety: cramp (said “my leg has a cramp”)"
    assert not any(i["kind"] == "symptom" for i in rest), "the symptom is not listed twice"


@pytest.mark.parametrize("threshold_value, listed", [(6, False), (7, True), (9, True)])
def test_effort_at_or_above_seven_needs_attention(threshold_value: int, listed: bool) -> None:
    rating = {"value": threshold_value, "exercise": "Biceps curl", **said("rating", "seven")}
    s = session(1, "resistance", ratings=[rating])
    found = [i for i in items(EVERY_DAY + [s]) if i["kind"] == "hard_effort"]
    assert bool(found) is listed
    if listed:
        assert found[0]["severity"] == "warning" and "Biceps curl" in found[0]["title"]


def test_yes_to_daily_activities_and_caregiver_symptoms_are_urgent() -> None:
    checkin = session(2, "checkin", flags=["daily_activities"], answers=[
        {"question": "daily_activities", "value": "yes", **said("answer", "yes", 2)}]) | {"program": "checkin"}
    carer = [{"kind": "symptom", "symptom": "dizziness", "value": None, "text": None, "source": "caregiver",
              "at": f"{MON + timedelta(days=3)}T18:00:00+00:00", "session_id": "caregiver"}]
    found = {i["kind"]: i for i in items(EVERY_DAY + [checkin], carer) if i["severity"] == "urgent"}
    assert set(found) == {"daily_activities", "symptom"}
    assert found["symptom"]["source"] == "caregiver" and "dizziness" in found["symptom"]["title"]


def test_nothing_before_since_needs_attention() -> None:
    old = session(0, "resistance", outcome="stopped_for_safety", flags=["pain"], symptoms=[said("pain", "pain", 0)])
    end = MON + timedelta(days=6)
    cal = adherence([old], ACSM_PLAN, today=end, first=MON)
    assert attention([old], [], cal, since=MON + timedelta(days=1), today=end)[0]["kind"] != "safety_stop"


def test_missed_days_are_one_note_naming_the_latest() -> None:
    sessions = [session(d, "stretching") for d in (0, 2, 4)] + [session(d, "aerobic") for d in (0, 2, 4)]
    found = [i for i in items(sessions, today=6) if i["kind"] == "missed_days"]
    assert len(found) == 1 and found[0]["title"] == "No stretching on 3 days"
    assert found[0]["detail"].startswith("Sat 7 Mar 2026")


def test_harder_recognition_is_noted() -> None:
    def rec(replies: int, missed: int) -> dict[str, int]:
        return {"replies": replies, "unrecognised": missed, "reprompts": 0, "confirmations": 0}

    week1 = [session(d, "stretching", recognition=rec(10, 1)) for d in range(7)]
    week2 = [session(d + 7, "stretching", recognition=rec(10, 4)) for d in range(7)]
    end = MON + timedelta(days=13)
    cal = adherence(week1 + week2, ACSM_PLAN, today=end, first=MON)
    found = [i for i in attention(week1 + week2, [], cal, since=MON, today=end) if i["kind"] == "recognition"]
    assert found and "40% of replies not understood" in found[0]["title"] and "10%" in found[0]["title"]
