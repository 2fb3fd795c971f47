"""A check's values (ACCEPTED_VALUES, RANGE bounds) as values of their column's type.

A value is taken exactly or refused, never rounded into something else: a check compares
with the column's own values, so a bound that moved (`1.005` read as `1.00` on DECIMAL(12,2),
`1e-10000000` read as 0.0) would pass or fail rows it should not, and a value the column can
never hold (`1.5` or 2**63 on a LONG) can never match. Each such value is a 400 naming the
field when the checks are set.

Numbers reach here as `int`, as `Decimal` (the API decodes a JSON number with a point or an
exponent as the exact number written, see `api/domo/checks.py`), as `float` (checks stored
before, or a caller in process: `repr` is the shortest text that reads back as that float,
which is what the caller meant), or, for DECIMAL, as text (`"12.50"`). They leave normalized:
a LONG as `int`, a DOUBLE as `int` or `float`, a DECIMAL as exact text (`"12.50"`), DATE as
`YYYY-MM-DD`, DATETIME as ISO text in UTC without a zone.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from headwater.domain.columns import MAX_PRECISION, decimal_problem
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput

Scalar = str | int | float | bool

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
NUMBER_TEXT_CHARS = 100  # a DECIMAL written as text: 38 digits, a sign, a point, an exponent


def check_value(raw: Any, column: Column, field_name: str) -> Scalar:
    """`raw` as a value of the column's type, normalized; else a 400 saying what fits."""
    kind = column.type
    if kind is ColumnType.STRING:
        if not isinstance(raw, str):
            raise _wrong(raw, column, field_name)
        return raw
    if kind is ColumnType.BOOLEAN:
        if not isinstance(raw, bool):
            raise _wrong(raw, column, field_name)
        return raw
    if kind is ColumnType.LONG:
        return _long(raw, column, field_name)
    if kind is ColumnType.DOUBLE:
        return _double(raw, column, field_name)
    if kind is ColumnType.DECIMAL:
        return _decimal(raw, column, field_name)
    return _moment(raw, column, field_name)


def _wrong(raw: Any, column: Column, field_name: str, why: str = "") -> InvalidInput:
    shown = _shown(raw)
    return InvalidInput(
        f"{field_name} {shown} is not a {column.type_text} value for column {column.name!r}"
        + (f": {why}" if why else ""),
        field=field_name,
    )


def _shown(raw: Any) -> str:
    text = format(raw, "f") if isinstance(raw, Decimal) and raw.is_finite() else repr(raw)
    if isinstance(raw, Decimal) and raw.is_finite() and len(text) > 40:
        text = str(raw)  # 1E-10000000, not ten million zeros
    return text if len(text) <= 80 else text[:77] + "..."


def _exact(raw: Any, *, text: bool) -> Decimal | None:
    """The number `raw` is, exactly; None if it is none (or text where text is not taken)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, float):
        return Decimal(repr(raw)) if math.isfinite(raw) else None
    if text and isinstance(raw, str) and len(raw) <= NUMBER_TEXT_CHARS:
        try:
            found = Decimal(raw.strip())
        except InvalidOperation:
            return None
        return found if found.is_finite() else None
    return None


def _long(raw: Any, column: Column, field_name: str) -> int:
    exact = _exact(raw, text=False)
    if exact is None:
        raise _wrong(raw, column, field_name, "a whole number is expected")
    if decimal_problem(exact, MAX_PRECISION, 0) is not None:
        raise _wrong(raw, column, field_name, "a whole number is expected")
    whole = int(exact)
    if not LONG_MIN <= whole <= LONG_MAX:
        raise _wrong(raw, column, field_name, "a LONG holds -2^63 to 2^63-1")
    return whole


def _double(raw: Any, column: Column, field_name: str) -> int | float:
    exact = _exact(raw, text=False)
    if exact is None:
        raise _wrong(raw, column, field_name, "a number is expected")
    if isinstance(raw, int | float):
        if abs(raw) > sys.float_info.max:  # an int past any double
            raise _wrong(raw, column, field_name, "beyond the range of a DOUBLE")
        return raw
    # A Decimal from the wire: the nearest double, unless there is none (an exponent beyond
    # the range of a DOUBLE, which would be read as infinity or as 0.0).
    nearest = float(exact)
    if not math.isfinite(nearest) or (nearest == 0.0 and not exact.is_zero()):
        raise _wrong(raw, column, field_name, "beyond the range of a DOUBLE")
    return nearest


def _decimal(raw: Any, column: Column, field_name: str) -> str:
    exact = _exact(raw, text=True)
    if exact is None:
        raise _wrong(raw, column, field_name, 'a number or exact text such as "12.50" is expected')
    problem = decimal_problem(exact, *column.decimal_size)
    if problem is not None:  # it could never equal a value of the column
        raise _wrong(raw, column, field_name, f"it {problem}")
    return format(abs(exact) if exact.is_zero() else exact, "f")


def _moment(raw: Any, column: Column, field_name: str) -> str:
    if not isinstance(raw, str):
        raise _wrong(raw, column, field_name)
    try:
        if column.type is ColumnType.DATE:
            return date.fromisoformat(raw.strip()).isoformat()
        moment = datetime.fromisoformat(raw.strip())
        if moment.tzinfo is not None:  # datasets keep datetimes without a zone, read as UTC
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise _wrong(raw, column, field_name) from None
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is a moment before year 1 in UTC
        raise _wrong(
            raw, column, field_name, "in UTC it falls outside the years 1 to 9999"
        ) from None
    return moment.isoformat(sep=" ")
