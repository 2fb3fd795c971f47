"""Quality checks: rules a load must pass before it enters its dataset.

A dataset holds an ordered list of named checks and one `OnFailure` for them all (a check
set). They run on the staged data of an upload or a connector run, before the commit:

- *row checks* judge each row: NOT_NULL, UNIQUE (one or more columns), ACCEPTED_VALUES,
  RANGE (inclusive) and REGEX (the whole value must match);
- *load checks* judge the load as a whole: ROW_COUNT (min/max rows) and FRESHNESS (the newest
  value of a DATETIME column at most N hours before the load; an empty load passes it, as
  there is nothing to judge: ROW_COUNT is the check for emptiness).

On failure, FAIL ends the execution in ERROR and commits nothing. QUARANTINE commits the
rows that pass every row check and sends the others, with the names of the checks they
failed, to a companion dataset `<name> (quarantine)`; a failed load check singles out no row,
so it fails the run in either mode.

NULL passes every row check but NOT_NULL (as in SQL constraints: combine with NOT_NULL to
forbid it); a UNIQUE key with a NULL in it is not compared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from headwater.domain.check_values import Scalar, check_value
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput

MAX_CHECKS = 100
MAX_VALUES = 1000
MAX_TOTAL_VALUES = 10_000  # ACCEPTED_VALUES over all of a dataset's checks: bounds each load's cost
MAX_PATTERN_CHARS = 1000
NAME_CHARS = 255
MAX_AGE_HOURS = 1_000_000  # FRESHNESS: about 114 years

QUARANTINE_SUFFIX = " (quarantine)"
REASON_COLUMN = "_check"  # in the quarantine dataset: the checks the row failed
EXECUTION_COLUMN = "_execution"  # in the quarantine dataset: the execution that loaded it
REASON_SEPARATOR = "; "


class CheckKind(Enum):
    NOT_NULL = "NOT_NULL"
    UNIQUE = "UNIQUE"
    ACCEPTED_VALUES = "ACCEPTED_VALUES"
    RANGE = "RANGE"
    REGEX = "REGEX"
    ROW_COUNT = "ROW_COUNT"
    FRESHNESS = "FRESHNESS"

    @property
    def per_row(self) -> bool:
        """A row check judges each row; the others judge the load as a whole."""
        return self not in (CheckKind.ROW_COUNT, CheckKind.FRESHNESS)


class OnFailure(Enum):
    FAIL = "FAIL"
    QUARANTINE = "QUARANTINE"


NUMBERS = frozenset({ColumnType.LONG, ColumnType.DOUBLE, ColumnType.DECIMAL})
ORDERED = NUMBERS | {ColumnType.DATE, ColumnType.DATETIME}

# The wire fields each kind takes (besides name and type); any other given is a 400.
FIELDS = {
    CheckKind.NOT_NULL: ("column",),
    CheckKind.UNIQUE: ("columns",),
    CheckKind.ACCEPTED_VALUES: ("column", "values"),
    CheckKind.RANGE: ("column", "min", "max"),
    CheckKind.REGEX: ("column", "pattern"),
    CheckKind.ROW_COUNT: ("min", "max"),
    CheckKind.FRESHNESS: ("column", "maxAgeHours"),
}


@dataclass(frozen=True)
class Check:
    """One validated check. Values are normalized for their column's type: numbers as
    numbers (DECIMAL as exact text), DATE as `YYYY-MM-DD`, DATETIME as ISO text in UTC."""

    name: str
    kind: CheckKind
    columns: tuple[str, ...] = ()  # one column; for UNIQUE one or more
    values: tuple[Scalar, ...] = ()
    min: Scalar | None = None
    max: Scalar | None = None
    pattern: str | None = None
    max_age_hours: float | None = None

    @property
    def column(self) -> str:
        return self.columns[0]

    def as_dict(self) -> dict[str, Any]:
        """The check as the API shows it (and as it is stored): only its own fields."""
        body: dict[str, Any] = {"name": self.name, "type": self.kind.value}
        if self.kind is CheckKind.UNIQUE:
            body["columns"] = list(self.columns)
        elif self.columns:
            body["column"] = self.column
        if self.kind is CheckKind.ACCEPTED_VALUES:
            body["values"] = list(self.values)
        if self.kind in (CheckKind.RANGE, CheckKind.ROW_COUNT):
            body["min"] = self.min
            body["max"] = self.max
        if self.pattern is not None:
            body["pattern"] = self.pattern
        if self.max_age_hours is not None:
            body["maxAgeHours"] = self.max_age_hours
        return body


def check_from_dict(body: Mapping[str, Any]) -> Check:
    """A stored check, read back (it was validated when it was set)."""
    kind = CheckKind(body["type"])
    columns = body.get("columns") or ([body["column"]] if body.get("column") else [])
    return Check(
        name=body["name"],
        kind=kind,
        columns=tuple(columns),
        values=tuple(body.get("values") or ()),
        min=body.get("min"),
        max=body.get("max"),
        pattern=body.get("pattern"),
        max_age_hours=body.get("maxAgeHours"),
    )


@dataclass
class CheckSet:
    """A dataset's checks, the one `on_failure` for them, and its quarantine dataset (made
    on the first load that needs it)."""

    dataset_id: str
    on_failure: OnFailure = OnFailure.FAIL
    checks: list[Check] = field(default_factory=list)
    quarantine_dataset_id: str | None = None
    modified_at: datetime | None = None
    modified_by: int | None = None


# -- defining checks (what a PUT sends) -----------------------------------------------------
@dataclass(frozen=True)
class CheckSpec:
    """A check as a client wrote it; `define` validates it. None means "not given"."""

    name: Any = None
    type: Any = None
    column: Any = None
    columns: Any = None
    values: Any = None
    min: Any = None
    max: Any = None
    pattern: Any = None
    max_age_hours: Any = None

    def given(self) -> list[str]:
        wire = {
            "column": self.column,
            "columns": self.columns,
            "values": self.values,
            "min": self.min,
            "max": self.max,
            "pattern": self.pattern,
            "maxAgeHours": self.max_age_hours,
        }
        return [name for name, value in wire.items() if value is not None]


def spec_of(check: Check) -> CheckSpec:
    body = check.as_dict()
    return CheckSpec(
        name=body["name"],
        type=body["type"],
        column=body.get("column"),
        columns=body.get("columns"),
        values=body.get("values"),
        min=body.get("min"),
        max=body.get("max"),
        pattern=body.get("pattern"),
        max_age_hours=body.get("maxAgeHours"),
    )


def define(specs: Sequence[CheckSpec], columns: Sequence[Column]) -> list[Check]:
    """Validated checks, column names spelled as the schema spells them. A problem is a 400
    naming the field (`checks[2].column`)."""
    if len(specs) > MAX_CHECKS:
        raise InvalidInput(f"at most {MAX_CHECKS} checks per dataset", field="checks")
    by_name = {c.name.lower(): c for c in columns}
    names: set[str] = set()
    checks = []
    total = 0  # accepted values so far
    for index, spec in enumerate(specs):
        where = f"checks[{index}]"
        name = _name(spec.name, where)
        if name.lower() in names:
            raise InvalidInput(
                f"{where}.name {name!r} is taken by another check; names must differ (any case)",
                field=f"{where}.name",
            )
        names.add(name.lower())
        kind = _kind(spec.type, where)
        for given in spec.given():
            if given not in FIELDS[kind]:
                raise InvalidInput(
                    f"{where}.{given} does not apply to a {kind.value} check (it takes "
                    f"{', '.join(FIELDS[kind])})",
                    field=f"{where}.{given}",
                )
        if isinstance(spec.values, list):
            total += len(spec.values)
            if total > MAX_TOTAL_VALUES:
                raise InvalidInput(
                    f"{where}.values brings the accepted values of all checks to {total}; at "
                    f"most {MAX_TOTAL_VALUES} are allowed across a dataset's checks",
                    field=f"{where}.values",
                )
        checks.append(_define(name, kind, spec, by_name, where))
    return checks


def _name(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(f"{where}.name must be a non-empty text", field=f"{where}.name")
    name = raw.strip()
    if len(name) > NAME_CHARS:
        raise InvalidInput(
            f"{where}.name is longer than {NAME_CHARS} characters", field=f"{where}.name"
        )
    return name


def _kind(raw: Any, where: str) -> CheckKind:
    try:
        return CheckKind(str(raw).strip().upper())
    except ValueError:
        allowed = ", ".join(k.value for k in CheckKind)
        raise InvalidInput(
            f"{where}.type {raw!r} is not a check type; use one of {allowed}",
            field=f"{where}.type",
        ) from None


def _define(
    name: str, kind: CheckKind, spec: CheckSpec, by_name: Mapping[str, Column], where: str
) -> Check:
    if kind is CheckKind.ROW_COUNT:
        low = _count(spec.min, f"{where}.min")
        high = _count(spec.max, f"{where}.max")
        _bounds(low, high, where)
        return Check(name, kind, min=low, max=high)
    if kind is CheckKind.UNIQUE:
        keys = _column_list(spec.columns, by_name, f"{where}.columns")
        return Check(name, kind, columns=tuple(c.name for c in keys))
    column = _column(spec.column, by_name, f"{where}.column")
    if kind is CheckKind.NOT_NULL:
        return Check(name, kind, columns=(column.name,))
    if kind is CheckKind.ACCEPTED_VALUES:
        values = spec.values
        if not isinstance(values, list) or not values:
            raise InvalidInput(f"{where}.values must be a non-empty list", field=f"{where}.values")
        if len(values) > MAX_VALUES:
            raise InvalidInput(
                f"{where}.values holds more than {MAX_VALUES} values", field=f"{where}.values"
            )
        accepted = tuple(
            check_value(v, column, f"{where}.values[{i}]") for i, v in enumerate(values)
        )
        return Check(name, kind, columns=(column.name,), values=accepted)
    if kind is CheckKind.RANGE:
        _typed(column, ORDERED, f"{where}.column", "a number, a date or a datetime")
        lowest = None if spec.min is None else check_value(spec.min, column, f"{where}.min")
        highest = None if spec.max is None else check_value(spec.max, column, f"{where}.max")
        _bounds(lowest, highest, where, column.type)
        return Check(name, kind, columns=(column.name,), min=lowest, max=highest)
    if kind is CheckKind.REGEX:
        _typed(column, frozenset({ColumnType.STRING}), f"{where}.column", "text (STRING)")
        pattern = spec.pattern
        if not isinstance(pattern, str) or not pattern:
            raise InvalidInput(
                f"{where}.pattern must be a non-empty text", field=f"{where}.pattern"
            )
        if len(pattern) > MAX_PATTERN_CHARS:
            raise InvalidInput(
                f"{where}.pattern is longer than {MAX_PATTERN_CHARS} characters",
                field=f"{where}.pattern",
            )
        return Check(name, kind, columns=(column.name,), pattern=pattern)
    # FRESHNESS
    _typed(column, frozenset({ColumnType.DATETIME}), f"{where}.column", "a DATETIME")
    hours = spec.max_age_hours
    if isinstance(hours, Decimal):  # as the API decodes a number with a point
        hours = float(hours)
    if (
        isinstance(hours, bool)
        or not isinstance(hours, int | float)
        or not math.isfinite(hours)
        or not 0 < hours <= MAX_AGE_HOURS
    ):
        raise InvalidInput(
            f"{where}.maxAgeHours must be a number of hours above 0, at most {MAX_AGE_HOURS}",
            field=f"{where}.maxAgeHours",
        )
    return Check(name, kind, columns=(column.name,), max_age_hours=float(hours))


def _column(raw: Any, by_name: Mapping[str, Column], field_name: str) -> Column:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(f"{field_name} must name a column", field=field_name)
    column = by_name.get(raw.strip().lower())
    if column is None:
        known = ", ".join(c.name for c in by_name.values()) or "none"
        raise InvalidInput(
            f"{field_name} {raw!r} is not a column of the dataset (columns: {known})",
            field=field_name,
        )
    return column


def _column_list(raw: Any, by_name: Mapping[str, Column], field_name: str) -> list[Column]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(
            f"{field_name} must be a non-empty list of column names", field=field_name
        )
    keys = [_column(name, by_name, f"{field_name}[{i}]") for i, name in enumerate(raw)]
    if len({k.name for k in keys}) != len(keys):
        raise InvalidInput(f"{field_name} names a column twice", field=field_name)
    return keys


def _typed(column: Column, allowed: frozenset[ColumnType], field_name: str, what: str) -> None:
    if column.type not in allowed:
        raise InvalidInput(
            f"{field_name} {column.name!r} is {column.type.value}; this check needs {what}",
            field=field_name,
        )


def _count(raw: Any, field_name: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidInput(f"{field_name} must be a whole number, 0 or more", field=field_name)
    return raw


def _order_key(value: Scalar, column_type: ColumnType | None) -> Any:
    if column_type in NUMBERS or column_type is None:
        return Decimal(str(value))
    return str(value)  # ISO dates and datetimes sort as text


def _bounds(
    low: Scalar | None, high: Scalar | None, where: str, column_type: ColumnType | None = None
) -> None:
    if low is None and high is None:
        raise InvalidInput(
            f"{where}.min and {where}.max are both missing; give one or both",
            field=f"{where}.min",
        )
    if (
        low is not None
        and high is not None
        and _order_key(low, column_type) > _order_key(high, column_type)
    ):
        raise InvalidInput(f"{where}.min is above {where}.max", field=f"{where}.min")


def quarantine_columns(columns: Sequence[Column]) -> list[Column]:
    """The quarantine dataset's schema: the dataset's, then the reason and the execution."""
    taken = {c.name.lower() for c in columns}
    for extra in (REASON_COLUMN, EXECUTION_COLUMN):
        if extra in taken:
            raise InvalidInput(
                f"the dataset has a column named {extra!r}, which its quarantine dataset "
                "needs for itself; rename the column or use onFailure FAIL",
                field="onFailure",
            )
    return [
        *columns,
        Column(REASON_COLUMN, ColumnType.STRING),
        Column(EXECUTION_COLUMN, ColumnType.LONG),
    ]


def quarantine_name(name: str) -> str:
    return name[: NAME_CHARS - len(QUARANTINE_SUFFIX)] + QUARANTINE_SUFFIX
