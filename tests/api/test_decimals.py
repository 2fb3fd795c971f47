"""DECIMAL(p, s) through the API: sizes on every schema, CSV uploads parsed exactly, sums
exact, JSON answers that lose no digit, and values that do not fit named by line and column."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from headwater.bootstrap import Runtime
from tests.api.conftest import Api

COLUMNS = [
    {"type": "LONG", "name": "id"},
    {"type": "DECIMAL", "name": "cents", "precision": 12, "scale": 2},
    {"type": "DECIMAL(38,9)", "name": "big"},
]
SHOWN = [
    {"type": "LONG", "name": "id"},
    {"type": "DECIMAL", "name": "cents", "precision": 12, "scale": 2},
    {"type": "DECIMAL", "name": "big", "precision": 38, "scale": 9},
]


def rows(count: int) -> list[tuple[int, Decimal, Decimal]]:
    """Money with cents, and 26-digit decimals: values a double cannot hold or sum exactly."""
    made = []
    for i in range(1, count + 1):
        sign = "-" if i % 5 == 0 else ""
        cents = Decimal(f"{sign}{(i * 7919) % 10**9}.{(i * 37) % 100:02d}")
        big = Decimal(f"{sign}{(i * 104729) % 10**17}.{(i * 7_654_321) % 10**9:09d}")
        made.append((i, cents, big))
    return made


def csv_of(data: list[tuple[int, Decimal, Decimal]]) -> bytes:
    return "".join(f"{i},{c},{b}\n" for i, c, b in data).encode()


def new_stream(api: Api, columns: list[dict[str, Any]] = COLUMNS) -> tuple[int, str]:
    return api.new_api_stream("Ledger", columns)


def upload(api: Api, stream_id: int, parts: list[bytes]) -> Any:
    started = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={})
    assert started.status_code == 201, started.text
    execution = started.json()["executionId"]
    base = f"/api/data/v1/streams/{stream_id}/executions/{execution}"
    answers = [
        api.put(f"{base}/part/{index}", content=part, headers={"Content-Type": "text/csv"})
        for index, part in enumerate(parts)
    ]
    committed = api.put(f"{base}/commit", json={})
    return answers, committed.json()


def query(api: Api, dataset_id: str, sql: str) -> list[dict[str, Any]]:
    answer = api.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": sql})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def exact(value: Any, expected: Decimal) -> bool:
    """A JSON answer's decimal: a number only when a double keeps it, else its exact digits."""
    if isinstance(value, str):
        return value == format(expected, "f") and Decimal(repr(float(expected))) != expected
    return isinstance(value, float | int) and Decimal(repr(value)) == expected


