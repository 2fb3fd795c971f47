"""Decoding headerless CSV against a schema: Domo's null rules, quoting, and errors that name
the line and column."""

from __future__ import annotations

import datetime as dt
import decimal
import io

import pyarrow as pa
import pytest

from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import BadData, InvalidInput
from headwater.tabular import decode_csv, decode_row, iter_csv_batches

COLUMNS = [
    Column("s", ColumnType.STRING),
    Column("n", ColumnType.LONG),
    Column("x", ColumnType.DOUBLE),
    Column("d", ColumnType.DATE),
    Column("t", ColumnType.DATETIME),
    Column("b", ColumnType.BOOLEAN),
    Column("m", ColumnType.DECIMAL),
]


def rows(data: bytes, columns: list[Column] = COLUMNS) -> list[dict[str, object]]:
    return decode_csv(data, columns).to_pylist()


def test_every_type_and_both_datetime_forms() -> None:
    data = (
        b"a,1,2.5,2024-01-02,2024-01-02 03:04:05,true,12.25\n"
        b"b,-7,1e3,2024-12-31,2024-12-31T23:59:59.123456Z,FALSE,0\n"
    )
    first, second = rows(data)
    assert first == {
        "s": "a",
        "n": 1,
        "x": 2.5,
        "d": dt.date(2024, 1, 2),
        "t": dt.datetime(2024, 1, 2, 3, 4, 5),
        "b": True,
        "m": decimal.Decimal("12.25"),
    }
    assert second["t"] == dt.datetime(2024, 12, 31, 23, 59, 59, 123456)
    assert second["b"] is False
    assert second["x"] == 1000.0


def test_unquoted_empty_is_null_and_quoted_empty_is_empty_text() -> None:
    (row,) = rows(b'"",,,,,,\n')
    assert row["s"] == ""
    assert all(row[name] is None for name in "nxdtbm")
    (row,) = rows(b",,,,,,\n")
    assert row["s"] is None


def test_quotes_commas_newlines_and_crlf() -> None:
    data = b'"a,b",1,,,,,\r\n"say ""hi""",2,,,,,\r\n"two\nlines",3,,,,,\r\n'
    assert [r["s"] for r in rows(data)] == ["a,b", 'say "hi"', "two\nlines"]


def test_no_trailing_newline_and_empty_input() -> None:
    assert [r["n"] for r in rows(b"a,1,,,,,\nb,2,,,,,")] == [1, 2]
    empty = decode_csv(b"", COLUMNS)
    assert empty.num_rows == 0
    assert empty.schema.names == [c.name for c in COLUMNS]


@pytest.mark.parametrize(
    ("data", "line", "column", "fragment"),
    [
        (b"a,1,,,,,\nb,two,,,,,\n", 2, "n", "'two' is not a whole number"),
        (b"a,1,,,,,\nb,2,,2024-02-30,,,\n", 2, "d", "'2024-02-30' is not a date"),
        (b"a,1,,,,,\nb,2,,,,,\nc,3,,,yesterday,,\n", 3, "t", "'yesterday' is not a datetime"),
        (b"a,1,,,,maybe,\n", 1, "b", "'maybe' is not true or false"),
        (b"a,1,,,,,lots\n", 1, "m", "'lots' is not a decimal"),
        (b"a,99999999999999999999,,,,,\n", 1, "n", "not a whole number"),
    ],
)
def test_a_bad_value_names_line_and_column(
    data: bytes, line: int, column: str, fragment: str
) -> None:
    with pytest.raises(BadData) as caught:
        rows(data)
    assert caught.value.details["line"] == line
    assert caught.value.details["column"] == column
    assert fragment in caught.value.message
    assert f"line {line}" in caught.value.message


def test_a_quoted_newline_keeps_line_numbers_on_the_record() -> None:
    data = b'"two\nlines",1,,,,,\nb,oops,,,,,\n'
    with pytest.raises(BadData) as caught:
        rows(data)
    assert caught.value.details["line"] == 3  # the record starts on physical line 3


def test_wrong_value_count_bad_quoting_and_bad_utf8() -> None:
    with pytest.raises(BadData, match="line 2: expected 7 values, found 8"):
        rows(b"a,1,,,,,\nb,2,,,,,,\n")
    with pytest.raises(BadData, match="line 2"):
        rows(b'a,1,,,,,\n"unterminated,2,,,,,\n')
    with pytest.raises(BadData, match="line 2: the text is not valid UTF-8"):
        rows(b"a,1,,,,,\n\xff\xfe,2,,,,,\n")


def test_streaming_yields_batches_in_bounded_blocks() -> None:
    columns = [Column("n", ColumnType.LONG), Column("s", ColumnType.STRING)]
    data = b"".join(f"{i},{'x' * 100}\n".encode() for i in range(200_000))  # ~21 MB
    batches = list(iter_csv_batches(io.BytesIO(data), columns))
    assert len(batches) > 1  # read block by block, not in one piece
    assert sum(b.num_rows for b in batches) == 200_000
    assert all(b.schema == pa.schema([("n", pa.int64()), ("s", pa.string())]) for b in batches)


def test_without_a_schema_types_are_inferred() -> None:
    table = decode_csv(b"x,3,2.5,true,2024-01-02\ny,4,3.5,false,2024-01-03\n", None)
    assert table.schema.names == ["column_1", "column_2", "column_3", "column_4", "column_5"]
    assert [str(t) for t in table.schema.types] == [
        "string",
        "int64",
        "double",
        "bool",
        "date32[day]",
    ]


def test_decode_row_takes_exactly_one_record() -> None:
    table = decode_row("a|1||||true|", COLUMNS, delimiter="|")
    assert table.num_rows == 1
    assert table.column("b").to_pylist() == [True]
    with pytest.raises(BadData, match="exactly one"):
        decode_row("a,1,,,,,\nb,2,,,,,", COLUMNS)
    with pytest.raises(InvalidInput, match="values is empty"):
        decode_row("", COLUMNS)
