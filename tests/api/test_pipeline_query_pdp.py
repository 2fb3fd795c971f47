"""Row policies (PDP) on the Feldera ad-hoc query: each caller's query, and every view it
reads, sees only the rows their policies on the table's dataset allow; SQL cannot get round it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Api
from tests.api.test_pipelines import Feldera
from tests.conftest import ADMIN_TOKEN

PROGRAM = """
CREATE TABLE sales (region VARCHAR, n BIGINT);
CREATE VIEW totals AS SELECT region, sum(n) AS total FROM sales GROUP BY region;
"""
ROWS = [("north", 1), ("north", 2), ("south", 5), ("east", 7)]


@pytest.fixture
def v0(client: TestClient) -> Feldera:
    return Feldera(client, ADMIN_TOKEN)


def rows(feldera: Feldera, sql: str) -> list[dict[str, Any]]:
    answer = feldera("GET", "/pipelines/pdp/query", params={"sql": sql, "format": "json"})
    assert answer.status_code == 200, answer.text
    return [json.loads(line) for line in answer.text.splitlines()]


def test_each_caller_sees_only_their_rows_through_queries_and_views(
    admin: Api, v0: Feldera
) -> None:
    v0.create("pdp", PROGRAM)
    v0("POST", "/pipelines/pdp/start")
    body = "\n".join(json.dumps({"region": r, "n": n}) for r, n in ROWS).encode()
    pushed = v0("POST", "/pipelines/pdp/ingress/sales?format=json&update_format=raw", content=body)
    assert pushed.status_code == 200, pushed.text
    by_name = {d["name"]: d["id"] for d in admin.get("/api/data/v3/datasources").json()}
    dataset = by_name["pdp.sales"]

    callers: dict[str, Feldera] = {}
    ids: dict[str, int] = {}
    for name in ("North Nell", "South Sam", "Nobody Ned"):
        user_id, token = admin.new_user(name, role=4)
        shared = admin.post(
            f"/api/data/v3/datasources/{dataset}/share",
            json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}]},
        )
        assert shared.status_code == 200, shared.text
        callers[name], ids[name] = Feldera(v0.client, token), user_id
    for name, region in (("North Nell", "north"), ("South Sam", "south")):
        made = admin.post(
            f"/v1/datasets/{dataset}/policies",
            json={
                "name": region,
                "type": "user",
                "users": [ids[name]],
                "filters": [{"column": "region", "values": [region], "operator": "EQUALS"}],
            },
        )
        assert made.status_code == 201, made.text

    everything = "SELECT region, n FROM sales ORDER BY n"
    assert [r["n"] for r in rows(v0, everything)] == [1, 2, 5, 7]  # the owner sees all
    assert [r["n"] for r in rows(callers["North Nell"], everything)] == [1, 2]
    assert [r["n"] for r in rows(callers["South Sam"], everything)] == [5]
    assert rows(callers["Nobody Ned"], everything) == []  # PDP on, no policy: no rows
    assert rows(callers["North Nell"], "SELECT * FROM totals") == [{"region": "north", "total": 3}]
    for escape in (
        "SELECT count(*) AS c FROM (SELECT * FROM sales UNION ALL SELECT * FROM sales)",
        "WITH s AS (SELECT * FROM sales) SELECT count(*) AS c FROM s, s AS t",
        "SELECT count(*) AS c FROM totals, sales",
    ):
        [answer] = rows(callers["South Sam"], escape)
        assert answer["c"] in (1, 2), escape  # counted from south's one row, never all four
    refused = callers["South Sam"](
        "GET",
        "/pipelines/pdp/query",
        params={"sql": "SELECT * FROM read_parquet('/etc/passwd')"},
    )
    assert refused.status_code == 400
