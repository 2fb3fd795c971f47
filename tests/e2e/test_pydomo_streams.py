"""pydomo's streams, executions, parts (plain and gzip), commit, abort and search; users and
groups; all against a real server over plain HTTP."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import httpx
import pytest
from pydomo.users import CreateUserRequest

from tests.e2e.pydomo_support import PublicApi

pytestmark = pytest.mark.e2e

STREAM = {
    "dataSet": {
        "name": "Leads",
        "description": "from a stream",
        "schema": {"columns": [{"type": "STRING", "name": "who"}, {"type": "LONG", "name": "n"}]},
    },
    "updateMethod": "APPEND",
}


def rows(domo: object, dataset_id: str) -> list[str]:
    return sorted(domo.datasets.data_export(dataset_id, False).splitlines())  # type: ignore[attr-defined]


def test_stream_execution_parts_commit_and_abort(public_api: PublicApi, tmp_path: Path) -> None:
    domo = public_api.domo()
    stream = domo.streams.create(STREAM)
    stream_id, dataset_id = stream["id"], stream["dataSet"]["id"]
    assert stream["updateMethod"] == "APPEND"
    assert domo.streams.get(stream_id)["dataSet"]["name"] == "Leads"
    assert [s["id"] for s in domo.streams.list(50, 0)] == [stream_id]
    assert domo.streams.list(50, 50) == []
    found = domo.streams.search(f"dataSource.id:{dataset_id}")
    assert [s["id"] for s in found] == [stream_id]
    assert domo.streams.search("dataSource.owner.id:1")[0]["dataSet"]["id"] == dataset_id

    execution = domo.streams.create_execution(stream_id)
    assert execution["currentState"] == "ACTIVE"
    assert execution["endedAt"] is None
    eid = execution["id"]
    domo.streams.upload_part(stream_id, eid, 0, "ann,1\nbob,2\n")  # parts may start at 0
    plain = tmp_path / "part.csv"
    plain.write_text('"c, d",3\n')
    domo.streams.upload_gzip_part_from_file(stream_id, eid, 1, str(plain), False, 1024)
    domo.streams.upload_gzip_part_from_file(stream_id, eid, 2, str(plain), True, 4)
    zipped = tmp_path / "part.csv.gz"
    zipped.write_bytes(gzip.compress(b"eve,5\n"))
    domo.streams.upload_csv_part_from_file(stream_id, eid, 3, str(zipped), "gzip")  # chunked
    domo.streams.upload_csv_part_from_file(stream_id, eid, 4, str(plain), None)
    committed = domo.streams.commit_execution(stream_id, eid)
    assert committed["currentState"] == "SUCCESS"
    assert committed["rows"] == 6
    assert domo.streams.get_execution(stream_id, eid)["endedAt"] is not None
    assert rows(domo, dataset_id) == sorted(['"c, d",3'] * 3 + ['"ann",1', '"bob",2', '"eve",5'])

    # abort one execution by id, then the current one: neither reaches the dataset
    second = domo.streams.create_execution(stream_id, "REPLACE")
    domo.streams.upload_part(stream_id, second["id"], 1, "zed,9\n")
    aborted = domo.streams.abort_execution(stream_id, second["id"])
    assert aborted["currentState"] == "ABORTED"
    third = domo.streams.create_execution(stream_id)
    domo.streams.upload_part(stream_id, third["id"], 1, "zed,9\n")
    domo.streams.abort_current_execution(stream_id)
    assert domo.streams.get_execution(stream_id, third["id"])["currentState"] == "ABORTED"
    assert len(rows(domo, dataset_id)) == 6
    states = [e["currentState"] for e in domo.streams.list_executions(stream_id, 50, 0)]
    assert states == ["ABORTED", "ABORTED", "SUCCESS"]

    patched = domo.streams.update(stream_id, {"updateMethod": "REPLACE"})
    assert patched["updateMethod"] == "REPLACE"
    again = domo.streams.create_execution(stream_id)
    assert again["updateMethod"] == "REPLACE"
    domo.streams.upload_part(stream_id, again["id"], 1, "solo,1\n")
    domo.streams.commit_execution(stream_id, again["id"])
    assert rows(domo, dataset_id) == ['"solo",1']

    domo.streams.delete(stream_id)
    with pytest.raises(Exception, match="404"):
        domo.streams.get(stream_id)
    assert domo.datasets.get(dataset_id)["rows"] == 1  # the dataset stays


def test_product_and_public_streams_are_the_same_streams(public_api: PublicApi) -> None:
    domo = public_api.domo()
    stream_id = domo.streams.create(STREAM)["id"]
    execution = domo.streams.create_execution(stream_id)
    product = public_api.product("GET", f"/api/data/v1/streams/{stream_id}/executions")
    assert [e["executionId"] for e in product.json()] == [execution["id"]]
    part = public_api.product(
        "PUT",
        f"/api/data/v1/streams/{stream_id}/executions/{execution['id']}/part/1",
        content=b"via,1\n",
        headers={"Content-Type": "text/csv"},
    )
    assert part.status_code == 200
    assert domo.streams.commit_execution(stream_id, execution["id"])["rows"] == 1


def test_users_and_groups(public_api: PublicApi) -> None:
    domo = public_api.domo()
    request = CreateUserRequest()
    request.name, request.email, request.role = "Ada", "ada@example.com", "Participant"
    ada = domo.users.create(request, False)
    assert (ada["name"], ada["role"]) == ("Ada", "Participant")
    assert domo.users.get(ada["id"])["email"] == "ada@example.com"
    grace = domo.users_add("Grace", "grace@example.com", "Editor")
    listed = domo.users_list(df_output=False)  # pages of 500 until an empty one
    assert {u["name"] for u in listed} == {"admin", "Ada", "Grace"}
    domo.users_update(grace["id"], {"name": "Grace H", "role": "Privileged"})
    assert domo.users_get(grace["id"])["role"] == "Privileged"

    group = domo.groups_create("Analysts", [ada["id"], grace["id"]])
    assert group["name"] == "Analysts"
    assert sorted(domo.groups_list_users(group["id"])) == sorted([ada["id"], grace["id"]])
    domo.groups_remove_users(group["id"], grace["id"])
    assert domo.groups_list_users(group["id"]) == [ada["id"]]
    domo.groups.update(group["id"], {"name": "Data analysts"})
    assert domo.groups_get(group["id"])["name"] == "Data analysts"
    assert list(domo.groups_list()["name"]) == ["Data analysts"]
    domo.groups_delete(group["id"])  # removes the members, then the group
    with pytest.raises(Exception, match="404"):
        domo.groups_get(group["id"])

    domo.users_delete(ada["id"])
    with pytest.raises(Exception, match="404"):
        domo.users_get(ada["id"])


def test_access_tokens_expire_and_pydomo_renews_them(server_factory: type) -> None:
    from tests.e2e.pydomo_support import ADMIN_TOKEN

    server = server_factory(admin_token=ADMIN_TOKEN, HEADWATER_OAUTH_TOKEN_TTL_SECONDS="2")
    server.start()
    api = PublicApi(server)
    client_id, secret = api.client_for()
    issued = httpx.post(
        f"{server.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "data"},
        auth=(client_id, secret),
    )
    assert issued.status_code == 200
    token = issued.json()["access_token"]
    bearer = {"Authorization": f"bearer {token}"}
    assert httpx.get(f"{server.url}/v1/datasets", headers=bearer).status_code == 200
    domo = api.domo()
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.url}/v1/datasets", headers=bearer).status_code == 200:
        assert time.monotonic() < deadline, "the token never expired"
        time.sleep(0.25)
    refused = httpx.get(f"{server.url}/v1/datasets", headers=bearer)
    assert refused.status_code == 401
    assert refused.json()["code"] == "TOKEN_EXPIRED"
    assert list(domo.datasets.list()) == []  # pydomo read `exp` and asked for a new token
