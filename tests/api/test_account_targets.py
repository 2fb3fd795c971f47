"""An account's secret goes only where the account says (issue 15, items 2 and 4).

Two real HTTP servers on 127.0.0.1: the data source, which serves rows only to `Bearer right`,
and a listener standing in for an attacker's host, which records whatever reaches it. The
account (the admin's) holds the source's base URL and the token; streams choose a path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pytest

from headwater.bootstrap import Runtime
from headwater.connectors.sdk import Checkpoint
from tests.api.conftest import Api
from tests.api.test_connector_runs import wait_for
from tests.connectors.http_support import DataServer, Reply, Request, text_reply

CSV = "id,name\n1,ann\n2,bob\n3,cy\n"
SECRET = "right"


@pytest.fixture
def source() -> Iterator[DataServer]:
    def guarded(request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {SECRET}":
            return Reply(401, b"no", {"Content-Type": "text/plain"})
        return text_reply(CSV, "text/csv")

    with DataServer() as running:
        running.routes["/v1/data.csv"] = guarded
        running.routes["/v1/other.csv"] = guarded
        yield running


@pytest.fixture
def listener() -> Iterator[DataServer]:
    with DataServer() as running:  # every path is a 404, and every request is kept
        yield running


def new_account(api: Api, source: DataServer) -> int:
    created = api.post(
        "/api/data/v1/accounts",
        json={
            "name": "orders api",
            "dataProviderType": "http",
            "configurations": [
                {"name": "url", "value": source.url("/v1/"), "type": "string"},
                {"name": "token", "value": SECRET, "type": "password"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def new_stream(api: Api, account_id: int, configuration: dict[str, str]) -> Any:
    return api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "http"},
            "account": {"id": account_id},
            "configuration": [{"name": k, "value": v} for k, v in configuration.items()],
            "updateMethod": "REPLACE",
            "dataSource": {"name": "Orders"},
        },
    )


def run(api: Api, stream_id: int) -> dict[str, Any]:
    started = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={"runType": "MANUAL"})
    assert started.status_code == 201, started.text
    return wait_for(api, stream_id, started.json()["executionId"])


def share_account(api: Api, account_id: int, user_id: int, level: str) -> None:
    shared = api.post(
        f"/api/data/v1/accounts/{account_id}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": level}]},
    )
    assert shared.status_code == 200, shared.text


def share_dataset(api: Api, dataset_id: str, user_id: int, level: str) -> None:
    shared = api.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": level}]},
    )
    assert shared.status_code == 200, shared.text


def configure(api: Api, stream_id: int, configuration: dict[str, str]) -> Any:
    return api.put(
        f"/api/data/v1/streams/{stream_id}",
        json={"configuration": [{"name": k, "value": v} for k, v in configuration.items()]},
    )


def authorizations(server: DataServer) -> list[str | None]:
    return [r.headers.get("authorization") for r in server.requests]


def test_an_editor_without_the_account_cannot_send_its_secret_elsewhere(
    admin: Api, source: DataServer, listener: DataServer
) -> None:
    editor_id, editor_token = admin.new_user("Eve")
    editor = admin.as_(editor_token)
    stream = new_stream(admin, new_account(admin, source), {"path": "data.csv"})
    assert stream.status_code == 201, stream.text
    stream_id, dataset_id = stream.json()["id"], stream.json()["dataSource"]["id"]
    share_dataset(admin, dataset_id, editor_id, "CAN_EDIT")

    for attempt in (
        {"url": listener.url("/steal")},
        {"path": f"//127.0.0.1:{listener.port}/steal"},
        {"path": "other.csv"},  # even a harmless change: the stream uses an account
    ):
        refused = configure(editor, stream_id, attempt)
        assert refused.status_code == 403, refused.text
        assert "account" in refused.json()["message"]
    elsewhere = editor.put(f"/api/data/v1/streams/{stream_id}", json={"account": {"id": 999}})
    assert elsewhere.status_code == 403, elsewhere.text

    done = run(editor, stream_id)  # CAN_EDIT on the dataset still runs it, where it was
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 3), done
    assert listener.requests == []
    assert authorizations(source) == [f"Bearer {SECRET}"]
    assert [r.path for r in source.requests] == ["/v1/data.csv"]


def test_a_user_who_may_only_view_the_account_uses_it_only_where_it_points(
    admin: Api, source: DataServer, listener: DataServer
) -> None:
    viewer_id, viewer_token = admin.new_user("Vic")
    viewer = admin.as_(viewer_token)
    account_id = new_account(admin, source)
    share_account(admin, account_id, viewer_id, "CAN_VIEW")

    for configuration, field in (
        ({"url": listener.url("/steal")}, "configuration.url"),
        ({"path": f"//127.0.0.1:{listener.port}/steal"}, "configuration.path"),
        ({"path": listener.url("/steal")}, "configuration.path"),
        ({"path": "data.csv", "token": "mine"}, "configuration.token"),
        ({"path": "data.csv", "username": "root"}, "configuration.username"),
    ):
        refused = new_stream(viewer, account_id, configuration)
        assert refused.status_code == 400, (configuration, refused.text)
        assert refused.json()["field"] == field
    # nor through the account itself
    changed = viewer.put(
        f"/api/data/v1/accounts/{account_id}", json={"configurations": {"url": listener.url("/")}}
    )
    assert changed.status_code == 403, changed.text

    stream = new_stream(viewer, account_id, {"path": "data.csv"})
    assert stream.status_code == 201, stream.text
    stream_id = stream.json()["id"]
    redirected = configure(viewer, stream_id, {"url": listener.url("/steal")})
    assert redirected.status_code == 400, redirected.text
    assert redirected.json()["field"] == "configuration.url"
    assert configure(viewer, stream_id, {"path": "/v1/other.csv"}).status_code == 200

    done = run(viewer, stream_id)
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 3), done
    assert listener.requests == []
    assert [r.path for r in source.requests] == ["/v1/other.csv"]


def test_without_access_to_the_account_a_stream_cannot_use_it(
    admin: Api, source: DataServer
) -> None:
    _, stranger_token = admin.new_user("Sam")
    refused = new_stream(admin.as_(stranger_token), new_account(admin, source), {"path": "x"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "account.id"


def test_an_account_read_and_written_back_keeps_its_secret(admin: Api, source: DataServer) -> None:
    account_id = new_account(admin, source)
    read = admin.get(f"/api/data/v1/accounts/{account_id}").json()
    assert {c["name"]: c["value"] for c in read["configurations"]}["token"] == "********"
    written = admin.put(
        f"/api/data/v1/accounts/{account_id}",
        json={"displayName": "Orders API", "configurations": read["configurations"]},
    )
    assert written.status_code == 200, written.text
    stream = new_stream(admin, account_id, {"path": "data.csv"})
    assert stream.status_code == 201, stream.text

    done = run(admin, stream.json()["id"])
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 3), done
    assert authorizations(source) == [f"Bearer {SECRET}"]

    # a new value does replace it
    admin.put(
        f"/api/data/v1/accounts/{account_id}",
        json={"configurations": [{"name": "token", "value": "wrong", "type": "password"}]},
    )
    failed = run(admin, stream.json()["id"])
    assert failed["currentState"] == "ERROR"
    assert "authentication failed (HTTP 401)" in failed["errors"][0]["message"]


class Forwarder:
    """A plug-in that marks no target field: it sends `key` to `endpoint`."""

    name = "forwarder"

    def spec(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "endpoint": {"type": "string"},
                "key": {"type": "string", "secret": True},
            },
        }

    def check(self, config: Mapping[str, Any]) -> None:
        pass

    def discover(self, config: Mapping[str, Any]) -> list[Any]:
        return []

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint]:
        yield pa.record_batch({"endpoint": [str(config.get("endpoint"))]})


def test_a_plugin_that_marks_no_target_takes_its_whole_configuration_from_the_account(
    admin: Api, runtime: Runtime, listener: DataServer
) -> None:
    runtime.registry.register("forwarder", Forwarder)
    account = admin.post(
        "/api/data/v1/accounts",
        json={
            "name": "forwarder",
            "dataProviderType": "forwarder",
            "configurations": {"endpoint": "https://api.example.com", "key": "k"},
        },
    )
    assert account.status_code == 201, account.text
    body = {
        "transport": {"type": "CONNECTOR"},
        "dataProvider": {"key": "forwarder"},
        "account": {"id": account.json()["id"]},
        "dataSource": {"name": "Forwarded"},
    }
    refused = admin.post(
        "/api/data/v1/streams",
        json={**body, "configuration": [{"name": "endpoint", "value": listener.url("/")}]},
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "configuration.endpoint"
    assert "marks no target fields" in refused.json()["message"]
    assert admin.post("/api/data/v1/streams", json=body).status_code == 201


def test_a_secret_in_a_streams_own_configuration_is_masked_and_kept(
    admin: Api, source: DataServer
) -> None:
    """A stream without an account holds its credentials itself: every read masks them (a
    dataset viewer sees the stream, not the token), and writing a read back keeps them."""
    created = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR"},
            "dataProvider": {"key": "http"},
            "configuration": [
                {"name": "url", "value": source.url("/v1/data.csv")},
                {"name": "token", "value": SECRET},
                {"name": "format", "value": "csv"},
            ],
            "updateMethod": "REPLACE",
            "dataSource": {"name": "Inline"},
        },
    )
    assert created.status_code == 201, created.text
    stream = created.json()
    viewer_id, token = admin.new_user("Vera Viewer", role=4)
    share_dataset(admin, stream["dataSource"]["id"], viewer_id, "CAN_VIEW")
    for reader in (admin, admin.as_(token)):
        for read in (
            reader.get(f"/api/data/v1/streams/{stream['id']}", params={"fields": "all"}).json(),
            reader.get(
                "/api/data/v1/streams/search",
                params={"q": "dataSource.name:Inline", "fields": "all"},
            ).json()[0],
            reader.get("/api/data/v1/streams", params={"fields": "all"}).json()[0],
        ):
            values = {c["name"]: c["value"] for c in read["configuration"]}
            assert values["token"] == "********", read
            assert values["format"] == "csv"
            assert SECRET not in str(read)
    read = admin.get(f"/api/data/v1/streams/{stream['id']}", params={"fields": "all"}).json()
    written = admin.put(
        f"/api/data/v1/streams/{stream['id']}", json={"configuration": read["configuration"]}
    )
    assert written.status_code == 200, written.text
    done = run(admin, stream["id"])
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 3), done
    assert authorizations(source) == [f"Bearer {SECRET}"]


def test_a_stream_cannot_pick_the_host_a_request_is_for_through_its_headers(
    admin: Api, source: DataServer
) -> None:
    """The red team's route: the connection went to the account's address, but a `Host`
    header (or the API key sent *as* `Host`) would have a shared front deliver the request,
    credentials included, to another tenant."""
    account_id = new_account(admin, source)
    for configuration, field in (
        ({"path": "data.csv", "headers": '{"Host": "evil.example"}'}, "configuration.headers"),
        ({"path": "data.csv", "headers": '{"X-Forwarded-Host": "evil"}'}, "configuration.headers"),
        ({"path": "data.csv", "api_key_header": "Host"}, "configuration.api_key_header"),
    ):
        refused = new_stream(admin, account_id, configuration)
        assert refused.status_code == 400, refused.text
        assert refused.json()["field"] == field, refused.text
    allowed = new_stream(
        admin, account_id, {"path": "data.csv", "headers": '{"Accept": "text/csv"}'}
    )
    assert allowed.status_code == 201, allowed.text
    done = run(admin, allowed.json()["id"])
    assert done["currentState"] == "SUCCESS", done
    assert {r.headers.get("host") for r in source.requests} == {source.url("/").split("/")[2]}


def test_whoever_moves_an_accounts_target_sends_its_secret_again(
    admin: Api, source: DataServer, listener: DataServer
) -> None:
    """The red team's route: a CAN_EDIT holder changed the account's `url` and kept the
    stored token, so the next run sent it to their host."""
    account_id = new_account(admin, source)
    editor_id, token = admin.new_user("Ed Editor")
    share_account(admin, account_id, editor_id, "CAN_EDIT")
    editor = admin.as_(token)
    moved = editor.put(
        f"/api/data/v1/accounts/{account_id}",
        json={"configurations": [{"name": "url", "value": listener.url("/stolen/")}]},
    )
    assert moved.status_code == 400, moved.text
    assert moved.json()["field"] == "configurations.token"
    masked = editor.put(
        f"/api/data/v1/accounts/{account_id}",
        json={
            "configurations": [
                {"name": "url", "value": listener.url("/stolen/")},
                {"name": "token", "value": "********", "type": "password"},
            ]
        },
    )
    assert masked.status_code == 400, masked.text  # the mask is not the secret
    # Nothing moved: a run still goes to the source, with the secret.
    stream = new_stream(admin, account_id, {"path": "data.csv"})
    assert run(admin, stream.json()["id"])["currentState"] == "SUCCESS"
    assert authorizations(listener) == []
    # With the secret sent along, the change is made (here by the owner: loopback is an
    # admin's choice under the default egress policy).
    again = admin.put(
        f"/api/data/v1/accounts/{account_id}",
        json={
            "configurations": [
                {"name": "url", "value": listener.url("/v1/")},
                {"name": "token", "value": "sent-again", "type": "password"},
            ]
        },
    )
    assert again.status_code == 200, again.text
    run(admin, stream.json()["id"])
    assert authorizations(listener) == ["Bearer sent-again"]
    # Other fields change as before.
    renamed = editor.put(f"/api/data/v1/accounts/{account_id}", json={"displayName": "Renamed"})
    assert renamed.status_code == 200, renamed.text
