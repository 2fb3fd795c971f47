"""CSV export of the committed version, and the list of an upload's landed parts."""

from __future__ import annotations

import csv
import gzip
import io

from tests.api.conftest import Api

COLUMNS = [
    {"type": "STRING", "name": "name"},
    {"type": "LONG", "name": "n"},
    {"type": "DATETIME", "name": "at"},
    {"type": "DATE", "name": "day"},
    {"type": "DOUBLE", "name": "x"},
    {"type": "BOOLEAN", "name": "ok"},
]
ROWS = (
    "plain,1,2024-01-02 03:04:05,2024-01-02,1.5,true\n"
    '"with, comma",2,2024-01-02T03:04:05.250000,2024-02-29,-2,false\n'
    '"",,,,,\n'
    '"quote "" and\nnewline",4,2024-12-31 23:59:59,2024-12-31,1e20,true\n'
)


def upload(api: Api, data: bytes, *parts: bytes) -> tuple[str, int, int]:
    created = api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "API"},
            "dataSource": {"name": "E", "schema": {"columns": COLUMNS}},
        },
    )
    assert created.status_code == 201, created.text
    stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]
    eid = api.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()["executionId"]
    for index, body in enumerate([data, *parts]):
        put = api.put(
            f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/{index + 1}",
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        assert put.status_code == 200, put.text
    return dataset_id, stream_id, eid


def export(api: Api, dataset_id: str, header: str = "true") -> tuple[int, str, str]:
    response = api.get(
        f"/api/data/v2/datasources/{dataset_id}/dataversions/latest",
        params={"includeHeader": header},
    )
    return response.status_code, response.headers.get("content-type", ""), response.text


def test_export_streams_the_committed_rows_as_csv_that_uploads_again(admin: Api) -> None:
    dataset_id, stream_id, eid = upload(admin, ROWS.encode())
    status, _, before = export(admin, dataset_id)
    assert status == 200
    assert before.splitlines() == ['"name","n","at","day","x","ok"']  # nothing committed yet

    assert admin.put(f"/api/data/v1/streams/{stream_id}/executions/{eid}/commit").status_code == 200
    status, content_type, text = export(admin, dataset_id)
    assert status == 200
    assert content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "n", "at", "day", "x", "ok"]
    assert rows[1] == ["plain", "1", "2024-01-02 03:04:05", "2024-01-02", "1.5", "true"]
    assert rows[2][0] == "with, comma"
    assert rows[3] == [""] * 6
    assert rows[4][0] == 'quote " and\nnewline'
    assert '"",,,,,' in text  # an empty string stays quoted, nulls stay empty

    # the export, without its header, is a valid upload that lands the same rows
    _, _, headerless = export(admin, dataset_id, "false")
    copy_id, copy_stream, copy_eid = upload(admin, headerless.encode())
    commit = admin.put(f"/api/data/v1/streams/{copy_stream}/executions/{copy_eid}/commit")
    assert commit.status_code == 200, commit.text
    assert export(admin, copy_id)[2] == text
    empty = admin.post(
        f"/api/query/v1/execute/{copy_id}",
        json={"sql": "SELECT COUNT(*) AS c FROM table WHERE name = '' AND n IS NULL"},
    )
    assert empty.json() == [{"c": 1}]


def test_export_needs_view_access(admin: Api) -> None:
    dataset_id, _, _ = upload(admin, b"a,1,,,,\n")
    _, stranger = admin.new_user("Stranger")
    assert export(admin.as_(stranger), dataset_id)[0] == 404
    assert export(admin.as_(None), dataset_id)[0] == 401
    assert export(admin, "no-such-dataset")[0] == 404


def test_parts_lists_what_landed_with_rows_and_bytes_received(admin: Api) -> None:
    second = gzip.compress(b"b,2,,,,\nc,3,,,,\n")
    dataset_id, stream_id, eid = upload(admin, b"a,1,,,,\n", second)
    listed = admin.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}/parts")
    assert listed.status_code == 200
    parts = listed.json()
    assert [(p["partId"], p["rows"], p["bytes"]) for p in parts] == [
        (1, 1, len(b"a,1,,,,\n")),
        (2, 2, len(second)),
    ]
    assert all(p["uploadedAt"] > 0 for p in parts)
    # a bad part does not land, and is not listed
    bad = admin.put(
        f"/api/data/v1/streams/{stream_id}/executions/{eid}/part/3", content=b"x,notanumber,,,,\n"
    )
    assert bad.status_code == 400
    again = admin.get(f"/api/data/v1/streams/{stream_id}/executions/{eid}/parts").json()
    assert [p["partId"] for p in again] == [1, 2]
    _, stranger = admin.new_user("Stranger")
    assert (
        admin.as_(stranger)
        .get(f"/api/data/v1/streams/{stream_id}/executions/{eid}/parts")
        .status_code
        == 404
    )
    assert admin.get(f"/api/data/v1/streams/{stream_id}/executions/999/parts").status_code == 404
    assert dataset_id
