"""Multipart uploads: parts in any order and form, one atomic commit, bad input loses nothing."""

from __future__ import annotations

import gzip
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from headwater.adapters.metadata.datasets import SqlDatasetRepository
from headwater.bootstrap import Runtime
from tests.api.conftest import Api

COLUMNS = [
    {"type": "STRING", "name": "sku"},
    {"type": "LONG", "name": "qty"},
    {"type": "DATETIME", "name": "at"},
]


class Upload:
    def __init__(self, api: Api, method: str = "REPLACE", keys: list[str] | None = None) -> None:
        body = {
            "transport": {"type": "API"},
            "updateMethod": method,
            "dataSource": {"name": "Orders", "schema": {"columns": COLUMNS}},
        }
        if keys:
            body["keyColumnNames"] = keys
        created = api.post("/api/data/v1/streams", json=body)
        assert created.status_code == 201, created.text
        self.api = api
        self.stream_id = created.json()["id"]
        self.dataset_id = created.json()["dataSource"]["id"]

    def start(self, **body: object) -> int:
        response = self.api.post(f"/api/data/v1/streams/{self.stream_id}/executions", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["executionId"])

    def part(
        self,
        eid: int,
        pid: int,
        data: bytes,
        *,
        style: str = "executions",
        headers: dict[str, str] | None = None,
    ):  # type: ignore[no-untyped-def]
        path = (
            f"/api/data/v1/streams/{self.stream_id}/executions/{eid}/part/{pid}"
            if style == "executions"
            else f"/api/data/v1/streams/{self.stream_id}/data/{eid}/parts/{pid}"
        )
        return self.api.put(
            path, content=data, headers={"Content-Type": "text/csv", **(headers or {})}
        )

    def commit(self, eid: int, style: str = "executions", **body: object):  # type: ignore[no-untyped-def]
        kind = "executions" if style == "executions" else "data"
        return self.api.put(f"/api/data/v1/streams/{self.stream_id}/{kind}/{eid}/commit", json=body)

    def rows(self) -> list[tuple[str, int]]:
        result = self.api.post(
            f"/api/query/v1/execute/{self.dataset_id}",
            json={"sql": "SELECT sku, qty FROM table ORDER BY sku, qty"},
        )
        assert result.status_code == 200, result.text
        return [(r["sku"], r["qty"]) for r in result.json()]

    def dataset(self) -> dict:  # type: ignore[type-arg]
        return self.api.get(f"/api/data/v3/datasources/{self.dataset_id}").json()


def test_parts_in_any_order_commit_in_part_order_as_one_version(admin: Api) -> None:
    upload = Upload(admin)
    eid = upload.start()
    assert upload.part(eid, 2, b"c,3,2024-01-01 00:00:02\n").status_code == 200
    assert upload.part(eid, 1, b"b,2,2024-01-01T00:00:01\n", style="data").status_code == 200
    assert upload.part(eid, 0, b'"a,x",1,\n').status_code == 200
    assert upload.dataset()["dataVersion"] is None  # nothing visible before commit
    committed = upload.commit(eid)
    assert committed.status_code == 200, committed.text
    body = committed.json()
    assert body["currentState"] == "SUCCESS"
    assert body["rowsInserted"] == 3
    assert body["endedAt"] is not None
    assert upload.rows() == [("a,x", 1), ("b", 2), ("c", 3)]
    dataset = upload.dataset()
    assert dataset["rowCount"] == 3
    assert dataset["dataVersion"] == body["dataVersion"]


def test_gzip_by_content_encoding_content_type_or_magic_bytes(admin: Api) -> None:
    upload = Upload(admin, method="APPEND")
    eid = upload.start()
    assert (
        upload.part(
            eid, 1, gzip.compress(b"a,1,\n"), headers={"Content-Encoding": "gzip"}
        ).status_code
        == 200
    )
    assert (
        upload.part(
            eid, 2, gzip.compress(b"b,2,\n"), headers={"Content-Type": "application/gzip"}
        ).status_code
        == 200
    )
    assert upload.part(eid, 3, gzip.compress(b"c,3,\n")).status_code == 200
    assert upload.commit(eid).json()["currentState"] == "SUCCESS"
    assert upload.rows() == [("a", 1), ("b", 2), ("c", 3)]