def test_a_decimal_keeps_its_size_on_every_schema_api(admin: Api) -> None:
    stream_id, dataset_id = new_stream(admin)
    product = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert product["schema"]["columns"] == SHOWN
    assert admin.get(f"/v1/datasets/{dataset_id}").json()["schema"]["columns"] == SHOWN
    stream = admin.get(f"/api/data/v1/streams/{stream_id}", params={"fields": "all"}).json()
    assert stream["schemaDefinition"]["columns"] == SHOWN

    public = admin.post(
        "/v1/datasets",
        json={"name": "P", "schema": {"columns": [{"type": "decimal(10)", "name": "n"}]}},
    )
    assert public.status_code == 201, public.text
    assert public.json()["schema"]["columns"] == [
        {"type": "DECIMAL", "name": "n", "precision": 10, "scale": 0}
    ]
    changed = admin.put(
        f"/v1/datasets/{public.json()['id']}",
        json={"schema": {"columns": [{"type": "DECIMAL", "name": "n", "scale": 4}]}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["schema"]["columns"] == [
        {"type": "DECIMAL", "name": "n", "precision": 38, "scale": 4}
    ]


def test_a_dataset_stored_before_sizes_reads_as_decimal_38_9(admin: Api, runtime: Runtime) -> None:
    dataset_id = admin.new_dataset("Old", [{"type": "LONG", "name": "id"}, COLUMNS[1]])
    stored_before = json.dumps(
        [{"name": "id", "type": "LONG"}, {"name": "amount", "type": "DECIMAL"}]
    )
    with runtime.engine.begin() as connection:  # the JSON as it was stored before sizes
        connection.execute(
            sa.text("UPDATE datasets SET columns = :columns WHERE id = :id"),
            {"columns": stored_before, "id": dataset_id},
        )
    shown = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()["schema"]["columns"]
    assert shown[1] == {"type": "DECIMAL", "name": "amount", "precision": 38, "scale": 9}
    imported = admin.put(
        f"/v1/datasets/{dataset_id}/data",
        content=b"1,12345678901234567890.123456789\n",
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status_code == 204, imported.text
    assert query(admin, dataset_id, "SELECT amount FROM table") == [
        {"amount": "12345678901234567890.123456789"}
    ]


@pytest.mark.parametrize(
    ("column", "field", "words"),
    [
        ({"type": "DECIMAL", "precision": 39, "scale": 2}, "precision", "1 to 38"),
        ({"type": "DECIMAL", "precision": 0}, "precision", "1 to 38"),
        ({"type": "DECIMAL", "precision": 5, "scale": 6}, "scale", "0 to its precision"),
        ({"type": "DECIMAL", "precision": 5, "scale": -1}, "scale", "0 to its precision"),
        ({"type": "DECIMAL(40,2)"}, "precision", "1 to 38"),
        ({"type": "DECIMAL(12,2)", "precision": 12}, "type", "gives a size"),
        ({"type": "LONG", "precision": 12}, "precision", "only a DECIMAL"),
        ({"type": "STRING(12)"}, "type", "only a DECIMAL"),
        ({"type": "MONEY(12,2)"}, "type", "unknown column type"),
        # ASCII digits only: full-width ones were read as DECIMAL(12,2)
        ({"type": "DECIMAL(\uff11\uff12,2)"}, "type", "unknown column type"),
    ],
)
def test_a_decimal_size_out_of_range_is_a_400_naming_the_field(
    admin: Api, column: dict[str, Any], field: str, words: str
) -> None:
    columns = [{"type": "LONG", "name": "id"}, {"name": "amount", **column}]
    product = admin.post(
        "/api/data/v3/datasources", json={"name": "D", "schema": {"columns": columns}}
    )
    assert product.status_code == 400, product.text
    assert product.json()["field"] == f"schema.columns[1].{field}"
    assert words in product.json()["message"]
    stream = admin.post(
        "/api/data/v1/streams",
        json={"dataSource": {"name": "D", "schema": {"columns": columns}}},
    )
    assert stream.status_code == 400, stream.text
    assert stream.json()["field"] == f"dataSource.schema.columns[1].{field}"
    assert admin.get("/api/data/v3/datasources").json() == []  # nothing was created


def test_a_size_that_is_not_a_whole_number_is_a_400(admin: Api) -> None:
    for bad in ("12", 12.5, True):
        columns = [{"type": "DECIMAL", "name": "amount", "precision": bad}]
        answer = admin.post(
            "/api/data/v3/datasources", json={"name": "D", "schema": {"columns": columns}}
        )
        assert answer.status_code == 400, (bad, answer.text)
        assert "precision" in answer.json()["field"]


def test_uploaded_decimals_sum_to_the_exact_value(admin: Api) -> None:
    data = rows(3000)
    cents_total = sum((c for _, c, _ in data), Decimal(0))
    big_total = sum((b for _, _, b in data), Decimal(0))
    # the data is chosen so that doubles would not do: their sums are off
    assert Decimal(repr(sum(float(c) for _, c, _ in data))) != cents_total
    assert Decimal(repr(sum(float(b) for _, _, b in data))) != big_total

    stream_id, dataset_id = new_stream(admin)
    answers, committed = upload(admin, stream_id, [csv_of(data[:1700]), csv_of(data[1700:])])
    assert [a.status_code for a in answers] == [200, 200]
    assert (committed["currentState"], committed["rowsInserted"]) == ("SUCCESS", 3000)

    sql = (
        "SELECT SUM(cents) AS c, SUM(big) AS b, CAST(SUM(cents) AS VARCHAR) AS c_text, "
        "CAST(SUM(big) AS VARCHAR) AS b_text FROM table"
    )
    (answer,) = query(admin, dataset_id, sql)
    assert answer["c_text"] == format(cents_total, "f")
    assert answer["b_text"] == format(big_total, "f")
    assert exact(answer["c"], cents_total), answer
    assert exact(answer["b"], big_total), answer
    assert isinstance(answer["b"], str)  # 29 digits: a double would round it

    public = admin.post(f"/v1/datasets/query/execute/{dataset_id}", json={"sql": sql})
    assert public.status_code == 200, public.text
    assert public.json()["rows"][0] == [
        answer["c"],
        answer["b"],
        answer["c_text"],
        answer["b_text"],
    ]
    assert [m["type"] for m in public.json()["metadata"]] == [
        "DECIMAL",
        "DECIMAL",
        "STRING",
        "STRING",
    ]


def test_json_answers_carry_each_decimal_exactly(admin: Api) -> None:
    stream_id, dataset_id = new_stream(admin)
    body = b"1,0.10,0.000000001\n2,-12.50,123456789012345678.123456789\n3,,0\n"
    _, committed = upload(admin, stream_id, [body])
    assert committed["currentState"] == "SUCCESS", committed
    answer = query(admin, dataset_id, "SELECT cents, big FROM table ORDER BY id")
    assert answer == [
        {"cents": 0.1, "big": 1e-9},
        {"cents": -12.5, "big": "123456789012345678.123456789"},
        {"cents": None, "big": 0.0},
    ]


def test_csv_export_writes_every_digit(admin: Api) -> None:
    data = [*rows(50), (51, Decimal("0.00"), Decimal("0.000000000"))]
    stream_id, dataset_id = new_stream(admin)
    upload(admin, stream_id, [csv_of(data)])
    for path in (
        f"/api/data/v2/datasources/{dataset_id}/dataversions/latest",
        f"/v1/datasets/{dataset_id}/data",
    ):
        exported = admin.get(path)
        assert exported.status_code == 200, exported.text
        read = sorted(csv.reader(io.StringIO(exported.text)), key=lambda r: int(r[0]))
        expected = [[str(i), format(c, "f"), format(b, "f")] for i, c, b in data]
        assert read == expected  # 0.000000000, not 0E-9


def test_csv_export_writes_the_zero_before_the_point_of_a_decimal_of_no_whole_digits(
    admin: Api,
) -> None:
    columns = [{"type": "LONG", "name": "id"}, {"type": "DECIMAL(38,38)", "name": "fraction"}]
    stream_id, dataset_id = new_stream(admin, columns)
    nines, tiny = "0." + "9" * 38, "-0." + "0" * 37 + "1"
    _, committed = upload(admin, stream_id, [f"1,{nines}\n2,{tiny}\n3,0\n".encode()])
    assert committed["currentState"] == "SUCCESS", committed
    for path in (
        f"/api/data/v2/datasources/{dataset_id}/dataversions/latest",
        f"/v1/datasets/{dataset_id}/data",
    ):
        exported = admin.get(path)
        assert exported.status_code == 200, exported.text
        read = sorted(csv.reader(io.StringIO(exported.text)), key=lambda r: r[0])
        assert read == [["1", nines], ["2", tiny], ["3", "0." + "0" * 38]]


@pytest.mark.parametrize(
    ("body", "line", "column", "words"),
    [
        (b"1,1.25,0\n2,1.234,0\n", 2, "cents", "'1.234' has 3 digits after the point"),
        (b"1,12345678901.5,0\n", 1, "cents", "has 11 digits before the point"),
        (b"1,0,1.0000000001\n", 1, "big", "has 10 digits after the point"),
        (b"1,lots,0\n", 1, "cents", "is not a decimal number (DECIMAL(12,2))"),
        (b"1,NaN,0\n", 1, "cents", "is not a decimal number"),
        # Arrow's own decimal parsing crashed the server on the first and kept 0 for the rest
        (b"1,1e-10000000,0\n", 1, "cents", "has 10000000 digits after the point"),
        (b"1,1e-77,0\n", 1, "cents", "has 77 digits after the point"),
        (b"1,0,1e-78\n", 1, "big", "has 78 digits after the point"),
        (b"1,0." + b"0" * 60 + b"1,0\n", 1, "cents", "has 61 digits after the point"),
        (b"1,1e+50,0\n", 1, "cents", "has 51 digits before the point"),
    ],
)
def test_a_value_that_does_not_fit_names_line_and_column(
    admin: Api, body: bytes, line: int, column: str, words: str
) -> None:
    stream_id, dataset_id = new_stream(admin)
    (part,), _ = upload(admin, stream_id, [body])
    assert part.status_code == 400, part.text
    error = part.json()
    assert (error["code"], error["line"], error["column"]) == ("BAD_DATA", line, column)
    assert words in error["message"], error["message"]

    imported = admin.put(
        f"/v1/datasets/{dataset_id}/data", content=body, headers={"Content-Type": "text/csv"}
    )
    assert imported.status_code == 400, imported.text
    assert (imported.json()["line"], imported.json()["column"]) == (line, column)
    assert query(admin, dataset_id, "SELECT COUNT(*) AS n FROM table") == [{"n": 0}]


def test_a_row_policy_bound_must_fit_the_decimal_exactly(admin: Api) -> None:
    stream_id, dataset_id = new_stream(admin)
    upload(admin, stream_id, [b"1,1.00,0\n2,1.01,0\n3,2.00,0\n"])
    rounded = {
        "name": "p",
        "type": "user",
        "users": [1],
        "filters": [{"column": "cents", "values": ["1.005"], "operator": "LESS_THAN_EQUAL"}],
    }
    refused = admin.post(f"/v1/datasets/{dataset_id}/policies", json=rounded)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "filters[0].values[0]"
    assert "3 digits after the point" in refused.json()["message"]

    user_id, token = admin.new_user("Vera", role=4)
    admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}]},
    )
    fits = {
        **rounded,
        "users": [user_id],
        "filters": [{"column": "cents", "values": ["1.01"], "operator": "LESS_THAN_EQUAL"}],
    }
    assert admin.post(f"/v1/datasets/{dataset_id}/policies", json=fits).status_code == 201
    seen = query(admin.as_(token), dataset_id, "SELECT id FROM table ORDER BY id")
    assert seen == [{"id": 1}, {"id": 2}]


