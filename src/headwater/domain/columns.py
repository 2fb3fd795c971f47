"""A dataset's columns and their types.

DECIMAL has a size, as SQL's DECIMAL(p, s): a precision (1 to 38 digits in all) and a scale
(0 to precision of them after the point). A DECIMAL given without a size is DECIMAL(38, 9),
what every DECIMAL column was before columns had sizes, so stored schemas and clients that
send a bare DECIMAL keep their meaning; a precision without a scale means scale 0, as in SQL.
No other type has a size.

A decimal value is checked against a size exactly (`decimal_problem`): never through a float,
never rounded. Sources whose decimals do not fit a DECIMAL column (a negative scale, more than
38 digits, PostgreSQL's NUMERIC without a size) are read at the size `decimal_for_source`
gives, and a value that does not fit it fails the read, naming the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from headwater.domain.errors import InvalidInput

MAX_PRECISION = 38  # what Arrow's decimal128, Delta Lake, Parquet and DuckDB all hold
DEFAULT_PRECISION = 38
DEFAULT_SCALE = 9
# `DECIMAL`, `DECIMAL(12)`, `DECIMAL(12,2)`, `decimal( 12 , 2 )`
# ASCII digits only: `\d` would read full-width digits (U+FF11 U+FF12) as 12.
_TYPE_TEXT = re.compile(
    r"^\s*([A-Za-z]+)\s*(?:\(\s*([0-9]{1,9})\s*(?:,\s*([0-9]{1,9})\s*)?\))?\s*$"
)


class ColumnType(Enum):
    STRING = "STRING"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    DECIMAL = "DECIMAL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    BOOLEAN = "BOOLEAN"

    @classmethod
    def parse(cls, raw: str, *, field_name: str = "schema.columns[].type") -> ColumnType:
        try:
            return cls(raw.strip().upper())
        except (ValueError, AttributeError):
            allowed = ", ".join(t.value for t in cls)
            raise InvalidInput(
                f"unknown column type {raw!r}; use one of {allowed} (DECIMAL may carry a "
                "size: DECIMAL(12,2))",
                field=field_name,
            ) from None


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    precision: int | None = None  # DECIMAL only; filled in (38, 9 by default) when made
    scale: int | None = None

    def __post_init__(self) -> None:
        if self.type is not ColumnType.DECIMAL:
            if self.precision is not None or self.scale is not None:
                raise InvalidInput(
                    f"column {self.name!r}: only a DECIMAL column has a precision and a scale",
                    column=self.name,
                )
            return
        precision, scale = _sized(self.precision, self.scale)
        _check_size(precision, scale, f"column {self.name!r}: ", None)
        object.__setattr__(self, "precision", precision)
        object.__setattr__(self, "scale", scale)

    @property
    def decimal_size(self) -> tuple[int, int]:
        """(precision, scale) of a DECIMAL column."""
        if self.precision is None or self.scale is None:
            raise ValueError(f"column {self.name!r} is {self.type.value}, not DECIMAL")
        return self.precision, self.scale

    @property
    def type_text(self) -> str:
        """`DECIMAL(12,2)` for a decimal, the type's name for the others."""
        if self.precision is not None:
            return f"DECIMAL({self.precision},{self.scale})"
        return self.type.value


def parse_column(
    name: str, type_text: str, precision: object = None, scale: object = None, *, field: str
) -> Column:
    """A column from the wire: `type` as a name (`DECIMAL`) or with a size (`DECIMAL(12,2)`),
    `precision` and `scale` as numbers beside it. `field` names the column in errors
    (`schema.columns[0]`)."""
    found = _TYPE_TEXT.match(type_text) if isinstance(type_text, str) else None
    kind = ColumnType.parse(found.group(1) if found else str(type_text), field_name=f"{field}.type")
    size_in_text = found is not None and found.group(2) is not None
    if kind is not ColumnType.DECIMAL:
        if size_in_text or precision is not None or scale is not None:
            raise InvalidInput(
                f"only a DECIMAL column has a precision and a scale, not {kind.value}",
                field=f"{field}.precision" if precision is not None else f"{field}.type",
            )
        return Column(name, kind)
    if size_in_text and found is not None:
        if precision is not None or scale is not None:
            raise InvalidInput(
                f"the type {type_text!r} gives a size: leave out precision and scale, or "
                "send DECIMAL with them",
                field=f"{field}.type",
            )
        precision = int(found.group(2))
        scale = int(found.group(3)) if found.group(3) is not None else 0
    checked_precision = _whole(precision, f"{field}.precision")
    checked_scale = _whole(scale, f"{field}.scale")
    sized = _sized(checked_precision, checked_scale)
    _check_size(*sized, "", field)
    return Column(name, kind, *sized)


