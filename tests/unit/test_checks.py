"""The checks' domain rules, no I/O: values normalized per column type, verdicts and their
words, what blocks a commit, and sample values as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from headwater.domain.check_results import CheckReport, Measures, json_value, judge
from headwater.domain.checks import CheckKind, CheckSpec, OnFailure, define, quarantine_name
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput

COLUMNS = [
    Column("price", ColumnType.DECIMAL),
    Column("day", ColumnType.DATE),
    Column("at", ColumnType.DATETIME),
    Column("ok", ColumnType.BOOLEAN),
]
LOAD = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_values_are_normalized_for_their_column() -> None:
    checks = define(
        [
            CheckSpec(name="p", type="range", column="PRICE", min="0.10", max=5),
            CheckSpec(name="d", type="RANGE", column="day", min="2024-01-01"),
            CheckSpec(name="a", type="RANGE", column="at", max="2024-06-01T14:00:00+02:00"),
            CheckSpec(name="b", type="ACCEPTED_VALUES", column="ok", values=[True]),
        ],
        COLUMNS,
    )
    assert [(c.columns, c.min, c.max) for c in checks[:3]] == [
        (("price",), "0.10", "5"),  # DECIMAL values as exact text
        (("day",), "2024-01-01", None),
        (("at",), None, "2024-06-01 12:00:00"),  # an offset is read as UTC, kept without zone
    ]
    assert checks[3].values == (True,)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            CheckSpec(name="b", type="ACCEPTED_VALUES", column="ok", values=[1]),
            "checks[0].values[0]",
        ),
        (CheckSpec(name="p", type="RANGE", column="price", min="lots"), "checks[0].min"),
        (CheckSpec(name="p", type="RANGE", column="price", min=float("nan")), "checks[0].min"),
        (CheckSpec(name="p", type="RANGE", column="price", min=True), "checks[0].min"),
        (CheckSpec(name="d", type="RANGE", column="day", min="2024-02-30"), "checks[0].min"),
        (
            CheckSpec(name="d", type="RANGE", column="day", min="2024-03", max="2024-01"),
            "checks[0].min",
        ),
        (CheckSpec(name=" ", type="NOT_NULL", column="ok"), "checks[0].name"),
        (CheckSpec(name="x" * 256, type="NOT_NULL", column="ok"), "checks[0].name"),
        (CheckSpec(name="u", type="UNIQUE", columns=["ok", "OK"]), "checks[0].columns"),
    ],
)
def test_what_does_not_fit_is_refused_naming_the_field(spec: CheckSpec, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        define([spec], COLUMNS)
    assert refused.value.details["field"] == field


def test_a_hundred_checks_at_most() -> None:
    many = [CheckSpec(name=f"c{i}", type="NOT_NULL", column="ok") for i in range(101)]
    with pytest.raises(InvalidInput):
        define(many, COLUMNS)
    assert len(define(many[:100], COLUMNS)) == 100


def test_verdicts_say_what_was_found() -> None:
    checks = define(
        [
            CheckSpec(name="price ok", type="RANGE", column="price", min=0, max=10),
            CheckSpec(name="enough", type="ROW_COUNT", min=5),
            CheckSpec(name="fresh", type="FRESHNESS", column="at", max_age_hours=24),
        ],
        COLUMNS,
    )
    measures = Measures(
        rows=3,
        failing={0: 2},
        samples={0: [{"price": Decimal("11.5"), "day": date(2024, 1, 2)}]},
        newest={2: datetime(2024, 5, 30, 12, 0)},
    )
    report = judge(checks, measures, OnFailure.QUARANTINE, LOAD)
    price, enough, fresh = report.results
    assert (price.failing_rows, price.message) == (2, "2 of 3 rows have 'price' outside [0, 10]")
    assert price.samples == ({"price": "11.5", "day": "2024-01-02"},)
    assert (enough.failing_rows, enough.message) == (
        None,
        "the load has 3 rows; at least 5 expected",
    )
    # The newest value is a row's value: in samples (withheld from restricted readers).
    assert fresh.message == (
        "the newest 'at' is more than 24 hours before the load (the newest value is in samples)"
    )
    assert fresh.samples == ({"at": "2024-05-30 12:00:00"},)
    # A load check failed: nothing is committed, even under QUARANTINE.
    assert report.blocks_commit
    assert not report.quarantines
    assert "'enough' failed" in report.error_message()


def test_row_failures_quarantine_under_quarantine_and_block_under_fail() -> None:
    checks = define([CheckSpec(name="ok set", type="NOT_NULL", column="ok")], COLUMNS)
    measures = Measures(rows=4, failing={0: 1})
    assert judge(checks, measures, OnFailure.QUARANTINE, LOAD).quarantines
    assert judge(checks, measures, OnFailure.FAIL, LOAD).blocks_commit
    passing = judge(checks, Measures(rows=4), OnFailure.FAIL, LOAD)
    assert not passing.blocks_commit
    assert not passing.quarantines
    assert passing.results[0].kind is CheckKind.NOT_NULL


def test_freshness_fails_a_column_without_any_value_but_not_an_empty_load() -> None:
    checks = define([CheckSpec(name="f", type="FRESHNESS", column="at", max_age_hours=1)], COLUMNS)
    result = judge(checks, Measures(rows=3), OnFailure.FAIL, LOAD).results[0]
    assert result.failed
    assert "holds no value" in result.message
    assert not judge(checks, Measures(rows=0), OnFailure.FAIL, LOAD).results[0].failed


def test_a_report_round_trips_and_hides_samples_on_request() -> None:
    checks = define([CheckSpec(name="ok set", type="NOT_NULL", column="ok")], COLUMNS)
    report = judge(
        checks, Measures(rows=1, failing={0: 1}, samples={0: [{"ok": None}]}), OnFailure.FAIL, LOAD
    )
    assert CheckReport.from_dict(report.as_dict()) == report
    assert report.without_samples().results[0].samples == ()
    assert report.without_samples().results[0].failing_rows == 1


def test_samples_stop_before_a_report_grows_large() -> None:
    specs = [CheckSpec(name=f"c{i}", type="NOT_NULL", column="ok") for i in range(100)]
    checks = define(specs, COLUMNS)
    wide = {f"col{n}": "y" * 500 for n in range(20)}  # each value cut to 200 characters
    measures = Measures(
        rows=10,
        failing=dict.fromkeys(range(100), 10),
        samples=dict.fromkeys(range(100), [wide] * 10),
    )
    report = judge(checks, measures, OnFailure.FAIL, LOAD)
    assert all(r.failing_rows == 10 for r in report.results)  # every count stays
    kept = sum(len(r.samples) for r in report.results)
    assert 0 < kept < 1000
    assert len(json.dumps(report.as_dict())) < 300 * 1024


def test_out_of_bounds_numbers_are_refused() -> None:
    for spec in (
        CheckSpec(name="f", type="FRESHNESS", column="at", max_age_hours=1e300),
        CheckSpec(name="p", type="RANGE", column="price", min="1e99"),
    ):
        with pytest.raises(InvalidInput):
            define([spec], COLUMNS)


def test_json_values_and_names() -> None:
    assert json_value(float("inf")) == "inf"
    assert json_value(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02 03:04:05"
    assert json_value("x" * 2000).endswith("…")
    assert len(json_value("x" * 2000)) == 201
    assert quarantine_name("S" * 300) == "S" * 242 + " (quarantine)"
    assert len(quarantine_name("S" * 300)) == 255
