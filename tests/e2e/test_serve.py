"""`headwater serve` as a process: first start, a real HTTP round trip, restart keeps data."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


def test_first_start_prints_a_generated_token_that_works(server_factory: type[Server]) -> None:
    server = server_factory()
    server.start()
    response = httpx.get(f"{server.url}/api/content/v2/users/me")
    assert response.status_code == 401
    output = server.stop()
    match = re.search(r"^\s+(hw_\S+)$", output, re.MULTILINE)
    assert match, output
    assert server.url in output

    again = server_factory()  # same data dir: no new admin, no token printed
    again.start()
    me = httpx.get(
        f"{again.url}/api/content/v2/users/me", headers={"X-DOMO-Developer-Token": match.group(1)}
    )
    assert me.status_code == 200
    assert me.json()["displayName"] == "admin"
    assert "hw_" not in again.stop()


def test_dataset_round_trip_over_http_survives_a_restart(server_factory: type[Server]) -> None:
    token = "hw_e2e-admin"
    headers = {"X-DOMO-Developer-Token": token}
    server = server_factory(admin_token=token)
    server.start()
    with httpx.Client(base_url=server.url, headers=headers) as http:
        created = http.post(
            "/api/data/v3/datasources",
            json={
                "name": "Orders",
                "schema": {
                    "columns": [{"type": "STRING", "name": "sku"}, {"type": "LONG", "name": "qty"}]
                },
            },
        )
        assert created.status_code == 201
        dataset_id = created.json()["id"]
        for row in ("a,1", "b,2", "a,3"):
            assert (
                http.post(
                    f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": row}
                ).status_code
                == 200
            )
    server.stop()

    restarted = server_factory(admin_token=token)
    restarted.start()
    with httpx.Client(base_url=restarted.url, headers=headers) as http:
        body = http.get(f"/api/data/v3/datasources/{dataset_id}").json()
        assert body["rowCount"] == 3
        rows = http.post(
            f"/api/query/v1/execute/{dataset_id}",
            json={"sql": "SELECT sku, SUM(qty) AS qty FROM table GROUP BY sku ORDER BY sku"},
        ).json()
        assert rows == [{"sku": "a", "qty": 4}, {"sku": "b", "qty": 2}]
