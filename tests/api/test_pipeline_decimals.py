"""DECIMAL(p, s) in the Feldera dialect: the program's sizes, exact ingress, and query answers
(NDJSON and text) with every digit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from tests.api.test_pipelines import Feldera
from tests.conftest import ADMIN_TOKEN

LEDGER = """
CREATE TABLE ledger (id BIGINT, cents NUMERIC(12,2), big DECIMAL(38, 9),
                     plain DECIMAL);
"""


@pytest.fixture
def v0(client: TestClient) -> Feldera:
    return Feldera(client, ADMIN_TOKEN)


def test_a_program_keeps_decimal_sizes(v0: Feldera) -> None:
    created = v0.create("books", LEDGER)
    assert "DECIMAL(12, 2)" in created["program_code"] or "NUMERIC(12,2)" in created["program_code"]
    full = v0("GET", "/pipelines/books?selector=all").json()
    (ledger,) = full["program_info"]["schema"]["inputs"]
    assert [f["columntype"] for f in ledger["fields"]] == [
        {"type": "BIGINT", "nullable": True},
        {"type": "DECIMAL", "nullable": True, "precision": 12, "scale": 2},
        {"type": "DECIMAL", "nullable": True, "precision": 38, "scale": 9},
        {"type": "DECIMAL", "nullable": True, "precision": 38, "scale": 9},
    ]
    tables = {t["name"]: t for t in full["program_info"]["schema"]["inputs"]}
    assert set(tables) == {"ledger"}


def test_a_json_definition_writes_its_sizes_into_the_program(v0: Feldera) -> None:
    body = {
        "name": "json-books",
        "tables": [
            {
                "name": "t",
                "columns": [
                    {"name": "a", "type": "DECIMAL", "precision": 12, "scale": 2},
                    {"name": "b", "type": "NUMERIC(10)"},
                ],
            }
        ],
    }
    response = v0("POST", "/pipelines", json=body)
    assert response.status_code == 201, response.text
    assert '"a" DECIMAL(12, 2), "b" DECIMAL(10, 0)' in response.json()["program_code"]


@pytest.mark.parametrize(
    ("program", "fragment"),
    [
        ("CREATE TABLE t (a DECIMAL(39, 2))", "precision is 1 to 38"),
        ("CREATE TABLE t (a NUMERIC(5, 6))", "scale is 0 to its precision"),
    ],
)
def test_a_decimal_size_out_of_range_is_refused(v0: Feldera, program: str, fragment: str) -> None:
    response = v0("POST", "/pipelines", json={"name": "bad", "program_code": program})
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "ProgramParseError"
    assert fragment in response.json()["message"]


def test_ingress_and_queries_keep_every_digit(v0: Feldera) -> None:
    v0.create("books", LEDGER)
    v0("POST", "/pipelines/books/start")
    body = (
        b'{"id": 1, "cents": 0.10, "big": 12345678901234567890.123456789, "plain": 1}\n'
        b'{"id": 2, "cents": "19.99", "big": 0.000000001, "plain": -2.5}\n'
    )
    pushed = v0(
        "POST", "/pipelines/books/ingress/ledger?format=json&update_format=raw", content=body
    )
    assert pushed.status_code == 200, pushed.text
    v0(
        "POST",
        "/pipelines/books/ingress/ledger?format=csv",
        content=b"3,1000000000.01,-98765432109876543210.987654321,0\n",
        headers={"Content-Type": "text/csv"},
    )
    sql = "SELECT id, cents, big, SUM(big) OVER () AS total FROM ledger ORDER BY id"
    answer = v0("GET", "/pipelines/books/query", params={"sql": sql})
    assert answer.status_code == 200, answer.text
    lines = answer.text.splitlines()
    assert lines[0] == (
        '{"id": 1, "cents": 0.10, "big": 12345678901234567890.123456789, '
        '"total": -86419753208641975320.864197531}'
    )
    # what the feldera client does with it: numbers parsed as Decimal, nothing lost
    rows = [json.loads(line, parse_float=Decimal) for line in lines]
    assert [r["big"] for r in rows] == [
        Decimal("12345678901234567890.123456789"),
        Decimal("0.000000001"),
        Decimal("-98765432109876543210.987654321"),
    ]
    assert [r["cents"] for r in rows] == [
        Decimal("0.10"),
        Decimal("19.99"),
        Decimal("1000000000.01"),
    ]
    text = v0("GET", "/pipelines/books/query", params={"sql": sql, "format": "text"})
    assert "-98765432109876543210.987654321" in text.text


def test_a_decimal_that_does_not_fit_is_a_parse_error_and_the_rest_lands(v0: Feldera) -> None:
    v0.create("books", LEDGER)
    v0("POST", "/pipelines/books/start")
    body = (
        b'{"id": 1, "cents": 1.25}\n{"id": 2, "cents": 1.255}\n{"id": 3, "cents": 12345678901.5}\n'
    )
    response = v0(
        "POST", "/pipelines/books/ingress/ledger?format=json&update_format=raw", content=body
    )
    assert response.status_code == 400, response.text
    errors = response.json()["details"]["errors"]
    assert len(errors) == 2
    assert "1.255 has 3 digits after the point" in errors[0]["description"]
    assert "has 11 digits before the point" in errors[1]["description"]
    ids = v0("GET", "/pipelines/books/query", params={"sql": "SELECT id, cents FROM ledger"})
    assert ids.text == '{"id": 1, "cents": 1.25}\n'
