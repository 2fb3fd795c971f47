"""DECIMAL(p, s) columns: how sizes are written and checked, and what fits exactly."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from headwater.domain.columns import (
    Column,
    ColumnType,
    decimal_for_source,
    decimal_holds,
    decimal_problem,
    parse_column,
)
from headwater.domain.errors import BadData, InvalidInput
from headwater.tabular import decode_csv
from headwater.tabular.conform import conform
from headwater.tabular.types import arrow_schema, columns_from_arrow


@pytest.mark.parametrize(
    ("type_text", "precision", "scale", "size"),
    [
        ("DECIMAL", None, None, (38, 9)),  # what every DECIMAL was before sizes
        ("decimal", 12, 2, (12, 2)),
        ("DECIMAL(12,2)", None, None, (12, 2)),
        (" Decimal( 12 , 2 ) ", None, None, (12, 2)),
        ("DECIMAL(12)", None, None, (12, 0)),  # SQL: a precision alone means scale 0
        ("DECIMAL", 12, None, (12, 0)),
        ("DECIMAL", None, 4, (38, 4)),
        ("DECIMAL", 38, 38, (38, 38)),
        ("DECIMAL", 1, 0, (1, 0)),
    ],
)
def test_a_decimal_size_is_read_from_either_form(
    type_text: str, precision: int | None, scale: int | None, size: tuple[int, int]
) -> None:
    column = parse_column("amount", type_text, precision, scale, field="columns[0]")
    assert (column.type, column.decimal_size) == (ColumnType.DECIMAL, size)
    assert column.type_text == f"DECIMAL({size[0]},{size[1]})"


def test_a_bare_decimal_equals_the_one_with_the_default_size() -> None:
    assert Column("a", ColumnType.DECIMAL) == Column("a", ColumnType.DECIMAL, 38, 9)
    assert Column("a", ColumnType.DECIMAL, 12, 2) != Column("a", ColumnType.DECIMAL, 12, 3)
    assert Column("a", ColumnType.LONG).type_text == "LONG"
    with pytest.raises(ValueError, match="LONG, not DECIMAL"):
        _ = Column("a", ColumnType.LONG).decimal_size


@pytest.mark.parametrize(
    ("type_text", "precision", "scale", "field", "words"),
    [
        ("DECIMAL", 39, None, "columns[0].precision", "1 to 38"),
        ("DECIMAL(0,0)", None, None, "columns[0].precision", "1 to 38"),
        ("DECIMAL", 5, 6, "columns[0].scale", r"0 to its precision \(5\)"),
        ("DECIMAL", "12", None, "columns[0].precision", "whole number"),
        ("DECIMAL", 12, 2.0, "columns[0].scale", "whole number"),
        ("DECIMAL", True, None, "columns[0].precision", "whole number"),
        ("DECIMAL(12,2)", None, 2, "columns[0].type", "gives a size"),
        ("LONG", 12, None, "columns[0].precision", "only a DECIMAL"),
        ("DATE(3)", None, None, "columns[0].type", "only a DECIMAL"),
        ("DECIMAL(12,2,1)", None, None, "columns[0].type", "unknown column type"),
    ],
)
def test_a_wrong_size_names_its_field(
    type_text: str, precision: object, scale: object, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as raised:
        parse_column("amount", type_text, precision, scale, field="columns[0]")
    assert raised.value.details["field"] == field


@pytest.mark.parametrize(
    ("value", "precision", "scale", "problem"),
    [
        ("1.23", 12, 2, None),
        ("1.230000", 12, 2, None),  # trailing zeros cost nothing
        ("-9999999999.99", 12, 2, None),
        ("0", 2, 2, None),
        ("0.00000", 2, 2, None),
        ("1E+3", 4, 0, None),
        ("1.234", 12, 2, "has 3 digits after the point, and DECIMAL(12,2) keeps 2"),
        ("10000000000", 12, 2, "has 11 digits before the point, and DECIMAL(12,2) holds 10"),
        ("1E+4", 4, 0, "has 5 digits before the point"),
        ("1", 2, 2, "has 1 digit before the point, and DECIMAL(2,2) holds 0"),
        # 40 digits: the check reads digits, no 28-digit arithmetic context rounds them first
        ("1234567890123456789012345678.901234567891", 38, 9, "has 12 digits after"),
        ("NaN", 12, 2, "is not a finite number"),
        ("-Infinity", 12, 2, "is not a finite number"),
    ],
)
def test_a_value_fits_a_size_exactly_or_says_why_not(
    value: str, precision: int, scale: int, problem: str | None
) -> None:
    found = decimal_problem(Decimal(value), precision, scale)
    assert found == problem if problem is None else problem in (found or "")


@pytest.mark.parametrize(
    ("declared", "read_as"),
    [
        ((12, 2), (12, 2)),
        ((38, 38), (38, 38)),
        ((None, None), (38, 9)),  # PostgreSQL NUMERIC without a size
        ((5, -2), (7, 0)),  # multiples of 100 below 10^7
        ((2, 5), (5, 5)),  # below 0.001
        ((50, 2), (38, 2)),
        ((65, 30), (38, 9)),
        ((40, -5), (38, 0)),
    ],
)
def test_a_source_decimal_is_read_at_a_size_a_column_holds(
    declared: tuple[int | None, int | None], read_as: tuple[int, int]
) -> None:
    assert decimal_for_source(*declared) == read_as


@pytest.mark.parametrize(
    ("outer", "inner", "holds"),
    [
        ((12, 2), (10, 2), True),
        ((12, 4), (10, 2), True),
        ((38, 9), (12, 2), True),
        ((12, 2), (12, 2), True),
        ((12, 4), (12, 2), False),  # two digits fewer before the point
        ((12, 2), (12, 3), False),  # a digit fewer after it
        ((38, 9), (38, 10), False),
    ],
)
def test_a_decimal_size_holds_another_when_no_value_could_lose_a_digit(
    outer: tuple[int, int], inner: tuple[int, int], holds: bool
) -> None:
    assert decimal_holds(outer, inner) is holds
    value = Decimal("9" * (inner[0] - inner[1]) + "." + "9" * inner[1])  # the widest value
    assert (decimal_problem(value, *outer) is None) is holds


def test_arrow_decimals_keep_their_size_both_ways() -> None:
    columns = [Column("a", ColumnType.DECIMAL, 12, 2), Column("b", ColumnType.DECIMAL)]
    schema = arrow_schema(columns)
    assert schema.types == [pa.decimal128(12, 2), pa.decimal128(38, 9)]
    assert columns_from_arrow(schema) == columns
    wide = pa.schema([("w", pa.decimal256(50, 20)), ("n", pa.decimal128(5, -2))])
    assert [c.decimal_size for c in columns_from_arrow(wide)] == [(38, 9), (7, 0)]


def test_csv_decimals_are_parsed_exactly() -> None:
    columns = [Column("a", ColumnType.DECIMAL, 12, 2), Column("b", ColumnType.DECIMAL, 38, 9)]
    body = b"0.10,12345678901234567890.123456789\n-1.5,1e-9\n9999999999.99,0\n,\n"
    table = decode_csv(body, columns)
    assert table.schema == arrow_schema(columns)
    assert table.to_pylist() == [
        {"a": Decimal("0.10"), "b": Decimal("12345678901234567890.123456789")},
        {"a": Decimal("-1.50"), "b": Decimal("0.000000001")},
        {"a": Decimal("9999999999.99"), "b": Decimal("0")},
        {"a": None, "b": None},
    ]


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (b"1.25\n1.255\n", 2, "'1.255' has 3 digits after the point"),
        # Arrow's reader rescales 12345678901.5 to 13 digits without a word; it is caught
        (b"1\n12345678901.5\n", 2, "'12345678901.5' has 11 digits before the point"),
        (b"1\n2\n99999999999\n", 3, "has 11 digits before the point"),
        (b"abc\n", 1, "'abc' is not a decimal number (DECIMAL(12,2))"),
    ],
)
def test_a_csv_decimal_that_does_not_fit_names_line_and_column(
    body: bytes, line: int, words: str
) -> None:
    with pytest.raises(BadData) as raised:
        decode_csv(body, [Column("amount", ColumnType.DECIMAL, 12, 2)])
    assert (raised.value.details["line"], raised.value.details["column"]) == (line, "amount")
    assert words in raised.value.message


def test_conform_casts_into_decimals_without_rounding() -> None:
    columns = [Column("a", ColumnType.DECIMAL, 12, 2)]
    doubles = pa.record_batch({"a": pa.array([1.1, 0.25, None])})
    assert conform(doubles, columns).column(0).to_pylist() == [
        Decimal("1.10"),
        Decimal("0.25"),
        None,
    ]
    for values, words in [
        (pa.array([0.1 + 0.2]), "0.30000000000000004 has 17 digits after the point"),
        (pa.array(["1.5", "2.555"]), "2.555 has 3 digits after the point"),
        (pa.array([10**11]), "100000000000 has 12 digits before the point"),
        (pa.array(["x"]), "x is not a decimal number"),
    ]:
        with pytest.raises(BadData, match=words) as raised:
            conform(pa.record_batch({"a": values}), columns)
        assert raised.value.details["column"] == "a"