def decimal_problem(value: Decimal, precision: int, scale: int) -> str | None:
    """Why `value` does not fit DECIMAL(precision, scale) exactly (`has 3 digits after the
    point, ...`, for the caller to put after the value it shows), or None if it does.
    Trailing zeros after the point cost nothing (1.230 fits DECIMAL(5,2)); nothing is
    rounded. Works on the digits, so no arithmetic context can round them first."""
    if not value.is_finite():
        return "is not a finite number"
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    if not any(digits):
        return None  # zero, at whatever scale it was written (0E-12 too)
    kept = list(digits)
    while kept[-1] == 0 and exponent < 0:
        kept.pop()
        exponent += 1
    after_point = max(0, -exponent)
    before_point = max(0, len(kept) + exponent)
    shown = f"DECIMAL({precision},{scale})"
    if after_point > scale:
        return f"has {_digits(after_point)} after the point, and {shown} keeps {scale}"
    if before_point > precision - scale:
        return (
            f"has {_digits(before_point)} before the point, and {shown} holds {precision - scale}"
        )
    return None


def _digits(count: int) -> str:
    return "1 digit" if count == 1 else f"{count} digits"


def decimal_for_source(precision: int | None, scale: int | None) -> tuple[int, int]:
    """The DECIMAL size that reads a source's decimal type (precision and scale as the source
    declares them; None when it declares none, as PostgreSQL's bare NUMERIC). A size a column
    can hold is kept as it is. A negative scale (PostgreSQL's NUMERIC(5,-2): multiples of 100)
    becomes scale 0 with the digits it implies; a scale above the precision (NUMERIC(2,5):
    below 0.001) becomes DECIMAL(5,5). More than 38 digits, or no size at all, is read as
    DECIMAL(38, 9), or at the declared scale if that is smaller: the default decimal, whose
    29 digits before the point suit amounts. A value that does not fit fails the read."""
    if precision is None or precision < 1:
        return DEFAULT_PRECISION, DEFAULT_SCALE
    if scale is None:
        scale = 0
    if scale < 0:
        precision, scale = precision - scale, 0
    elif scale > precision:
        precision = scale
    if precision > MAX_PRECISION:
        return MAX_PRECISION, min(scale, DEFAULT_SCALE)
    return precision, scale


def decimal_holds(outer: tuple[int, int], inner: tuple[int, int]) -> bool:
    """Whether every DECIMAL(inner) value fits DECIMAL(outer) exactly: at least as many
    digits after the point and before it. DECIMAL(10,2) → DECIMAL(12,2) or DECIMAL(12,4) is a
    widening; DECIMAL(12,2) → DECIMAL(12,4) is not (two digits fewer before the point)."""
    return outer[1] >= inner[1] and outer[0] - outer[1] >= inner[0] - inner[1]


def validate_columns(columns: list[Column]) -> list[Column]:
    seen: set[str] = set()
    for index, column in enumerate(columns):
        if not column.name or not column.name.strip():
            raise InvalidInput(
                f"column {index} has an empty name", field=f"schema.columns[{index}].name"
            )
        key = column.name.lower()
        if key in seen:
            raise InvalidInput(
                f"column name {column.name!r} appears twice (names are case-insensitive)",
                field=f"schema.columns[{index}].name",
            )
        seen.add(key)
    return columns


def _sized(precision: int | None, scale: int | None) -> tuple[int, int]:
    if precision is None and scale is None:
        return DEFAULT_PRECISION, DEFAULT_SCALE
    return (DEFAULT_PRECISION if precision is None else precision), (scale or 0)


def _check_size(precision: int, scale: int, prefix: str, field: str | None) -> None:
    problem, part = None, "precision"
    if not 1 <= precision <= MAX_PRECISION:
        problem = f"a DECIMAL's precision is 1 to {MAX_PRECISION} digits, not {precision}"
    elif not 0 <= scale <= precision:
        problem, part = (
            f"a DECIMAL's scale is 0 to its precision ({precision}), not {scale}",
            "scale",
        )
    if problem is None:
        return
    if field is None:
        raise InvalidInput(prefix + problem)
    raise InvalidInput(prefix + problem, field=f"{field}.{part}")


def _whole(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field.rsplit('.', 1)[-1]} must be a whole number", field=field)
    return value
