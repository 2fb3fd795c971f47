"""The egress policy through the API (issue 15, item 3): what a non-admin's connector may
reach, checked on the address actually connected to, redirects included.

Real servers on 127.0.0.1: two HTTP servers (one opened to everyone by an ALLOW entry) and
the local PostgreSQL. The service's own settings are the defaults plus that one entry.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headwater.settings import EgressSettings, Settings
from tests.api.conftest import Api
from tests.api.test_connector_runs import wait_for
from tests.connectors.http_support import DataServer, Reply, text_reply

CSV = "id,name\n1,ann\n2,bob\n"


@pytest.fixture
def opened() -> Iterator[DataServer]:
    """A server on the loopback that ALLOW opens to everyone."""
    with DataServer() as running:
        running.routes["/data.csv"] = lambda request: text_reply(CSV, "text/csv")
        yield running


@pytest.fixture
def closed() -> Iterator[DataServer]:
    """A server on the loopback that nothing opens: only an admin's streams may reach it."""
    with DataServer() as running:
        running.routes["/data.csv"] = lambda request: text_reply(CSV, "text/csv")
        yield running


@pytest.fixture
def settings(settings: Settings, opened: DataServer) -> Settings:
    return settings.model_copy(
        update={"egress": EgressSettings(allow=[f"127.0.0.1:{opened.port}"])}
    )


@pytest.fixture
def editor(admin: Api) -> Api:
    _, token = admin.new_user("Eddie", role=3)
    return admin.as_(token)


def create(api: Api, provider: str, configuration: dict[str, Any]) -> Any:
    return api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": provider},
            "configuration": [{"name": k, "value": str(v)} for k, v in configuration.items()],
            "updateMethod": "REPLACE",
            "dataSource": {"name": f"From {provider}"},
        },
    )


def run(api: Api, stream_id: int) -> dict[str, Any]:
    started = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    assert started.status_code == 201, started.text
    return wait_for(api, stream_id, started.json()["executionId"])


def rows(api: Api, dataset_id: str) -> int:
    return int(api.get(f"/api/data/v3/datasources/{dataset_id}").json()["rowCount"])


