"""The egress policy in a real `headwater serve` listening on every interface: an Editor's
`http` stream and `url_input` connector cannot reach the server itself, by the loopback or by
another of the machine's addresses (its own port), while an admin's may."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from feldera import FelderaClient, PipelineBuilder

from tests.e2e.test_feldera_client import wait_for

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-egress-token"


def own_address() -> str | None:
    """One of this machine's addresses that is not the loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: picks a route, sends nothing
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def url_input(name: str, url: str) -> str:
    connectors = [{"name": "self", "transport": {"name": "url_input", "config": {"path": url}}}]
    return f"CREATE TABLE {name} (status VARCHAR) WITH ('connectors' = '{json.dumps(connectors)}');"


def http_stream(api: httpx.Client, url: str) -> httpx.Response:
    return api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "http"},
            "configuration": [{"name": "url", "value": url}, {"name": "format", "value": "json"}],
            "dataSource": {"name": "Myself"},
        },
    )


def fatal_error(client: FelderaClient, pipeline: str, table: str) -> Any:
    return wait_for(
        lambda: client.input_connector_stats(pipeline, table, "self")["fatal_error"],
        what="the connector's fatal error",
    )


def test_connectors_reach_the_server_itself_only_when_an_admin_chose_it(
    server_factory: Any,
) -> None:
    server = server_factory(admin_token=TOKEN, HEADWATER_HOST="0.0.0.0")
    server.start()
    headers = {"X-DOMO-Developer-Token": TOKEN}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as admin:
        created = admin.post(
            "/api/content/v3/users",
            json={"displayName": "Ed", "detail": {"email": "ed@example.com"}, "roleId": 3},
        )
        token = admin.post(
            "/api/data/v1/accesstokens", json={"name": "t", "ownerId": created.json()["id"]}
        ).json()["token"]
        own = own_address()
        refused = [("127.0.0.1", "loopback")]
        if own is not None:
            refused.append((own, "the server's own port"))
        editor_headers = {"X-DOMO-Developer-Token": token}
        with httpx.Client(base_url=server.url, headers=editor_headers, timeout=30) as editor:
            for host, reason in refused:
                answer = http_stream(editor, f"http://{host}:{server.port}/health")
                assert answer.status_code == 400, answer.text
                assert answer.json()["message"] == (
                    f"{host}:{server.port} is not allowed by the egress policy: {reason}"
                )
        assert http_stream(admin, f"http://127.0.0.1:{server.port}/health").status_code == 201

    # url_input has no create-time check: its connector stops when it would connect
    target = f"http://{own or '127.0.0.1'}:{server.port}/health"
    reason = "the server's own port" if own else "loopback"
    as_editor = FelderaClient(server.url, api_key=token)
    PipelineBuilder(as_editor, "selfie", url_input("hits", target)).create_or_replace().start()
    assert fatal_error(as_editor, "selfie", "hits") == (
        f"{own or '127.0.0.1'}:{server.port} is not allowed by the egress policy: {reason}"
    )
    as_admin = FelderaClient(server.url, api_key=TOKEN)
    mine = PipelineBuilder(as_admin, "mine", url_input("health", target)).create_or_replace()
    mine.start()
    wait_for(
        lambda: as_admin.input_connector_stats("mine", "health", "self")["metrics"]["end_of_input"],
        what="the admin's url_input to read /health",
    )
    assert as_admin.input_connector_stats("mine", "health", "self")["fatal_error"] is None
