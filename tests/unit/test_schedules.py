"""Next-fire computation for every schedule form, against answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from headwater.domain.errors import InvalidInput
from headwater.domain.schedules import parse_schedule

PARIS = ZoneInfo("Europe/Paris")


def fires(raw: dict[str, Any], after: datetime, count: int = 3) -> list[datetime]:
    schedule = parse_schedule(raw)
    assert schedule is not None
    found: list[datetime] = []
    moment = after
    for _ in range(count):
        following = schedule.next_after(moment)
        if following is None:
            break
        found.append(following)
        moment = following
    return found


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_seed_quartz_cron_fires_daily_at_02_29() -> None:
    assert fires({"cron": "0 29 2 * * ? *"}, utc(2026, 1, 1)) == [
        utc(2026, 1, 1, 2, 29),
        utc(2026, 1, 2, 2, 29),
        utc(2026, 1, 3, 2, 29),
    ]


def test_quartz_weekdays_count_from_sunday_as_1() -> None:
    # Quartz 2 = Monday. 2026-01-05 is a Monday.
    assert fires({"cron": "0 0 12 ? * 2"}, utc(2026, 1, 1), 2) == [
        utc(2026, 1, 5, 12),
        utc(2026, 1, 12, 12),
    ]
    # 6#3 = the third Friday: 2026-01-16, 2026-02-20.
    assert fires({"cron": "0 0 9 ? * 6#3"}, utc(2026, 1, 1), 2) == [
        utc(2026, 1, 16, 9),
        utc(2026, 2, 20, 9),
    ]


def test_plain_five_field_cron_and_month_ends() -> None:
    assert fires({"cron": "0 0 31 * *"}, utc(2026, 1, 1)) == [
        utc(2026, 1, 31),
        utc(2026, 3, 31),
        utc(2026, 5, 31),
    ]
    assert fires({"cron": "0 0 12 L * ?"}, utc(2026, 1, 1)) == [
        utc(2026, 1, 31, 12),
        utc(2026, 2, 28, 12),
        utc(2026, 3, 31, 12),
    ]
    assert fires({"cron": "0 0 29 2 *"}, utc(2026, 1, 1), 1) == [utc(2028, 2, 29)]


def test_a_time_zone_moves_the_fires_with_daylight_saving() -> None:
    # 02:30 in Paris: +01:00 in winter, +02:00 in summer; 2026-03-29 02:30 does not exist.
    found = fires({"cron": "0 30 2 * * ?", "timezone": "Europe/Paris"}, utc(2026, 3, 27), 4)
    assert found == [
        utc(2026, 3, 27, 1, 30),
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),  # the gap: the first instant after it (03:00 local)
        utc(2026, 3, 30, 0, 30),
    ]


def test_a_repeated_wall_time_fires_once_in_the_fall_back_night() -> None:
    # 2026-10-25: 02:00-03:00 Paris happens twice (+02:00 then +01:00).
    found = fires({"cron": "0 30 2 * * ?", "timezone": "Europe/Paris"}, utc(2026, 10, 24), 3)
    assert found == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),  # the first 02:30 only
        utc(2026, 10, 26, 1, 30),
    ]


def test_a_sub_daily_schedule_keeps_firing_through_the_repeated_hour() -> None:
    found = fires({"cron": "0 0 * * * ?", "timezone": "Europe/Paris"}, utc(2026, 10, 24, 23), 4)
    assert found == [utc(2026, 10, 25, h) for h in (0, 1, 2, 3)]  # local 02:00, 02:00, 03:00, 04:00


def test_the_seed_iso_interval_repeats_for_ever_by_calendar() -> None:
    raw = {"expression": "R/2015-03-01T13:00:00Z/P1Y2M10DT2H30M"}
    assert fires(raw, utc(2015, 1, 1)) == [
        utc(2015, 3, 1, 13),
        utc(2016, 5, 11, 15, 30),
        utc(2017, 7, 21, 18, 0),
    ]
    assert fires(raw, utc(2016, 5, 11, 15, 30), 1) == [utc(2017, 7, 21, 18, 0)]


def test_an_interval_with_a_count_stops_and_months_follow_the_calendar() -> None:
    assert fires({"expression": "R3/2026-01-31T00:00:00Z/P1M"}, utc(2026, 1, 1), 5) == [
        utc(2026, 1, 31),
        utc(2026, 2, 28),
        utc(2026, 3, 31),
    ]


def test_every_second_interval_from_long_ago_is_found_quickly() -> None:
    raw = {"expression": "R/2000-01-01T00:00:00Z/PT1S"}
    assert fires(raw, utc(2026, 6, 1, 12, 0, 0, 500_000), 2) == [
        utc(2026, 6, 1, 12, 0, 1),
        utc(2026, 6, 1, 12, 0, 2),
    ]


def test_start_and_end_bound_the_fires_in_the_schedule_zone() -> None:
    raw = {
        "cron": "0 0 8 * * ?",
        "timezone": "Europe/Paris",
        "start": "2026-07-10T00:00:00",  # naive: Paris time
        "end": "2026-07-11T23:00:00",
    }
    assert fires(raw, utc(2026, 1, 1), 5) == [utc(2026, 7, 10, 6), utc(2026, 7, 11, 6)]


def test_cron_wins_when_the_seed_gives_both() -> None:
    raw = {
        "expression": "R/2015-03-01T13:00:00Z/P1Y2M10DT2H30M",
        "cron": "0 29 2 * * ? *",
        "start": "2015-03-31T16:56:57",
        "end": "2015-04-02T16:56:57",
    }
    assert fires(raw, utc(2015, 1, 1), 5) == [utc(2015, 4, 1, 2, 29), utc(2015, 4, 2, 2, 29)]


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        ({"cron": "0 29 2 * *  * * *"}, "schedule.cron", "fields"),
        ({"cron": "0 61 2 * * ?"}, "schedule.cron", "not a valid cron"),
        ({"expression": "P1D"}, "schedule.expression", "repeating interval"),
        ({"expression": "R/2015-03-01T13:00:00Z/P1Q"}, "schedule.expression", "P1Q"),
        ({"expression": "Rx/2015-03-01T13:00:00Z/P1D"}, "schedule.expression", "Rx"),
        ({"expression": "R/2015-03-01T13:00:00Z/PT0S"}, "schedule.expression", "positive"),
        ({"cron": "0 0 * * *", "timezone": "Mars/Base"}, "schedule.timezone", "Mars/Base"),
        ({"cron": "0 0 * * *", "start": "soon"}, "schedule.start", "soon"),
        (
            {"cron": "0 0 * * *", "start": "2026-02-01T00:00:00", "end": "2026-01-01T00:00:00"},
            "schedule.end",
            "before",
        ),
    ],
)
def test_invalid_schedules_say_what_is_wrong(raw: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_schedule(raw)
    assert caught.value.details["field"] == field
    assert says in caught.value.message