def loopback_name() -> str | None:
    """A name other than `localhost` that /etc/hosts points at the loopback, if any."""
    hosts = Path("/etc/hosts")
    if not hosts.exists():
        return None
    for line in hosts.read_text().splitlines():
        words = line.split("#")[0].split()
        if len(words) < 2 or not words[0].startswith("127."):
            continue
        for name in words[1:]:
            if name == "localhost" or name.endswith(".localhost"):
                continue
            found = {a[4][0] for a in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
            if found and all(ipaddress.ip_address(a).is_loopback for a in found):
                return name
    return None


SQL = {
    "driver": "postgresql",
    "host": "127.0.0.1",
    "port": 5432,
    "username": "postgres",
    "database": "test",
    "query": "SELECT rolname FROM pg_authid",
}


def test_an_editors_sql_stream_to_the_local_postgres_is_refused_at_create(
    admin: Api, editor: Api
) -> None:
    before = admin.get("/api/data/v1/streams").json()
    refused = create(editor, "sql", SQL)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "EGRESS_REFUSED"
    assert refused.json()["field"] == "configuration.host"
    assert refused.json()["message"] == (
        "127.0.0.1:5432 is not allowed by the egress policy: loopback"
    )
    assert admin.get("/api/data/v1/streams").json() == before  # nothing was created


def test_a_name_that_resolves_to_the_loopback_is_refused_when_the_run_connects(
    admin: Api, editor: Api
) -> None:
    name = loopback_name()
    if name is None:
        pytest.skip("no name in /etc/hosts points at the loopback here")
    stream = create(editor, "sql", {**SQL, "host": name})
    assert stream.status_code == 201, stream.text  # a name: only the run can know
    done = run(editor, stream.json()["id"])
    assert done["currentState"] == "ERROR", done
    assert done["retryCount"] == 0  # terminal: retrying would be refused again
    message = done["errors"][0]["message"]
    assert message == f"{name}:5432 (127.0.0.1) is not allowed by the egress policy: loopback"
    assert rows(editor, stream.json()["dataSource"]["id"]) == 0


def test_localhost_is_the_loopback_whatever_it_resolves_to(editor: Api, closed: DataServer) -> None:
    refused = create(editor, "http", {"url": f"http://localhost:{closed.port}/data.csv"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"] == (
        f"localhost:{closed.port} is not allowed by the egress policy: loopback"
    )
    assert closed.requests == []


def test_http_to_the_server_itself_is_refused(editor: Api, settings: Settings) -> None:
    refused = create(editor, "http", {"url": f"http://127.0.0.1:{settings.port}/health"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "configuration.url"


def test_a_redirect_from_an_allowed_host_to_the_loopback_is_refused(
    editor: Api, opened: DataServer, closed: DataServer
) -> None:
    target = closed.url("/data.csv")
    opened.routes["/moved"] = lambda request: Reply(302, b"", {"Location": target})
    stream = create(editor, "http", {"url": opened.url("/moved")})
    assert stream.status_code == 201, stream.text
    done = run(editor, stream.json()["id"])
    assert done["currentState"] == "ERROR", done
    assert done["errors"][0]["message"] == (
        f"127.0.0.1:{closed.port} is not allowed by the egress policy: loopback"
    )
    assert [r.path for r in opened.requests] == ["/moved"]
    assert closed.requests == []
    assert rows(editor, stream.json()["dataSource"]["id"]) == 0


def test_allow_opens_a_loopback_destination_to_everyone(editor: Api, opened: DataServer) -> None:
    stream = create(editor, "http", {"url": opened.url("/data.csv")})
    assert stream.status_code == 201, stream.text
    done = run(editor, stream.json()["id"])
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 2), done


def test_admins_may_reach_the_loopback(admin: Api, closed: DataServer) -> None:
    stream = create(admin, "http", {"url": closed.url("/data.csv")})
    assert stream.status_code == 201, stream.text
    done = run(admin, stream.json()["id"])
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 2), done


def test_the_exemption_follows_who_chose_the_destination_not_who_runs_it(
    admin: Api, closed: DataServer
) -> None:
    editor_id, token = admin.new_user("Edna", role=3)
    editor = admin.as_(token)
    # an admin's stream, run by the editor it is shared with, reaches what the admin chose
    stream = create(admin, "http", {"url": closed.url("/data.csv")})
    stream_id, dataset_id = stream.json()["id"], stream.json()["dataSource"]["id"]
    shared = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": editor_id, "accessLevel": "CAN_EDIT"}]},
    )
    assert shared.status_code == 200, shared.text
    assert run(editor, stream_id)["currentState"] == "SUCCESS"
    # once the editor changes where it goes, the editor chose it; an admin's run does not
    # lend it the admin's exemption (the name is not refused before a run resolves it)
    name = loopback_name() or "127.1"  # inet_aton's short form of 127.0.0.1: a name to URLs
    url = f"http://{name}:{closed.port}/data.csv"
    changed = editor.put(
        f"/api/data/v1/streams/{stream_id}",
        json={"configuration": [{"name": "url", "value": url}]},
    )
    assert changed.status_code == 200, changed.text
    requests = len(closed.requests)
    done = run(admin, stream_id)  # whoever presses run
    assert done["currentState"] == "ERROR", done
    assert "is not allowed by the egress policy: loopback" in done["errors"][0]["message"]
    assert len(closed.requests) == requests


def test_an_account_naming_a_refused_destination_is_refused_to_non_admins(
    admin: Api, editor: Api
) -> None:
    body = {
        "name": "local postgres",
        "dataProviderType": "sql",
        "configurations": {
            "driver": "postgresql",
            "host": "127.0.0.1",
            "port": "5432",  # without it, this module's ALLOW of another 127.0.0.1 port might
            "username": "postgres",  # match: only the run, knowing the port, could tell
        },
    }
    refused = editor.post("/api/data/v1/accounts", json=body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "EGRESS_REFUSED"
    assert refused.json()["field"] == "configurations.host"
    assert editor.get("/api/data/v1/accounts").json() == []
    assert admin.post("/api/data/v1/accounts", json=body).status_code == 201
