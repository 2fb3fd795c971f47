"""Find the first bad record of a CSV stream and say where it is, for a person to fix.

Arrow's fast reader says *that* a value is bad, not *where*. When it fails, this slower pass
re-reads the data with Python's `csv` module, checking each record as Arrow would, and names
the line (the physical line the record starts on, so a quoted field with newlines still points
at its record) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from headwater.domain.columns import decimal_problem
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import BadData
from headwater.tabular.csv_options import FALSE_VALUES, TRUE_VALUES

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z?$")
_BOOLEANS = set(TRUE_VALUES) | set(FALSE_VALUES)
_LONG_RANGE = (-(2**63), 2**63 - 1)


def _check_long(value: str) -> None:
    number = int(value)
    if not _LONG_RANGE[0] <= number <= _LONG_RANGE[1]:
        raise ValueError("out of range")


def _check_datetime(value: str) -> None:
    if not _DATETIME.match(value):
        raise ValueError("not a datetime")
    dt.datetime.fromisoformat(value.rstrip("Z").replace(" ", "T"))


def _check_bool(value: str) -> None:
    if value not in _BOOLEANS:
        raise ValueError("not a boolean")


class _Misfit(ValueError):
    """A number that does not fit its DECIMAL column's size (the message says how)."""


def _check_decimal(value: str, column: Column) -> None:
    number = decimal.Decimal(value)
    if not number.is_finite():
        raise ValueError("not finite")
    problem = decimal_problem(number, *column.decimal_size)
    if problem is not None:
        raise _Misfit(problem)


CHECKS: dict[ColumnType, Callable[[str], object]] = {
    ColumnType.STRING: lambda _: None,
    ColumnType.LONG: _check_long,
    ColumnType.DOUBLE: float,
    ColumnType.DATE: dt.date.fromisoformat,
    ColumnType.DATETIME: _check_datetime,
    ColumnType.BOOLEAN: _check_bool,
}


def _check(column: Column, value: str) -> None:
    if column.type is ColumnType.DECIMAL:
        _check_decimal(value, column)
    else:
        CHECKS[column.type](value)


EXAMPLES = {
    ColumnType.LONG: "a whole number",
    ColumnType.DOUBLE: "a number",
    ColumnType.DECIMAL: "a decimal number",
    ColumnType.DATE: "a date like 2024-01-31",
    ColumnType.DATETIME: "a datetime like 2024-01-31 13:45:00",
    ColumnType.BOOLEAN: "true or false",
}


class _BadUtf8(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _text_lines(source: IO[bytes], first_line: int) -> Iterator[str]:
    """Decode line by line, so invalid UTF-8 is pinned to its physical line."""
    for number, raw in enumerate(source, start=first_line):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _BadUtf8(number) from None


def find_bad_record(
    source: IO[bytes], columns: Sequence[Column], delimiter: str = ",", first_line: int = 1
) -> BadData | None:
    """The first problem in `source` (read from where it is), or None if Python finds none."""
    reader = csv.reader(_text_lines(source, first_line), delimiter=delimiter, strict=True)
    try:
        return _first_problem(reader, columns, first_line)
    except _BadUtf8 as bad:
        return BadData(f"line {bad.line}: the text is not valid UTF-8", line=bad.line)


def _first_problem(reader: Any, columns: Sequence[Column], first_line: int) -> BadData | None:
    line = first_line
    while True:
        start = line
        try:
            record = next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            return BadData(f"line {start}: malformed CSV ({exc})", line=start)
        line = first_line + reader.line_num
        if not record:
            continue  # a blank line
        if len(record) != len(columns):
            return BadData(
                f"line {start}: expected {len(columns)} values, found {len(record)}",
                line=start,
                expected=len(columns),
                found=len(record),
            )
        for column, value in zip(columns, record, strict=True):
            if value == "":
                continue  # null (or the empty string, for text)
            shown = value if len(value) <= 100 else value[:97] + "..."
            try:
                _check(column, value)
            except _Misfit as misfit:
                return BadData(
                    f'line {start}, column "{column.name}": {shown!r} {misfit}',
                    line=start,
                    column=column.name,
                    value=shown,
                )
            except (ValueError, ArithmeticError):
                return BadData(
                    f'line {start}, column "{column.name}": {shown!r} is not '
                    f"{EXAMPLES[column.type]} ({column.type_text})",
                    line=start,
                    column=column.name,
                    value=shown,
                )
