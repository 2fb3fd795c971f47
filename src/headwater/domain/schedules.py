"""When a stream's schedule fires next: every form seed 002 shows, parsed by libraries.

- Quartz cron, seconds first, `?` and an optional year: `"0 29 2 * * ? *"`. Quartz numbers the
  days of the week 1 (SUN) to 7 (SAT); they are turned into cron's 0-6 before croniter sees them.
- Plain 5-field cron: `"29 2 * * *"`.
- ISO-8601 repeating intervals: `"R/2015-03-01T13:00:00Z/P1Y2M10DT2H30M"` (for ever) or `"R5/..."`
  (five runs in all), parsed by isodate (calendar-aware: P1M from Jan 31 is Feb 28).
- `start` and `end` bound the fires; `timezone` (IANA) is where cron fields and naive times are
  read. When both `cron` and `expression` are given (as in the seed), `cron` wins.

Daylight-saving changes: a wall time that does not exist (spring forward) fires at the first
instant after the gap; a wall time that occurs twice (fall back) fires once, at its first
occurrence, for schedules at fixed times of day. Sub-daily schedules (a `*` or step in the
hour field) keep firing through the repeated hour, since their point is elapsed time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import isodate
from croniter import CroniterError, croniter

from headwater.domain.errors import InvalidInput

_QUARTZ_DOW_NUMBER = re.compile(r"(?<![#\d])(\d+)")


@dataclass(frozen=True)
class Schedule:
    zone: ZoneInfo
    cron: str | None = None  # in croniter's syntax (seconds first when `seconds`)
    seconds: bool = False
    interval_start: datetime | None = None
    interval: timedelta | isodate.Duration | None = None
    repeats: int | None = None  # total runs of an interval schedule; None = for ever
    start: datetime | None = None
    end: datetime | None = None

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after `moment` (aware), in UTC; None if there is no more."""
        if self.start is not None and moment < self.start:
            moment = self.start - timedelta(microseconds=1)
        try:
            found = self._cron_after(moment) if self.cron else self._interval_after(moment)
        except (OverflowError, ValueError):  # `datetime` ends with the year 9999, and so do we
            return None
        if found is None or (self.end is not None and found > self.end):
            return None
        return found.astimezone(UTC)

    def _cron_after(self, moment: datetime) -> datetime | None:
        assert self.cron is not None
        local = moment.astimezone(self.zone)
        times = croniter(
            self.cron,
            local,
            ret_type=datetime,
            second_at_beginning=self.seconds,
            max_years_between_matches=50,
        )
        for _ in range(3):
            try:
                found: datetime = times.get_next()
            except CroniterError:
                return None
            if not (found.fold and self._fixed_time_of_day() and _ambiguous(found)):
                return found
        return None

    def _fixed_time_of_day(self) -> bool:
        assert self.cron is not None
        fields = self.cron.split()
        hour = fields[2] if self.seconds else fields[1]
        return hour.isdigit()

    def _interval_after(self, moment: datetime) -> datetime | None:
        assert self.interval_start is not None
        assert self.interval is not None
        if moment < self.interval_start:
            return self.interval_start
        # Jump close with the average length, then step exactly (calendar durations vary).
        step = _approximate(self.interval, self.interval_start)
        index = max(0, int((moment - self.interval_start) / step) - 1)
        while True:
            if self.repeats is not None and index >= self.repeats:
                return None
            fire: datetime = self.interval_start + self.interval * index
            if fire > moment:
                return fire
            index += 1


def parse_schedule(raw: dict[str, Any] | None) -> Schedule | None:
    """The schedule in a stream's `schedule` object; None when it has no cron or expression.
    Raises InvalidInput saying what is wrong."""
    if not raw:
        return None
    zone = _zone(raw.get("timezone") or raw.get("timeZone") or "UTC")
    start = _moment(raw.get("start"), zone, "start")
    end = _moment(raw.get("end"), zone, "end")
    if start and end and end < start:
        raise InvalidInput("schedule.end is before schedule.start", field="schedule.end")
    cron = raw.get("cron") or None
    expression = raw.get("expression") or None
    if cron:
        text, seconds = _cron(str(cron))
        return Schedule(zone=zone, cron=text, seconds=seconds, start=start, end=end)
    if expression:
        first, interval, repeats = _repeating_interval(str(expression))
        return Schedule(
            zone=zone,
            interval_start=first,
            interval=interval,
            repeats=repeats,
            start=start,
            end=end,
        )
    return None


def _cron(text: str) -> tuple[str, bool]:
    fields = text.split()
    if len(fields) == 5:
        expression, seconds = text, False
    elif len(fields) in (6, 7):  # Quartz: seconds first, optional year
        fields[5] = _QUARTZ_DOW_NUMBER.sub(lambda m: str(int(m.group(1)) - 1), fields[5])
        expression, seconds = " ".join(fields), True
    else:
        raise InvalidInput(
            f"schedule.cron {text!r} has {len(fields)} fields; use 5 (minute hour day month "
            "weekday) or Quartz's 6-7 (second minute hour day month weekday [year])",
            field="schedule.cron",
        )
    if not croniter.is_valid(expression, second_at_beginning=seconds):
        raise InvalidInput(
            f"schedule.cron {text!r} is not a valid cron expression", field="schedule.cron"
        )
    return expression, seconds


def _repeating_interval(text: str) -> tuple[datetime, timedelta | isodate.Duration, int | None]:
    parts = text.split("/")
    if len(parts) != 3 or not parts[0].startswith("R"):
        raise InvalidInput(
            f"schedule.expression {text!r} is not an ISO-8601 repeating interval "
            "(R[n]/<start>/<duration>, e.g. R/2015-03-01T13:00:00Z/P1D)",
            field="schedule.expression",
        )
    count = parts[0][1:]
    if count and not count.isdigit():
        raise InvalidInput(
            f"schedule.expression: {parts[0]!r} is not R or R<n>", field="schedule.expression"
        )
    try:
        first = isodate.parse_datetime(parts[1])
        interval = isodate.parse_duration(parts[2])
    except (isodate.ISO8601Error, ValueError) as exc:
        raise InvalidInput(
            f"schedule.expression {text!r}: {exc}", field="schedule.expression"
        ) from None
    if first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    try:
        step = _approximate(interval, first)
    except (OverflowError, ValueError):
        raise InvalidInput(
            "schedule.expression: the duration reaches past the year 9999",
            field="schedule.expression",
        ) from None
    if step <= timedelta(0):
        raise InvalidInput(
            "schedule.expression: the duration must be positive", field="schedule.expression"
        )
    return first, interval, int(count) if count else None


def _approximate(interval: timedelta | isodate.Duration, at: datetime) -> timedelta:
    if isinstance(interval, timedelta):
        return interval
    result: datetime = at + interval
    return result - at


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"schedule time zone {name!r} is unknown; use an IANA name such as Europe/Paris",
            field="schedule.timezone",
        ) from None


def _moment(value: Any, zone: ZoneInfo, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"schedule.{name} {value!r} is not an ISO-8601 date-time", field=f"schedule.{name}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _ambiguous(moment: datetime) -> bool:
    """Whether this wall time occurs twice in its zone (a fall-back hour)."""
    other = moment.replace(fold=1 - moment.fold)
    return other.utcoffset() != moment.utcoffset()
