"""PDP through pydomo and the product API: each user sees only the rows their policies allow,
on every read path, and no SQL reaches the others."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from pydomo import Domo

from tests.e2e.pydomo_support import PublicApi

pytestmark = pytest.mark.e2e

ROWS = "north,5,n-secret\nnorth,20,n-big\nsouth,7,s-secret\nsouth,30,s-big\neast,1,e-secret\n"
ALL_NOTES = {"n-secret", "n-big", "s-secret", "s-big", "e-secret"}


class Reader:
    """One user, reading the dataset through each read path."""

    def __init__(self, api: PublicApi, token: str, dataset_id: str) -> None:
        self.api, self.token, self.dataset_id = api, token, dataset_id
        self.domo: Domo = api.domo(token)

    def public_query(self, sql: str = "SELECT note FROM table") -> set[str]:
        return {row[0] for row in self.domo.datasets.query(self.dataset_id, sql)["rows"]}

    def export(self) -> set[str]:
        text = self.domo.datasets.data_export(self.dataset_id, True)
        return set(pd.read_csv(io.StringIO(text))["note"])

    def product_query(self) -> set[str]:
        response = self.api.product(
            "POST",
            f"/api/query/v1/execute/{self.dataset_id}",
            self.token,
            json={"sql": "SELECT note FROM table"},
        )
        assert response.status_code == 200, response.text
        return {row["note"] for row in response.json()}

    def sees(self) -> set[str]:
        """What every read path shows; they must agree."""
        seen = [self.public_query(), self.export(), self.product_query()]
        assert seen[0] == seen[1] == seen[2], seen
        return seen[0]


@pytest.fixture
def scene(public_api: PublicApi) -> dict[str, Any]:
    owner = public_api.domo()
    dataset_id = owner.datasets.create(
        {
            "name": "Sales",
            "schema": {
                "columns": [
                    {"type": "STRING", "name": "region"},
                    {"type": "LONG", "name": "units"},
                    {"type": "STRING", "name": "note"},
                ]
            },
        }
    )["id"]
    owner.datasets.data_import(dataset_id, ROWS)
    users = {name: public_api.new_user(name) for name in ("Alice", "Bob", "Carol", "Dave")}
    group = public_api.product("POST", "/api/content/v2/groups", json={"name": "South"}).json()
    public_api.product(
        "PUT",
        "/api/content/v2/groups/access",
        json={"groupId": group["id"], "addMembers": [{"type": "USER", "id": users["Dave"][0]}]},
    )
    share = public_api.product(
        "POST",
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={
            "permissions": [
                {"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}
                for user_id, _ in users.values()
            ]
        },
    )
    assert share.status_code == 200, share.text
    readers = {name: Reader(public_api, token, dataset_id) for name, (_, token) in users.items()}
    return {
        "owner": owner,
        "dataset_id": dataset_id,
        "ids": {name: user_id for name, (user_id, _) in users.items()},
        "group_id": group["id"],
        "readers": readers,
        "admin": Reader(public_api, "hw_e2e-admin-token", dataset_id),
    }


def policy(name: str, filters: list[dict[str, Any]], users=(), groups=()) -> dict[str, Any]:
    return {
        "name": name,
        "type": "user",
        "filters": filters,
        "users": list(users),
        "groups": list(groups),
    }


def test_each_user_sees_only_their_rows_on_every_read_path(scene: dict[str, Any]) -> None:
    owner, dataset_id, ids = scene["owner"], scene["dataset_id"], scene["ids"]
    readers = scene["readers"]
    assert readers["Alice"].sees() == ALL_NOTES  # no policy yet: PDP is off

    north = {"column": "region", "values": ["north"], "operator": "EQUALS", "not": False}
    alice_policy = owner.datasets.create_pdp(dataset_id, policy("North", [north], [ids["Alice"]]))
    owner.datasets.create_pdp(
        dataset_id,
        policy(
            "Big deals",
            [{"column": "units", "values": ["10"], "operator": "GREATER_THAN", "not": False}],
            [ids["Bob"]],
        ),
    )
    owner.datasets.create_pdp(
        dataset_id,
        policy(
            "South team",
            [{"column": "region", "values": ["south"], "operator": "EQUALS", "not": False}],
            groups=[scene["group_id"]],
        ),
    )
    assert owner.datasets.get(dataset_id)["pdpEnabled"] is True
    assert [p["name"] for p in owner.datasets.list_pdps(dataset_id)] == [
        "All Rows",
        "North",
        "Big deals",
        "South team",
    ]

    assert readers["Alice"].sees() == {"n-secret", "n-big"}
    assert readers["Bob"].sees() == {"n-big", "s-big"}  # LONG compared as a number
    assert readers["Dave"].sees() == {"s-secret", "s-big"}  # through his group
    assert readers["Carol"].sees() == set()  # PDP on, no policy names her: no rows
    assert scene["admin"].sees() == ALL_NOTES
    assert readers["Carol"].public_query("SELECT COUNT(*) FROM table") == {0}

    # A change applies on the next request.
    owner.datasets.update_pdp(
        dataset_id,
        alice_policy["id"],
        {"filters": [{**north, "not": True}], "users": [ids["Alice"]], "name": "Not north"},
    )
    assert readers["Alice"].sees() == {"s-secret", "s-big", "e-secret"}
    all_rows = owner.datasets.list_pdps(dataset_id)[0]
    owner.datasets.update_pdp(dataset_id, all_rows["id"], {"users": [1, ids["Carol"]]})
    assert readers["Carol"].sees() == ALL_NOTES

    owner.datasets.delete_pdp(dataset_id, alice_policy["id"])
    assert readers["Alice"].sees() == set()
    for p in owner.datasets.list_pdps(dataset_id)[1:]:
        owner.datasets.delete_pdp(dataset_id, p["id"])
    assert owner.datasets.get(dataset_id)["pdpEnabled"] is False
    assert readers["Alice"].sees() == ALL_NOTES


ESCAPES = [
    "SELECT note FROM (SELECT * FROM table) AS t",
    "WITH everything AS (SELECT * FROM table) SELECT note FROM everything",
    "SELECT note FROM table UNION ALL SELECT note FROM table",
    "SELECT b.note FROM table a CROSS JOIN table b",
    "SELECT note FROM table WHERE true OR 1 = 1",
    "SELECT note FROM table WHERE region = 'south' OR region <> 'south'",
    "SELECT (SELECT string_agg(note, ',') FROM table) AS note",
    "SELECT note FROM table t WHERE EXISTS (SELECT 1 FROM table u WHERE u.region <> t.region)",
    "SELECT unnest(list(note)) AS note FROM table",
    'SELECT note FROM "Sales"',
    "WITH RECURSIVE r(note) AS (SELECT note FROM table UNION SELECT note FROM r) SELECT * FROM r",
]

REFUSED = [
    "SELECT note FROM read_parquet('*/*.parquet')",
    "SELECT note FROM parquet_scan('datasets/*/*.parquet')",
    "SELECT * FROM 'datasets/x/part-0.parquet'",
    "SELECT note FROM query_table('table')",
    "SELECT * FROM query('SELECT * FROM table')",
    "SELECT sql AS note FROM duckdb_views()",
    "SELECT current_setting('allowed_paths') AS note",
    "SELECT note FROM main.__dataset",
    "SELECT note FROM __dataset",
    "SELECT note FROM table; SELECT note FROM read_parquet('x')",
    "SELECT note FROM table WHERE error('x' || note) IS NULL",
    "CREATE TABLE leak AS SELECT * FROM table",
    "SET enable_external_access = true",
]


def test_sql_cannot_escape_a_policy(scene: dict[str, Any]) -> None:
    owner, dataset_id, ids = scene["owner"], scene["dataset_id"], scene["ids"]
    north = {"column": "region", "values": ["north"], "operator": "EQUALS", "not": False}
    owner.datasets.create_pdp(dataset_id, policy("North", [north], [ids["Alice"]]))
    alice = scene["readers"]["Alice"]
    for sql in ESCAPES:
        values = {part for value in alice.public_query(sql) for part in value.split(",")}
        assert values <= {"n-secret", "n-big"}, sql
    for sql in REFUSED:
        with pytest.raises(Exception, match="400") as raised:
            alice.public_query(sql)
        text = str(raised.value)
        assert not any(note in text for note in ALL_NOTES - {"n-secret", "n-big"}), (sql, text)