def test_exponents_and_plain_digits_land_exactly(admin: Api) -> None:
    stream_id, dataset_id = new_stream(admin)
    body = b"1,1.5e2,2.5E-8\n2,-0,0e-1000\n3,+3.10,1234567890123456789.000000000\n4, 7 ,.5\n"
    (part,), committed = upload(admin, stream_id, [body])
    assert part.status_code == 200, part.text
    assert committed["currentState"] == "SUCCESS", committed
    got = query(
        admin,
        dataset_id,
        "SELECT id, CAST(cents AS VARCHAR) AS c, CAST(big AS VARCHAR) AS b FROM table ORDER BY id",
    )
    assert got == [
        {"id": 1, "c": "150.00", "b": "0.000000025"},
        {"id": 2, "c": "0.00", "b": "0.000000000"},
        {"id": 3, "c": "3.10", "b": "1234567890123456789.000000000"},
        {"id": 4, "c": "7.00", "b": "0.500000000"},
    ]


def test_a_decimal_that_once_crashed_the_server_is_refused_on_every_write_path(
    admin: Api, client: Any
) -> None:
    _, dataset_id = new_stream(admin)
    appended = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": "1,1e-10000000,0"}
    )
    assert appended.status_code == 400, appended.text
    assert appended.json()["column"] == "cents"
    program = "CREATE TABLE t (id BIGINT, amount DECIMAL(12, 2));"
    headers = {"Authorization": f"Bearer {admin.token}"}
    created = client.post(
        "/v0/pipelines", json={"name": "money", "program_code": program}, headers=headers
    )
    assert created.status_code == 201, created.text
    client.post("/v0/pipelines/money/start", headers=headers)
    for body, fmt in [
        (
            b'{"id": 1, "amount": 1e-10000000}\n{"id": 2, "amount": 1e-77}\n'
            b'{"id": 3, "amount": "1e-77"}\n',
            "json",
        ),
        (b"4,1e-10000000\n5,1e-77\n", "csv"),
    ]:
        refused = client.post(
            f"/v0/pipelines/money/ingress/t?format={fmt}&update_format=raw",
            content=body,
            headers=headers,
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["details"]["num_errors"] == body.count(b"\n")
    landed = client.post(
        "/v0/pipelines/money/ingress/t?format=json&update_format=raw",
        content=b'{"id": 6, "amount": 1.5e2}\n',
        headers=headers,
    )
    assert landed.status_code == 200, landed.text
    token = landed.json()["token"]
    done = client.get(f"/v0/pipelines/money/completion_status?token={token}", headers=headers)
    assert done.json()["status"] == "complete", done.text
    answer = client.get(
        "/v0/pipelines/money/query",
        params={"sql": "SELECT id, CAST(amount AS VARCHAR) AS a FROM t", "format": "json"},
        headers=headers,
    )
    assert answer.text == '{"id": 6, "a": "150.00"}\n'
    assert admin.get("/api/content/v2/users/me").status_code == 200  # the server is still up
