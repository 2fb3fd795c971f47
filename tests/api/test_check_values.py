"""A check's values taken exactly or refused, through the API: DECIMAL bounds as text or as
JSON numbers compared digit for digit, values a column can never hold refused naming the
field, DATETIME values whose offset leaves the years 1 to 9999 in UTC refused (no 500)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

COLUMNS = [
    {"type": "LONG", "name": "id"},
    {"type": "DECIMAL(12,2)", "name": "amount"},
    {"type": "DOUBLE", "name": "ratio"},
    {"type": "DATETIME", "name": "ts"},
    {"type": "DECIMAL(38,2)", "name": "big"},
]


class Scene:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.stream_id, self.dataset_id = api.new_api_stream("Ledger", COLUMNS)
        self.url = f"/api/data/v3/datasources/{self.dataset_id}/checks"

    def set_checks(self, checks: list[dict[str, Any]]) -> Any:
        return self.api.put(self.url, json={"checks": checks})

    def set_raw(self, body: str) -> Any:
        return self.api.put(self.url, content=body, headers={"Content-Type": "application/json"})

    def load(self, body: bytes) -> dict[str, Any]:
        base = f"/api/data/v1/streams/{self.stream_id}/executions"
        eid = self.api.post(base, json={}).json()["executionId"]
        assert self.api.put(f"{base}/{eid}/part/0", content=body).status_code == 200
        committed = self.api.put(f"{base}/{eid}/commit")
        assert committed.status_code == 200, committed.text
        return dict(committed.json())


def row(amount: str = "1.00", big: str = "1.00") -> bytes:
    return f"1,{amount},0.5,2024-01-01 00:00:00,{big}\n".encode()


def test_a_decimal_range_given_as_text_runs_and_is_exact_at_its_bounds(admin: Api) -> None:
    scene = Scene(admin)
    check = {"name": "x", "type": "RANGE", "column": "amount", "min": "0", "max": "10000"}
    put = scene.set_checks([check])
    assert put.status_code == 200, put.text
    assert put.json()["checks"][0] == {**check, "min": "0", "max": "10000"}

    passed = scene.load(row("0.00") + row("10000.00"))
    assert passed["currentState"] == "SUCCESS", passed["errors"]
    failed = scene.load(row("10000.01") + row("-0.01") + row("5.00"))
    assert failed["currentState"] == "ERROR"
    assert failed["checkResults"][0]["failingRows"] == 2
    assert "quality check 'x' failed" in failed["errors"][-1]["message"]


def test_decimal_accepted_values_as_text_and_json_numbers_are_exact(admin: Api) -> None:
    scene = Scene(admin)
    # 12.50 as a JSON number keeps its digits (no float on the way): shown as sent.
    put = scene.set_raw(
        '{"checks": [{"name": "v", "type": "ACCEPTED_VALUES", "column": "amount", '
        '"values": ["12.50", 0.10, 7]}]}'
    )
    assert put.status_code == 200, put.text
    assert put.json()["checks"][0]["values"] == ["12.50", "0.10", "7"]
    assert scene.load(row("12.5") + row("0.1") + row("7.00"))["currentState"] == "SUCCESS"
    failed = scene.load(row("12.51") + row("0.1"))
    assert (failed["currentState"], failed["checkResults"][0]["failingRows"]) == ("ERROR", 1)


def test_a_json_number_bound_beyond_a_float_is_taken_exactly(admin: Api) -> None:
    scene = Scene(admin)
    # 37 digits: a float would keep 17 of them, and the bound would move.
    put = scene.set_raw(
        '{"checks": [{"name": "b", "type": "RANGE", "column": "big", '
        '"max": 123456789012345678901234567890123456.78}]}'
    )
    assert put.status_code == 200, put.text
    assert put.json()["checks"][0]["max"] == "123456789012345678901234567890123456.78"
    at = scene.load(row(big="123456789012345678901234567890123456.78"))
    assert at["currentState"] == "SUCCESS", at["errors"]
    above = scene.load(row(big="123456789012345678901234567890123456.79"))
    assert above["currentState"] == "ERROR"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # more digits after the point than the column's scale: no value of it can equal this
        ('{"name": "x", "type": "RANGE", "column": "amount", "min": "1.005"}', "checks[0].min"),
        ('{"name": "x", "type": "RANGE", "column": "amount", "min": 1.005}', "checks[0].min"),
        (
            '{"name": "x", "type": "ACCEPTED_VALUES", "column": "amount", "values": [1, "1.005"]}',
            "checks[0].values[1]",
        ),
        # more digits before the point than DECIMAL(12,2) holds
        ('{"name": "x", "type": "RANGE", "column": "amount", "max": "1e10"}', "checks[0].max"),
        # an exponent out of range: never stored as 0.0
        ('{"name": "x", "type": "RANGE", "column": "amount", "min": 1e-10000000}', "checks[0].min"),
        ('{"name": "x", "type": "RANGE", "column": "ratio", "min": 1e-10000000}', "checks[0].min"),
        ('{"name": "x", "type": "RANGE", "column": "ratio", "max": 1e400}', "checks[0].max"),
        # LONG: whole numbers from -2^63 to 2^63-1 only
        ('{"name": "x", "type": "RANGE", "column": "id", "min": 1.5}', "checks[0].min"),
        (
            '{"name": "x", "type": "RANGE", "column": "id", "max": 9223372036854775808}',
            "checks[0].max",
        ),
        (
            '{"name": "x", "type": "ACCEPTED_VALUES", "column": "id", "values": [1, 2.5]}',
            "checks[0].values[1]",
        ),
        ('{"name": "x", "type": "RANGE", "column": "id", "min": 1e-10000000}', "checks[0].min"),
    ],
)
def test_values_a_column_can_never_hold_are_a_400_naming_the_field(
    admin: Api, body: str, field: str
) -> None:
    scene = Scene(admin)
    refused = scene.set_raw('{"checks": [' + body + "]}")
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == field
    assert field in refused.json()["message"]
    assert admin.get(scene.url).json()["checks"] == []


def test_whole_numbers_written_with_a_point_fit_a_long(admin: Api) -> None:
    scene = Scene(admin)
    put = scene.set_raw(
        '{"checks": [{"name": "x", "type": "RANGE", "column": "id", '
        '"min": 1.0, "max": 9223372036854775807}]}'
    )
    assert put.status_code == 200, put.text
    assert (put.json()["checks"][0]["min"], put.json()["checks"][0]["max"]) == (1, 2**63 - 1)


@pytest.mark.parametrize(
    ("check", "field"),
    [
        ({"min": "0001-01-01T00:00:00+05:00"}, "checks[0].min"),
        ({"max": "9999-12-31T23:00:00-05:00"}, "checks[0].max"),
        ({"min": "2024-01-01", "max": "9999-12-31T23:59:59-01:00"}, "checks[0].max"),
    ],
)
def test_a_datetime_bound_outside_the_years_in_utc_is_a_400(
    admin: Api, check: dict[str, Any], field: str
) -> None:
    scene = Scene(admin)
    refused = scene.set_checks([{"name": "t", "type": "RANGE", "column": "ts", **check}])
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == field
    assert "1 to 9999" in refused.json()["message"]


def test_a_datetime_accepted_value_outside_the_years_in_utc_is_a_400(admin: Api) -> None:
    scene = Scene(admin)
    refused = scene.set_checks(
        [
            {
                "name": "t",
                "type": "ACCEPTED_VALUES",
                "column": "ts",
                "values": ["2024-01-01 00:00:00", "0001-01-01T01:00:00+02:00"],
            }
        ]
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "checks[0].values[1]"
    # The same moments inside the years are taken, converted to UTC.
    taken = scene.set_checks(
        [{"name": "t", "type": "RANGE", "column": "ts", "min": "0001-01-01T05:00:00+05:00"}]
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["checks"][0]["min"] == "0001-01-01 00:00:00"