def test_chunked_body_streams(admin: Api) -> None:
    upload = Upload(admin)
    eid = upload.start()

    def chunks():  # type: ignore[no-untyped-def]
        for i in range(50):
            yield f"s{i:02d},{i},\n".encode()

    path = f"/api/data/v1/streams/{upload.stream_id}/executions/{eid}/part/0"
    assert (
        admin.put(path, content=chunks(), headers={"Content-Type": "text/csv"}).status_code == 200
    )
    assert upload.commit(eid).json()["rowsInserted"] == 50


def test_parallel_parts_and_replacing_a_part(admin: Api) -> None:
    upload = Upload(admin)
    eid = upload.start()
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(
                lambda i: upload.part(eid, i, f"p{i:02d},{i},\n".encode()).status_code, range(1, 21)
            )
        )
    assert codes == [200] * 20
    assert upload.part(eid, 5, b"p05,500,\nextra,1,\n").status_code == 200  # replaces part 5
    assert upload.commit(eid).json()["rowsInserted"] == 21
    rows = dict(upload.rows())
    assert rows["p05"] == 500
    assert rows["extra"] == 1


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"a,1,\nb,two,\n", 2, "qty"),
        (b"a,1,\nb,2,\nc,3,not-a-time\n", 3, "at"),
        (b"a,1,\nb,2,,extra\n", 2, None),
        (b'a,1,\n"unterminated,2,\n', 2, None),
    ],
    ids=["wrong-type", "bad-datetime", "column-count", "bad-quoting"],
)
def test_a_bad_part_names_its_line_and_the_execution_stays_usable(
    admin: Api, data: bytes, line: int, column: str | None
) -> None:
    upload = Upload(admin)
    eid = upload.start()
    assert upload.part(eid, 1, b"ok,1,\n").status_code == 200
    bad = upload.part(eid, 2, data)
    assert bad.status_code == 400, bad.text
    error = bad.json()
    assert error["code"] == "BAD_DATA"
    assert error["line"] == line
    assert f"line {line}" in error["message"]
    if column:
        assert error["column"] == column
    assert upload.commit(eid).json()["rowsInserted"] == 1  # the good part still commits
    assert upload.rows() == [("ok", 1)]


