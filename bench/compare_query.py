"""Query latency of two builds side by side, for a change's before/after figures.

Two `headwater serve` processes (this checkout's and another worktree's interpreter) get the
same benchmark data; the queries then alternate between them, as an admin (no row policy) and
as a Participant under a PDP policy, so a noisy machine weighs on both alike. Medians in ms.

    .venv/bin/python -m bench.compare_query --base /path/to/other/.venv/bin/python [--rows N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx

from bench.cases.upload import _upload
from bench.data import SCHEMA, dataset
from bench.server import Server

QUERIES = {
    "group-by": "SELECT region, COUNT(*) AS n, SUM(price) AS total FROM table GROUP BY region",
    "filter": "SELECT * FROM table WHERE id = 1234",
}


def _prepare(server: Server, parts: list) -> tuple[httpx.Client, httpx.Client, str]:  # type: ignore[type-arg]
    """The data uploaded, and a Participant who sees two regions of five: (admin, pdp, id)."""
    http = server.client()
    stream = http.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "API"},
            "updateMethod": "REPLACE",
            "dataSource": {"name": "bench", "schema": {"columns": SCHEMA}},
        },
    ).json()
    _upload(http, stream["id"], parts, False)
    dataset_id = stream["dataSource"]["id"]
    user = http.post(
        "/api/content/v3/users",
        json={"displayName": "P", "detail": {"email": "p@example.com"}, "roleId": 4},
    ).json()
    token = http.post("/api/data/v1/accesstokens", json={"name": "t", "ownerId": user["id"]})
    http.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": user["id"], "accessLevel": "CAN_VIEW"}]},
    ).raise_for_status()
    http.post(
        f"/v1/datasets/{dataset_id}/policies",
        json={
            "name": "two regions",
            "type": "user",
            "users": [user["id"]],
            "filters": [{"column": "region", "values": ["north", "south"], "operator": "EQUALS"}],
        },
    ).raise_for_status()
    pdp = httpx.Client(
        base_url=server.url,
        headers={"X-DOMO-Developer-Token": token.json()["token"]},
        timeout=300,
    )
    return http, pdp, dataset_id


def _ms(client: httpx.Client, dataset_id: str, sql: str) -> float:
    started = time.perf_counter()
    client.post(f"/api/query/v1/execute/{dataset_id}", json={"sql": sql}).raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the other build's python")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    data = dataset(args.rows)
    with Server(python=args.base) as base, Server(python=sys.executable) as new:
        sides = {"base": _prepare(base, data.parts), "new": _prepare(new, data.parts)}
        first = {
            side: _ms(pdp, dataset_id, QUERIES["group-by"])
            for side, (_, pdp, dataset_id) in sides.items()
        }
        times: dict[tuple[str, str, str], list[float]] = {}
        for run in range(args.runs + 3):  # 3 to warm up
            for side, (admin, pdp, dataset_id) in sides.items():
                for name, sql in QUERIES.items():
                    for who, client in (("admin", admin), ("pdp", pdp)):
                        took = _ms(client, dataset_id, sql)
                        if run >= 3:
                            times.setdefault((who, name, side), []).append(took)
    print(f"{args.rows:,} rows, {args.runs} runs each, builds alternated; medians in ms")
    print(f"first PDP query after the upload: base {first['base']:.1f}, new {first['new']:.1f}")
    for who in ("admin", "pdp"):
        for name in QUERIES:
            old = statistics.median(times[(who, name, "base")])
            now = statistics.median(times[(who, name, "new")])
            print(f"{who:5} {name:9} base {old:8.1f}  new {now:8.1f}  new/base {now / old:.2f}")


if __name__ == "__main__":
    main()
