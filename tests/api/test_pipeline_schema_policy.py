"""A pipeline table's schema policy, through `/v0` on SQLite and PostgreSQL: what replacing
the program does to a table that has a dataset (EVOLVE keeps it, STRICT refuses, anything
EVOLVE cannot take makes a new dataset and says so)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Api
from tests.api.test_pipelines import Feldera
from tests.conftest import ADMIN_TOKEN

ORDERS = "CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, amount BIGINT{extra}){with_};"


@pytest.fixture
def v0(client: TestClient) -> Feldera:
    return Feldera(client, ADMIN_TOKEN)


def orders(extra: str = "", policy: str | None = None) -> str:
    with_ = f" WITH ('schema_policy' = '{policy}')" if policy else ""
    return ORDERS.format(extra=extra, with_=with_)


def ingest(v0: Feldera, pipeline: str, table: str, body: bytes) -> None:
    assert v0("POST", f"/pipelines/{pipeline}/start").status_code == 202
    url = f"/pipelines/{pipeline}/ingress/{table}?format=json&update_format=raw"
    pushed = v0("POST", url, content=body)
    assert pushed.status_code == 200, pushed.text
    assert v0("POST", f"/pipelines/{pipeline}/stop?force=true").status_code == 202


def replace(v0: Feldera, pipeline: str, program: str) -> Any:
    return v0("PUT", f"/pipelines/{pipeline}", json={"name": pipeline, "program_code": program})


def query(v0: Feldera, pipeline: str, sql: str) -> str:
    answer = v0("GET", f"/pipelines/{pipeline}/query", params={"sql": sql})
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def datasets_named(admin: Api, name: str) -> list[dict[str, Any]]:
    found = admin.get("/api/data/v3/datasources?limit=50").json()
    return [d for d in found if d["name"] == name]


def test_evolve_adds_a_column_and_widens_one_keeping_the_dataset(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders(", price DECIMAL(10, 2)"))
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 7, "price": 12345678.91}\n{"id": 2}')
    (before,) = datasets_named(admin, "shop.orders")

    replaced = replace(v0, "shop", orders(", price DECIMAL(14, 4), note VARCHAR"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["schema_changes"] == {
        "orders": {
            "evolved": {
                "added": ["note"],
                "widened": [{"column": "price", "from": "DECIMAL(10,2)", "to": "DECIMAL(14,4)"}],
            }
        }
    }
    (after,) = datasets_named(admin, "shop.orders")
    assert after["id"] == before["id"]
    schema = admin.get(f"/api/data/v3/datasources/{after['id']}").json()["schema"]["columns"]
    assert [c["name"] for c in schema] == ["id", "amount", "price", "note"]
    ingest(v0, "shop", "orders", b'{"id": 3, "amount": 1, "price": 0.0001, "note": "new"}')
    rows = query(v0, "shop", "SELECT id, price, note FROM orders ORDER BY id")
    assert rows == (
        '{"id": 1, "price": 12345678.9100, "note": null}\n'
        '{"id": 2, "price": null, "note": null}\n'
        '{"id": 3, "price": 0.0001, "note": "new"}\n'
    )
    # GET says the same until the next program change
    shown = v0("GET", "/pipelines/shop").json()["schema_changes"]
    assert shown == replaced.json()["schema_changes"]


def test_evolve_widens_long_to_double_keeping_the_values(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders())
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 42}\n{"id": 2, "amount": -7}')
    (before,) = datasets_named(admin, "shop.orders")
    replaced = replace(v0, "shop", orders().replace("amount BIGINT", "amount DOUBLE"))
    assert replaced.json()["schema_changes"]["orders"] == {
        "evolved": {"added": [], "widened": [{"column": "amount", "from": "LONG", "to": "DOUBLE"}]}
    }
    assert datasets_named(admin, "shop.orders")[0]["id"] == before["id"]
    ingest(v0, "shop", "orders", b'{"id": 3, "amount": 0.5}')
    assert query(v0, "shop", "SELECT id, amount FROM orders ORDER BY id") == (
        '{"id": 1, "amount": 42.0}\n{"id": 2, "amount": -7.0}\n{"id": 3, "amount": 0.5}\n'
    )


def test_a_widening_the_rows_cannot_take_changes_nothing(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders())
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 9007199254740993}')
    refused = replace(v0, "shop", orders().replace("amount BIGINT", "amount DOUBLE"))
    assert refused.status_code == 400, refused.text
    assert refused.json()["error_code"] == "ProgramParseError"
    assert "'orders'" in refused.json()["message"]
    assert "amount" in refused.json()["message"]
    (dataset,) = datasets_named(admin, "shop.orders")
    schema = admin.get(f"/api/data/v3/datasources/{dataset['id']}").json()["schema"]["columns"]
    assert [c["type"] for c in schema] == ["LONG", "LONG"]
    assert "amount BIGINT" in v0("GET", "/pipelines/shop").json()["program_code"]
    assert query(v0, "shop", "SELECT amount FROM orders") == '{"amount": 9007199254740993}\n'


@pytest.mark.parametrize(
    ("program", "reason"),
    [
        ("CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY);", "column 'amount' was dropped"),
        (orders().replace("amount BIGINT", "amount VARCHAR"), "not a widening"),
        (orders().replace("amount BIGINT", "cost BIGINT"), "column 'amount' was dropped"),
        (
            "CREATE TABLE orders (id BIGINT, amount BIGINT, PRIMARY KEY (id, amount));",
            "primary key changed",
        ),
    ],
)
def test_a_change_evolve_cannot_take_makes_a_new_dataset_and_says_so(
    v0: Feldera, admin: Api, program: str, reason: str
) -> None:
    v0.create("shop", orders())
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 2}')
    (before,) = datasets_named(admin, "shop.orders")
    replaced = replace(v0, "shop", program)
    assert replaced.status_code == 200, replaced.text
    report = replaced.json()["schema_changes"]["orders"]["new_dataset"]
    assert reason in report["reason"]
    assert report["previous_dataset"] == before["id"]
    assert report["dataset"] != before["id"]
    ids = {d["id"] for d in datasets_named(admin, "shop.orders")}
    assert ids == {before["id"], report["dataset"]}  # the old one stays, with its data
    assert admin.get(f"/api/data/v3/datasources/{before['id']}").json()["rowCount"] == 1
    assert query(v0, "shop", "SELECT count(*) AS n FROM orders") == '{"n": 0}\n'


def test_strict_refuses_any_column_change_and_changes_nothing(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders(policy="strict"))  # any case
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 2}')
    before = v0("GET", "/pipelines/shop").json()
    for program in (
        orders(", note VARCHAR", policy="STRICT"),
        orders(", note VARCHAR", policy="EVOLVE"),  # the policy in force decides
        orders(policy="STRICT").replace("amount BIGINT", "amount DOUBLE"),
    ):
        refused = replace(v0, "shop", program)
        assert refused.status_code == 400, refused.text
        body = refused.json()
        assert body["error_code"] == "ProgramParseError"
        assert "'orders'" in body["message"]
        assert "STRICT" in body["message"]
        assert body["details"]["table"] == "orders"
        assert body["details"]["columns"] in (["note"], ["amount"])
        assert body["details"]["field"] == "program_code"
    after = v0("GET", "/pipelines/shop").json()
    assert (after["program_code"], after["version"]) == (before["program_code"], before["version"])
    (dataset,) = datasets_named(admin, "shop.orders")
    schema = admin.get(f"/api/data/v3/datasources/{dataset['id']}").json()["schema"]["columns"]
    assert [c["name"] for c in schema] == ["id", "amount"]
    # The same columns with another policy are no column change: STRICT lets it through,
    # and then EVOLVE takes the new column.
    relaxed = replace(v0, "shop", orders(policy="EVOLVE"))
    assert (relaxed.status_code, relaxed.json()["schema_changes"]) == (200, {})
    evolved = replace(v0, "shop", orders(", note VARCHAR"))
    assert evolved.json()["schema_changes"]["orders"]["evolved"]["added"] == ["note"]
    assert [d["id"] for d in datasets_named(admin, "shop.orders")] == [dataset["id"]]


def test_ignore_new_evolves_on_a_program_change_and_patch_too(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders(policy="IGNORE_NEW"))
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 2}')
    patched = v0(
        "PATCH",
        "/pipelines/shop",
        json={"program_code": orders(", note VARCHAR", policy="IGNORE_NEW")},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["schema_changes"]["orders"]["evolved"]["added"] == ["note"]
    assert len(datasets_named(admin, "shop.orders")) == 1
    assert query(v0, "shop", "SELECT * FROM orders") == '{"id": 1, "amount": 2, "note": null}\n'
    # a PATCH that leaves the program alone keeps the last report
    described = v0("PATCH", "/pipelines/shop", json={"description": "d"})
    assert described.json()["schema_changes"] == patched.json()["schema_changes"]


def test_a_table_without_data_evolves_its_declared_schema(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders())
    (before,) = datasets_named(admin, "shop.orders")
    replaced = replace(v0, "shop", orders(", note VARCHAR"))
    assert "evolved" in replaced.json()["schema_changes"]["orders"]
    (after,) = datasets_named(admin, "shop.orders")
    assert after["id"] == before["id"]
    schema = admin.get(f"/api/data/v3/datasources/{after['id']}").json()["schema"]["columns"]
    assert [c["name"] for c in schema] == ["id", "amount", "note"]


def test_a_new_column_order_keeps_the_dataset_and_the_values(v0: Feldera, admin: Api) -> None:
    v0.create("shop", orders(", note VARCHAR"))
    ingest(v0, "shop", "orders", b'{"id": 1, "amount": 2, "note": "n"}')
    program = "CREATE TABLE orders (note VARCHAR, id BIGINT NOT NULL PRIMARY KEY, amount BIGINT);"
    replaced = replace(v0, "shop", program)
    assert replaced.json()["schema_changes"]["orders"]["evolved"]["reordered"] is True
    assert len(datasets_named(admin, "shop.orders")) == 1
    ingest(v0, "shop", "orders", b'{"id": 2, "amount": 3, "note": "m"}')
    assert query(v0, "shop", "SELECT * FROM orders ORDER BY id") == (
        '{"note": "n", "id": 1, "amount": 2}\n{"note": "m", "id": 2, "amount": 3}\n'
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad", "program_code": orders(policy="LOOSE")},
        {
            "name": "bad",
            "tables": [
                {
                    "name": "orders",
                    "columns": [{"name": "id", "type": "BIGINT"}],
                    "schema_policy": "LOOSE",
                }
            ],
        },
    ],
)
def test_an_unknown_policy_is_refused_naming_the_table(v0: Feldera, body: dict[str, Any]) -> None:
    refused = v0("POST", "/pipelines", json=body)
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "ProgramParseError"
    assert "'orders'" in refused.json()["message"]
    assert "schema_policy" in refused.json()["message"]
    assert refused.json()["details"]["field"] == "program_code"


def test_the_policy_shows_in_the_program_of_a_json_pipeline(v0: Feldera) -> None:
    body = {
        "name": "j",
        "tables": [
            {
                "name": "t",
                "columns": [{"name": "id", "type": "BIGINT"}],
                "schema_policy": "strict",
                "connectors": [{"name": "gen", "paused": True, "transport": {"name": "datagen"}}],
            }
        ],
    }
    created = v0("POST", "/pipelines", json=body)
    assert created.status_code == 201, created.text
    code = created.json()["program_code"]
    assert "'schema_policy' = 'STRICT'" in code
    # the rendered SQL reads back as the same program
    assert replace(v0, "j", code).json()["schema_changes"] == {}


# -- records with fields the table does not declare ---------------------------------------
def test_ingress_drops_unknown_fields_under_evolve_and_says_so(v0: Feldera) -> None:
    v0.create("shop", orders())
    assert v0("POST", "/pipelines/shop/start").status_code == 202
    url = "/pipelines/shop/ingress/orders?format=json&update_format=raw"
    body = (
        b'{"id": 1, "amount": 2, "colour": "red"}\n{"id": 2, "size": 9, "colour": "b"}\n{"id": 3}'
    )
    pushed = v0("POST", url, content=body)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["unknown_fields"] == {"records": 2, "fields": ["colour", "size"]}
    assert query(v0, "shop", "SELECT id, amount FROM orders ORDER BY id") == (
        '{"id": 1, "amount": 2}\n{"id": 2, "amount": null}\n{"id": 3, "amount": null}\n'
    )
    clean = v0("POST", url, content=b'{"id": 4}')
    assert "unknown_fields" not in clean.json()


def test_ingress_under_strict_makes_unknown_fields_parse_errors(v0: Feldera) -> None:
    v0.create("shop", orders(policy="STRICT"))
    assert v0("POST", "/pipelines/shop/start").status_code == 202
    url = "/pipelines/shop/ingress/orders?format=json&update_format=insert_delete"
    body = (
        b'{"insert": {"id": 1, "amount": 2}}\n'
        b'{"insert": {"id": 2, "amount": 3, "colour": "red"}}\n'
        b'{"insert": {"id": 3, "Colour": "x", "size": 1}}'
    )
    refused = v0("POST", url, content=body)
    assert refused.status_code == 400, refused.text
    error = refused.json()
    assert (error["error_code"], error["details"]["num_errors"]) == ("ParseErrors", 2)
    first, second = error["details"]["errors"]
    assert "'colour'" in first["description"]
    assert "STRICT" in first["description"]
    assert "'Colour', 'size'" in second["description"]
    assert second["invalid_text"] == '{"insert": {"id": 3, "Colour": "x", "size": 1}}'
    # the good record landed; the two that carried unknown fields did not
    assert query(v0, "shop", "SELECT id FROM orders ORDER BY id") == '{"id": 1}\n'