def test_bad_gzip_unknown_execution_empty_and_double_commit(admin: Api) -> None:
    upload = Upload(admin)
    eid = upload.start()
    broken = gzip.compress(b"a,1,\n" * 100)[:-20]
    response = upload.part(eid, 1, broken, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["message"]
    not_gzip = upload.part(eid, 1, b"a,1,\n", headers={"Content-Encoding": "gzip"})
    assert not_gzip.status_code == 400
    assert upload.part(99999, 1, b"a,1,\n").status_code == 404
    empty_commit = upload.commit(eid)
    assert empty_commit.status_code == 400
    assert "no parts" in empty_commit.json()["message"]
    upload.part(eid, 1, b"a,1,\n")
    assert upload.commit(eid).status_code == 200
    twice = upload.commit(eid)
    assert twice.status_code == 409
    assert upload.part(eid, 2, b"b,2,\n").status_code == 409
    assert upload.dataset()["rowCount"] == 1


def test_abort_discards_the_parts(admin: Api, settings) -> None:  # type: ignore[no-untyped-def]
    upload = Upload(admin)
    eid = upload.start()
    upload.part(eid, 1, b"a,1,\n")
    assert any((settings.staging_dir / str(eid)).iterdir())
    assert (
        admin.put(f"/api/data/v1/streams/{upload.stream_id}/executions/{eid}/abort").status_code
        == 200
    )
    assert not (settings.staging_dir / str(eid)).exists()
    assert upload.dataset()["dataVersion"] is None


def test_replace_append_and_upsert(admin: Api) -> None:
    upload = Upload(admin, method="UPSERT", keys=["sku"])
    first = upload.start(updateMethod="REPLACE")
    upload.part(first, 0, b"a,1,\nb,2,\n")
    upload.commit(first)
    second = upload.start(updateMethod="APPEND")
    upload.part(second, 0, b"c,3,\n")
    upload.commit(second)
    assert upload.rows() == [("a", 1), ("b", 2), ("c", 3)]
    third = upload.start()  # the stream's method: UPSERT on sku
    upload.part(third, 0, b"b,20,\nd,4,\n")
    assert upload.commit(third).json()["currentState"] == "SUCCESS"
    assert upload.rows() == [("a", 1), ("b", 20), ("c", 3), ("d", 4)]
    fourth = upload.start()
    upload.part(fourth, 0, b"z,9,\n")
    assert upload.commit(fourth, updateMethod="REPLACE").json()["updateMethod"] == "REPLACE"
    assert upload.rows() == [("z", 9)]


def test_the_dataset_three_step_upload(admin: Api) -> None:
    dataset_id = admin.new_dataset(columns=COLUMNS[:2])
    opened = admin.post(
        f"/api/data/v3/datasources/{dataset_id}/uploads", json={"action": None, "appendId": None}
    )
    assert opened.status_code == 200, opened.text
    upload_id = opened.json()["uploadId"]
    for part_id, data in ((1, b"a,1\n"), (2, b"b,2\n")):
        response = admin.put(
            f"/api/data/v3/datasources/{dataset_id}/uploads/{upload_id}/parts/{part_id}",
            content=data,
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
    committed = admin.put(
        f"/api/data/v3/datasources/{dataset_id}/uploads/{upload_id}/commit",
        json={"index": False, "action": "APPEND"},
    )
    assert committed.status_code == 200, committed.text
    assert committed.json()["currentState"] == "SUCCESS"
    dataset = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert dataset["rowCount"] == 2
    assert dataset["streamId"] is not None


def test_concurrent_appends_lose_no_rows(admin: Api) -> None:
    """Row appends race an upload commit on one dataset: every row lands."""
    upload = Upload(admin, method="APPEND")
    eid = upload.start()
    for pid in range(4):
        upload.part(eid, pid, b"".join(f"u{pid}-{i},{i},\n".encode() for i in range(100)))
    errors: list[int] = []

    def append(i: int) -> None:
        response = admin.post(
            f"/api/data/v3/datasources/{upload.dataset_id}/uploads", json={"values": f"r{i},{i},"}
        )
        if response.status_code != 200:
            errors.append(response.status_code)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    assert upload.commit(eid).json()["currentState"] == "SUCCESS"
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(upload.rows()) == 410
    assert upload.dataset()["rowCount"] == 410


def test_replace_racing_queries_never_shows_a_mix(admin: Api) -> None:
    upload = Upload(admin)
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            response = admin.post(
                f"/api/query/v1/execute/{upload.dataset_id}",
                json={"sql": "SELECT COUNT(*) AS n, COUNT(DISTINCT qty) AS v FROM table"},
            )
            row = response.json()[0]
            seen.add((row["n"], row["v"]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for version in range(1, 6):
            eid = upload.start()
            for pid in range(3):
                upload.part(
                    eid, pid, b"".join(f"k{pid}-{i},{version},\n".encode() for i in range(50))
                )
            assert upload.commit(eid).json()["currentState"] == "SUCCESS"
    finally:
        stop.set()
        thread.join()
    # Every version has 150 rows sharing one qty: a mix would show 2 distinct values.
    assert seen <= {(0, 0), (150, 1)}
    assert (150, 1) in seen


def test_part_ids_must_be_numbers_in_range(admin: Api) -> None:
    upload = Upload(admin)
    eid = upload.start()
    for bad in ("abc", "-1", "100001"):
        response = admin.put(
            f"/api/data/v1/streams/{upload.stream_id}/executions/{eid}/part/{bad}",
            content=b"a,1,\n",
        )
        assert response.status_code == 400, bad
        assert response.json()["field"] in ("part_id", "partId")


def test_a_stale_write_never_rewinds_the_row_count(admin: Api, runtime: Runtime) -> None:
    """What `test_concurrent_appends_lose_no_rows` races at random, in a fixed order: a write
    prepared from an older read lands after a newer commit was recorded."""
    dataset_id = admin.new_dataset()
    with runtime.engine.connect() as connection:
        stale = SqlDatasetRepository(connection).find(dataset_id)
    assert stale is not None
    assert stale.row_count == 0
    for i in range(3):
        appended = admin.post(
            f"/api/data/v3/datasources/{dataset_id}/uploads", json={"values": f"r{i},{i}"}
        )
        assert appended.status_code == 200, appended.text
    newest = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert newest["rowCount"] == 3

    with runtime.engine.begin() as connection:
        repository = SqlDatasetRepository(connection)
        stale.description = "edited from an old read"
        repository.update(stale)  # an edit: writes the definition, not the version
        # the oldest version's commit noted last: refused, not written
        assert not repository.record_version(dataset_id, 0, 1, stale.updated_at)
    shown = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert shown["description"] == "edited from an old read"
    assert shown["rowCount"] == 3
    rows = admin.post(
        f"/api/query/v1/execute/{dataset_id}", json={"sql": "SELECT count(*) AS n FROM table"}
    )
    assert rows.json()[0]["n"] == 3
