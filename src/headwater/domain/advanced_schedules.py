"""Domo's `advancedScheduleJson`, read as a cron schedule.

Domo writes it as a JSON string. Two forms are known from real clients:
`{"type":"MANUAL","timezone":"UTC"}` (no schedule) and
`{"type":"DAY","at":"12:09 PM","timezone":"UTC"}` (daily at a wall time). Headwater reads
those and the natural neighbours of the second, documented in docs/api.md:

- `{"type":"MINUTE","interval":15}` every 15 minutes (on the clock: :00, :15, ...);
- `{"type":"HOUR","interval":2,"at":":30"}` at half past every second hour (`minute` works too);
- `{"type":"DAY","at":"06:00 AM"}` (12-hour with AM/PM, or 24-hour `"18:30"`);
- `{"type":"WEEK","at":"06:00","days":["MON","THU"]}` (`daysOfWeek` too);
- `{"type":"MONTH","at":"06:00","days":[1,15,"L"]}` (`daysOfMonth` too; `L` = last day).

`timezone` (IANA) defaults to UTC. An empty object, or `type` MANUAL or NONE, is no schedule.
"""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from headwater.domain.errors import InvalidInput

FIELD = "advancedScheduleJson"
_AT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*([AaPp][Mm])?\s*$")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def advanced_to_schedule(text: str | None) -> dict[str, Any] | None:
    """The `schedule` object (`cron`, `timezone`) this JSON means; None for no schedule.
    Raises InvalidInput naming what is wrong."""
    if not text:
        return None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{FIELD} is not JSON: {exc.msg}", field=FIELD) from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{FIELD} must be a JSON object", field=FIELD)
    kind = str(raw.get("type") or "MANUAL").strip().upper()
    if kind in ("MANUAL", "NONE"):
        return None
    timezone = str(raw.get("timezone") or raw.get("timeZone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{FIELD}.timezone {timezone!r} is unknown; use an IANA name such as America/Denver",
            field=f"{FIELD}.timezone",
        ) from None
    builders = {
        "MINUTE": _every_minutes,
        "HOUR": _hourly,
        "DAY": _daily,
        "WEEK": _weekly,
        "MONTH": _monthly,
    }
    builder = builders.get(kind)
    if builder is None:
        raise InvalidInput(
            f"{FIELD}.type {kind!r} is unknown; use MANUAL, MINUTE, HOUR, DAY, WEEK or MONTH",
            field=f"{FIELD}.type",
        )
    return {"cron": builder(raw), "timezone": timezone}


def _every_minutes(raw: dict[str, Any]) -> str:
    interval = _interval(raw, 59)
    return "* * * * *" if interval == 1 else f"*/{interval} * * * *"


def _hourly(raw: dict[str, Any]) -> str:
    interval = _interval(raw, 23)
    minute = raw.get("minute")
    if minute is None and raw.get("at"):
        minute = str(raw["at"]).strip().lstrip(":").split(":")[-1]
    minute_value = _bounded(minute if minute is not None else 0, 0, 59, "minute")
    hours = "*" if interval == 1 else f"*/{interval}"
    return f"{minute_value} {hours} * * *"


def _daily(raw: dict[str, Any]) -> str:
    hour, minute = _at(raw)
    return f"{minute} {hour} * * *"


def _weekly(raw: dict[str, Any]) -> str:
    hour, minute = _at(raw)
    days = raw.get("days", raw.get("daysOfWeek"))
    if not isinstance(days, list) or not days:
        raise InvalidInput(f'{FIELD}: a WEEK schedule needs days, e.g. ["MON"]', field=FIELD)
    names = []
    for day in days:
        name = str(day).strip().upper()[:3]
        if name not in _WEEKDAYS:
            raise InvalidInput(f"{FIELD}: {day!r} is not a day of the week", field=FIELD)
        names.append(name)
    return f"{minute} {hour} * * {','.join(names)}"


def _monthly(raw: dict[str, Any]) -> str:
    hour, minute = _at(raw)
    days = raw.get("days", raw.get("daysOfMonth"))
    if not isinstance(days, list) or not days:
        raise InvalidInput(f"{FIELD}: a MONTH schedule needs days, e.g. [1, 15]", field=FIELD)
    values = [
        "L" if str(day).strip().upper() == "L" else str(_bounded(day, 1, 31, "day")) for day in days
    ]
    return f"{minute} {hour} {','.join(values)} * *"


def _at(raw: dict[str, Any]) -> tuple[int, int]:
    text = raw.get("at")
    match = _AT.match(str(text)) if text is not None else None
    if match is None:
        raise InvalidInput(
            f'{FIELD}.at {text!r} is not a time of day such as "06:00 AM" or "18:30"',
            field=f"{FIELD}.at",
        )
    hour, minute, half = int(match.group(1)), int(match.group(2)), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"{FIELD}.at {text!r}: the hour must be 1-12", field=f"{FIELD}.at")
        hour = hour % 12 + (12 if half.upper() == "PM" else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{FIELD}.at {text!r} is not a time of day", field=f"{FIELD}.at")
    return hour, minute


def _interval(raw: dict[str, Any], most: int) -> int:
    return _bounded(raw.get("interval", 1), 1, most, "interval")


def _bounded(value: Any, low: int, high: int, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise InvalidInput(
            f"{FIELD}.{name} {value!r} must be a whole number from {low} to {high}",
            field=f"{FIELD}.{name}",
        )
    return number
