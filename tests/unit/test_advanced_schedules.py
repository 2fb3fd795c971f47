"""Domo's advancedScheduleJson, read as a cron: next fires against answers worked out by hand,
including a daylight-saving change in a non-UTC zone, and clear errors for what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from headwater.domain.errors import InvalidInput
from headwater.domain.streams import timetable_of


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def fires(advanced: dict[str, Any], after: datetime, count: int = 3) -> list[datetime]:
    timetable = timetable_of(None, json.dumps(advanced))
    assert timetable is not None
    found: list[datetime] = []
    moment = after
    for _ in range(count):
        following = timetable.next_after(moment)
        if following is None:
            break
        found.append(following)
        moment = following
    return found


def test_the_domo_daily_form_with_a_12_hour_time() -> None:
    # The form real Domo clients write: {"type":"DAY","at":"12:09 PM","timezone":"UTC"}.
    assert fires({"type": "DAY", "at": "12:09 PM", "timezone": "UTC"}, utc(2026, 1, 1)) == [
        utc(2026, 1, 1, 12, 9),
        utc(2026, 1, 2, 12, 9),
        utc(2026, 1, 3, 12, 9),
    ]
    assert fires({"type": "DAY", "at": "12:30 AM"}, utc(2026, 1, 1), 1) == [utc(2026, 1, 1, 0, 30)]


def test_a_daily_time_in_denver_follows_the_us_spring_forward() -> None:
    # 06:00 in Denver: -07:00 (MST) until 2026-03-08 02:00, then -06:00 (MDT).
    found = fires(
        {"type": "DAY", "at": "06:00 AM", "timezone": "America/Denver"}, utc(2026, 3, 7), 3
    )
    assert found == [utc(2026, 3, 7, 13), utc(2026, 3, 8, 12), utc(2026, 3, 9, 12)]


def test_minutes_hours_weeks_and_month_ends() -> None:
    assert fires({"type": "MINUTE", "interval": 15}, utc(2026, 1, 1, 10, 7)) == [
        utc(2026, 1, 1, 10, 15),
        utc(2026, 1, 1, 10, 30),
        utc(2026, 1, 1, 10, 45),
    ]
    assert fires({"type": "HOUR", "interval": 6, "at": ":30"}, utc(2026, 1, 1, 1)) == [
        utc(2026, 1, 1, 6, 30),
        utc(2026, 1, 1, 12, 30),
        utc(2026, 1, 1, 18, 30),
    ]
    # 2026-01-05 is a Monday, 2026-01-08 a Thursday.
    assert fires({"type": "WEEK", "at": "18:45", "days": ["MON", "thursday"]}, utc(2026, 1, 5)) == [
        utc(2026, 1, 5, 18, 45),
        utc(2026, 1, 8, 18, 45),
        utc(2026, 1, 12, 18, 45),
    ]
    assert fires({"type": "MONTH", "at": "23:00", "days": ["L"]}, utc(2026, 1, 1)) == [
        utc(2026, 1, 31, 23),
        utc(2026, 2, 28, 23),
        utc(2026, 3, 31, 23),
    ]


@pytest.mark.parametrize("text", ["{}", '{"type":"MANUAL","timezone":"UTC"}', '{"type":"none"}'])
def test_manual_and_empty_mean_no_schedule(text: str) -> None:
    assert timetable_of(None, text) is None


def test_the_schedule_object_wins_over_advanced_json() -> None:
    timetable = timetable_of({"cron": "0 0 5 * * ?"}, json.dumps({"type": "DAY", "at": "07:00"}))
    assert timetable is not None
    assert timetable.next_after(utc(2026, 1, 1)) == utc(2026, 1, 1, 5)


@pytest.mark.parametrize(
    ("advanced", "field", "says"),
    [
        ({"type": "FORTNIGHT"}, "advancedScheduleJson.type", "FORTNIGHT"),
        ({"type": "DAY"}, "advancedScheduleJson.at", "time of day"),
        ({"type": "DAY", "at": "13:00 PM"}, "advancedScheduleJson.at", "1-12"),
        ({"type": "DAY", "at": "25:00"}, "advancedScheduleJson.at", "not a time"),
        ({"type": "MINUTE", "interval": 0}, "advancedScheduleJson.interval", "1 to 59"),
        ({"type": "WEEK", "at": "06:00"}, "advancedScheduleJson", "needs days"),
        ({"type": "WEEK", "at": "06:00", "days": ["Caturday"]}, "advancedScheduleJson", "Caturday"),
        ({"type": "MONTH", "at": "06:00", "days": [32]}, "advancedScheduleJson.day", "1 to 31"),
        (
            {"type": "DAY", "at": "06:00", "timezone": "Nowhere/Land"},
            "advancedScheduleJson.timezone",
            "Nowhere",
        ),
    ],
)
def test_bad_advanced_schedules_say_what_is_wrong(
    advanced: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        timetable_of(None, json.dumps(advanced))
    assert caught.value.details["field"] == field
    assert says in caught.value.message


def test_advanced_json_that_is_not_an_object() -> None:
    with pytest.raises(InvalidInput) as caught:
        timetable_of(None, "[1, 2]")
    assert caught.value.details["field"] == "advancedScheduleJson"
