"""Records from bytes: JSON (raw, insert/delete, arrays), CSV, and what bad records become."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput
from headwater.domain.pipelines import Format
from headwater.domain.schema_policy import SchemaPolicy
from headwater.tabular.record_formats import RecordFormat

COLUMNS = (
    Column("id", ColumnType.LONG),
    Column("name", ColumnType.STRING),
    Column("price", ColumnType.DECIMAL),
    Column("at", ColumnType.DATETIME),
)


def test_clean_ndjson_takes_the_arrow_path_and_keeps_every_row() -> None:
    decoder = RecordFormat(COLUMNS, Format("json"))
    changes = decoder.decode([b'{"id": 1, "name": "a"}', b'{"id": 2, "name": "b"}'])
    assert changes.inserts.column("id").to_pylist() == [1, 2]
    assert changes.errors == []
    assert changes.records == 2


def test_bad_records_are_errors_showing_the_record_and_good_ones_stay() -> None:
    decoder = RecordFormat(COLUMNS, Format("json"))
    changes = decoder.decode(
        [b'{"id": 1}', b'{"id": "one"}', b"{nope", b"[1, 2]", b'{"ID": 5, "Name": "x"}'], 10
    )
    assert changes.inserts.to_pylist() == [
        {"id": 1, "name": None, "price": None, "at": None},
        {"id": 5, "name": "x", "price": None, "at": None},  # unquoted names: any case
    ]
    assert [(e.index, e.record) for e in changes.errors] == [
        (11, '{"id": "one"}'),
        (12, "{nope"),
        (13, "[1, 2]"),
    ]
    assert "is not a LONG" in changes.errors[0].description()


def test_values_convert_to_their_column_types() -> None:
    decoder = RecordFormat(COLUMNS, Format("json"))
    changes = decoder.decode([b'{"id": 1, "price": 12.25, "at": "2024-05-01T10:00:00Z"}'])
    (row,) = changes.inserts.to_pylist()
    assert row["price"] == Decimal("12.25")
    assert row["at"] == datetime(2024, 5, 1, 10, 0)


def test_insert_delete_with_a_key_the_last_operation_wins() -> None:
    decoder = RecordFormat(COLUMNS, Format("json", {"update_format": "insert_delete"}), ("id",))
    changes = decoder.decode(
        [
            b'{"insert": {"id": 1, "name": "a"}}',
            b'{"insert": {"id": 1, "name": "b"}}',
            b'{"insert": {"id": 2}}',
            b'{"delete": {"id": 2}}',
            b'{"delete": {"id": 3}}',
            b'{"update": {"id": 4, "name": "u"}}',
            b'{"upsert": {"id": 5}}',
        ]
    )
    assert [(r["id"], r["name"]) for r in changes.inserts.to_pylist()] == [(1, "b"), (4, "u")]
    assert sorted(r["id"] for r in changes.deletes.to_pylist()) == [2, 3]
    assert [e.record for e in changes.errors] == ['{"upsert": {"id": 5}}']


def test_arrays_wrap_the_rows_of_one_payload() -> None:
    decoder = RecordFormat(COLUMNS, Format("json", {"array": True}))
    changes = decoder.decode([b'[{"id": 1}, {"id": 2}]', b'{"id": 3}'])
    assert changes.inserts.column("id").to_pylist() == [1, 2]
    assert changes.errors[0].message == "expected a JSON array"


def test_csv_without_a_header_and_its_bad_lines() -> None:
    decoder = RecordFormat(COLUMNS[:3], Format("csv"))
    clean = decoder.decode([b"1,a,2.5", b"2,,3"])
    assert clean.inserts.to_pylist() == [
        {"id": 1, "name": "a", "price": Decimal("2.5")},
        {"id": 2, "name": None, "price": Decimal("3")},
    ]
    mixed = decoder.decode([b"1,a,2.5\nx,b,1\n3,c"])
    assert mixed.inserts.column("id").to_pylist() == [1]
    assert [e.record for e in mixed.errors] == ["x,b,1", "3,c"]


def test_unknown_formats_are_refused() -> None:
    with pytest.raises(InvalidInput):
        RecordFormat(COLUMNS, Format("avro"))
    with pytest.raises(InvalidInput):
        RecordFormat(COLUMNS, Format("json", {"update_format": "debezium"}))


SIZED = (
    Column("id", ColumnType.LONG),
    Column("cents", ColumnType.DECIMAL, 12, 2),
    Column("big", ColumnType.DECIMAL, 38, 9),
    Column("note", ColumnType.STRING),
)


@pytest.mark.parametrize(
    "fmt",
    [
        Format("json"),  # Arrow's reader
        Format("json", {"update_format": "insert_delete"}),  # record by record
    ],
)
def test_json_decimals_arrive_exactly_and_a_misfit_is_a_record_error(fmt: Format) -> None:
    decoder = RecordFormat(SIZED, fmt)
    wrap = (lambda r: b'{"insert": ' + r + b"}") if fmt.config else (lambda r: r)
    changes = decoder.decode(
        [
            wrap(b'{"id": 1, "cents": 0.10, "big": 12345678901234567890.123456789}'),
            wrap(b'{"id": 2, "cents": "-7.5", "big": 1e-9}'),
            wrap(b'{"id": 3, "cents": 1.005}'),
            wrap(b'{"id": 4, "cents": 12345678901.5}'),
        ]
    )
    assert changes.inserts.to_pylist() == [
        {
            "id": 1,
            "cents": Decimal("0.10"),
            "big": Decimal("12345678901234567890.123456789"),
            "note": None,
        },
        {"id": 2, "cents": Decimal("-7.50"), "big": Decimal("0.000000001"), "note": None},
    ]
    assert [e.index for e in changes.errors] == [2, 3]
    assert "'cents': 1.005 has 3 digits after the point" in changes.errors[0].message
    assert "has 11 digits before the point" in changes.errors[1].message


def test_csv_decimals_arrive_exactly_and_a_misfit_is_a_record_error() -> None:
    decoder = RecordFormat(SIZED, Format("csv"))
    changes = decoder.decode([b"1,0.10,12345678901234567890.123456789,a", b"2,12345678901.5,0,b"])
    assert changes.inserts.to_pylist() == [
        {
            "id": 1,
            "cents": Decimal("0.10"),
            "big": Decimal("12345678901234567890.123456789"),
            "note": "a",
        }
    ]
    assert [e.index for e in changes.errors] == [1]


def test_a_json_number_in_a_text_or_double_column_reads_as_before() -> None:
    decoder = RecordFormat(
        (Column("d", ColumnType.DOUBLE), Column("t", ColumnType.STRING)),
        Format("json", {"update_format": "insert_delete"}),
    )
    changes = decoder.decode([b'{"insert": {"d": 0.1, "t": {"x": [1.5, 2]}}}'])
    assert changes.inserts.to_pylist() == [{"d": 0.1, "t": '{"x": [1.5, 2]}'}]


def test_unknown_fields_are_dropped_and_counted_unless_strict() -> None:
    payloads = [b'{"id": 1, "x": 1, "y": 2}', b'{"id": 2}', b'{"id": 3, "y": 3, "z": 4}']
    loose = RecordFormat(COLUMNS, Format("json")).decode(payloads)
    assert loose.inserts.column("id").to_pylist() == [1, 2, 3]
    assert (loose.unknown_field_records, loose.unknown_fields) == (2, ("x", "y", "z"))
    assert loose.errors == []
    strict = RecordFormat(COLUMNS, Format("json"), schema_policy=SchemaPolicy.STRICT).decode(
        payloads
    )
    assert strict.inserts.column("id").to_pylist() == [2]
    assert [e.index for e in strict.errors] == [0, 2]
    assert "'x', 'y'" in strict.errors[0].message
    assert strict.unknown_field_records == 0
    clean = RecordFormat(COLUMNS, Format("json")).decode([b'{"id": 1}'])
    assert (clean.unknown_field_records, clean.unknown_fields) == (0, ())
