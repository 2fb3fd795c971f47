"""Streams: a dataset fed by a transport (an upload API or a connector) on some schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headwater.domain.advanced_schedules import advanced_to_schedule
from headwater.domain.datasets import UpdateMethod
from headwater.domain.errors import InvalidInput
from headwater.domain.retries import RetryPolicy
from headwater.domain.schedules import Schedule, parse_schedule
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaPolicy

API_TRANSPORT = "API"
CONNECTOR_TRANSPORT = "CONNECTOR"


@dataclass(frozen=True)
class ConfigEntry:
    name: str
    value: Any
    type: str = "string"
    category: str = "METADATA"


@dataclass
class Transport:
    type: str = API_TRANSPORT
    version: str = "1"
    description: str = ""

    @property
    def is_upload(self) -> bool:
        """API streams wait for parts; every other transport runs a connector."""
        return self.type.upper() == API_TRANSPORT


@dataclass
class Stream:
    id: int
    dataset_id: str
    owner_id: int
    transport: Transport
    update_method: UpdateMethod
    created_at: datetime
    modified_at: datetime
    created_by: int
    modified_by: int
    configured_by: int | None = None  # who last set the account or configuration
    data_provider_key: str = "api"
    account_id: int | None = None
    configuration: list[ConfigEntry] = field(default_factory=list)
    key_columns: list[str] = field(default_factory=list)
    schedule: dict[str, Any] | None = None
    advanced_schedule_json: str | None = None
    schedule_active: bool = True
    next_run_at: datetime | None = None  # the next tick the scheduler will claim
    retry_policy: RetryPolicy | None = None  # None: the operator's default
    retry_due_at: datetime | None = None  # a failed scheduled run waits to be retried
    retry_of: int | None = None  # ... this execution
    schema_policy: SchemaPolicy | None = None  # None: the default, EVOLVE

    @property
    def policy(self) -> SchemaPolicy:
        """What a load does when its columns differ from the dataset's."""
        return self.schema_policy or DEFAULT_POLICY

    @property
    def chooser(self) -> int:
        """Who chose where the stream's own configuration connects (with no account)."""
        return self.modified_by if self.configured_by is None else self.configured_by

    def timetable(self) -> Schedule | None:
        """When this stream runs by itself: `schedule` (cron or ISO-8601 interval), else
        `advancedScheduleJson`; None for streams that run only on demand."""
        return timetable_of(self.schedule, self.advanced_schedule_json)

    def next_run_after(self, moment: datetime) -> datetime | None:
        """The first tick after `moment`, or None: paused, on demand, past its end, or an
        upload stream (those run when a client sends parts, never by the clock)."""
        if not self.schedule_active or self.transport.is_upload:
            return None
        timetable = self.timetable()
        return timetable.next_after(moment) if timetable else None

    @property
    def schedule_state(self) -> str:
        """MANUAL (no schedule), PAUSED (set inactive), ACTIVE (a next run is due), or
        ENDED (its end or repeat count has passed)."""
        if self.timetable() is None or self.transport.is_upload:
            return "MANUAL"
        if not self.schedule_active:
            return "PAUSED"
        return "ACTIVE" if self.next_run_at is not None else "ENDED"

    def config_value(self, name: str, default: Any = None) -> Any:
        for entry in self.configuration:
            if entry.name == name:
                return entry.value
        return default

    def config_dict(self) -> dict[str, Any]:
        return {entry.name: entry.value for entry in self.configuration}


def parse_configuration(raw: Any, *, field_name: str = "configuration") -> list[ConfigEntry]:
    """Every form the seeds show: a list of `{name|key, value, type}`, a list of one-key maps
    (`[{"name1": "value1"}]`), or a map `{name: {value, type}}` / `{name: value}`."""
    if raw is None:
        return []
    entries: list[ConfigEntry] = []
    if isinstance(raw, dict):
        for name, spec in raw.items():
            if isinstance(spec, dict) and "value" in spec:
                entries.append(
                    ConfigEntry(
                        str(name),
                        spec["value"],
                        str(spec.get("type", "string")),
                        str(spec.get("category", "METADATA")),
                    )
                )
            else:
                entries.append(ConfigEntry(str(name), spec))
        return entries
    if not isinstance(raw, list):
        raise InvalidInput(f"{field_name} must be a list or an object", field=field_name)
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidInput(f"{field_name}[{index}] must be an object", field=field_name)
        name = item.get("name", item.get("key"))
        if name is not None and "value" in item:
            entries.append(
                ConfigEntry(
                    str(name),
                    item["value"],
                    str(item.get("type", "string")),
                    str(item.get("category", "METADATA")),
                )
            )
        elif name is None and len(item) == 1:
            ((key, value),) = item.items()
            entries.append(ConfigEntry(str(key), value))
        else:
            raise InvalidInput(
                f"{field_name}[{index}] needs a name (or key) and a value", field=field_name
            )
    return entries


def parse_update_method(raw: Any, *, default: UpdateMethod = UpdateMethod.REPLACE) -> UpdateMethod:
    if raw is None or raw == "":
        return default
    try:
        return UpdateMethod(str(raw).strip().upper())
    except ValueError:
        raise InvalidInput(
            f"unknown updateMethod {raw!r}; use REPLACE, APPEND or UPSERT", field="updateMethod"
        ) from None


SCHEDULE_TEXT_FIELDS = ("expression", "cron", "start", "end", "timezone", "timeZone")


def timetable_of(schedule: dict[str, Any] | None, advanced: str | None) -> Schedule | None:
    return parse_schedule(schedule) or parse_schedule(advanced_to_schedule(advanced))


def check_schedulable(transport: Transport, timetable: Schedule | None) -> None:
    if timetable is not None and transport.is_upload:
        raise InvalidInput(
            "an API stream runs when a client uploads parts, so it cannot have a schedule; "
            "schedules are for connector streams",
            field="schedule",
        )


def validate_schedule(raw: Any) -> dict[str, Any] | None:
    """A schedule object of text fields whose cron or ISO-8601 interval, bounds and time zone
    parse (`headwater.domain.schedules`); a 400 says what is wrong."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("schedule must be an object", field="schedule")
    for key in SCHEDULE_TEXT_FIELDS:
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise InvalidInput(f"schedule.{key} must be text", field=f"schedule.{key}")
    parse_schedule(raw)
    if "active" in raw and not isinstance(raw["active"], bool):
        raise InvalidInput("schedule.active must be true or false", field="schedule.active")
    return raw
