"""schemaPolicy on uploads: a CSV part sent with `header=true` names its columns, and the
stream's policy (or the one-call import's `schemaPolicy`) decides about a column the dataset
lacks; the execution says what was added, dropped or filled with NULL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

COLUMNS = [{"type": "STRING", "name": "sku"}, {"type": "LONG", "name": "qty"}]


class Upload:
    def __init__(self, api: Api, policy: str | None = None, method: str = "APPEND") -> None:
        body: dict[str, Any] = {
            "transport": {"type": "API"},
            "updateMethod": method,
            "dataSource": {"name": "Orders", "schema": {"columns": COLUMNS}},
        }
        if policy:
            body["schemaPolicy"] = policy
        created = api.post("/api/data/v1/streams", json=body)
        assert created.status_code == 201, created.text
        self.api = api
        self.stream_id = created.json()["id"]
        self.dataset_id = created.json()["dataSource"]["id"]

    def load(self, *parts: bytes, header: bool = True) -> dict[str, Any]:
        """One execution: the parts, then the commit; the commit's answer."""
        started = self.api.post(f"/api/data/v1/streams/{self.stream_id}/executions", json={})
        assert started.status_code == 201, started.text
        eid = started.json()["executionId"]
        base = f"/api/data/v1/streams/{self.stream_id}/executions/{eid}"
        for pid, data in enumerate(parts):
            sent = self.api.put(
                f"{base}/part/{pid}",
                content=data,
                params={"header": "true"} if header else {},
                headers={"Content-Type": "text/csv"},
            )
            if sent.status_code != 200:
                return {"part": sent}
        committed = self.api.put(f"{base}/commit", json={})
        return {"commit": committed, "execution": self.api.get(base).json()}

    def columns(self) -> list[tuple[str, str]]:
        shown = self.api.get(f"/api/data/v3/datasources/{self.dataset_id}").json()
        return [(c["name"], c["type"]) for c in shown["schema"]["columns"]]

    def rows(self, sql: str) -> list[list[Any]]:
        answer = self.api.post(f"/api/query/v1/execute/{self.dataset_id}", json={"sql": sql})
        assert answer.status_code == 200, answer.text
        return [list(row.values()) for row in answer.json()]


def test_evolve_adds_the_column_a_part_header_names(admin: Api) -> None:
    upload = Upload(admin)
    assert upload.load(b"a,1\nb,2\n", header=False)["execution"]["currentState"] == "SUCCESS"
    done = upload.load(b"qty,sku,colour\n3,c,red\n")
    assert done["commit"].status_code == 200, done["commit"].text
    assert done["execution"]["schemaChanges"]["added"] == ["colour"]
    assert upload.columns() == [("sku", "STRING"), ("qty", "LONG"), ("colour", "STRING")]
    assert upload.rows("SELECT sku, qty, colour FROM table ORDER BY sku") == [
        ["a", 1, None],
        ["b", 2, None],
        ["c", 3, "red"],
    ]


def test_parts_with_different_headers_agree_at_commit(admin: Api) -> None:
    upload = Upload(admin)
    done = upload.load(b"sku,qty,colour\na,1,red\n", b"sku,qty\nb,2\n", b"sku,size\nc,XL\n")
    assert done["commit"].status_code == 200, done["commit"].text
    changes = done["execution"]["schemaChanges"]
    assert changes["added"] == ["colour", "size"]
    assert set(changes["nullFilled"]) == {"qty", "colour", "size"}
    assert upload.columns() == [
        ("sku", "STRING"),
        ("qty", "LONG"),
        ("colour", "STRING"),
        ("size", "STRING"),
    ]
    assert upload.rows("SELECT sku, qty, colour, size FROM table ORDER BY sku") == [
        ["a", 1, "red", None],
        ["b", 2, None, None],
        ["c", None, None, "XL"],
    ]


def test_strict_refuses_the_part_naming_the_column(admin: Api) -> None:
    upload = Upload(admin, "STRICT")
    done = upload.load(b"sku,qty,colour\nc,3,red\n")
    refused = done["part"]
    assert refused.status_code == 400, refused.text
    assert "'colour'" in refused.text
    assert upload.columns() == [("sku", "STRING"), ("qty", "LONG")]
    shown = admin.get(f"/api/data/v3/datasources/{upload.dataset_id}").json()
    assert shown["rowCount"] == 0


def test_ignore_new_drops_the_column_and_says_so(admin: Api) -> None:
    upload = Upload(admin, "IGNORE_NEW")
    done = upload.load(b"sku,colour,qty\nc,red,3\n")
    assert done["commit"].status_code == 200, done["commit"].text
    assert done["execution"]["schemaChanges"]["dropped"] == ["colour"]
    assert upload.columns() == [("sku", "STRING"), ("qty", "LONG")]
    assert upload.rows("SELECT sku, qty FROM table") == [["c", 3]]


def test_a_header_value_that_does_not_fit_names_its_line_and_column(admin: Api) -> None:
    upload = Upload(admin)
    refused = upload.load(b"sku,qty\nc,3\nd,many\n")["part"]
    assert refused.status_code == 400, refused.text
    assert "line 3" in refused.text
    assert "qty" in refused.text


@pytest.mark.parametrize(
    ("header", "why"), [(b"sku,,qty\n", "every column"), (b"sku,SKU\n", "twice")]
)
def test_a_bad_header_is_a_400_naming_line_1(admin: Api, header: bytes, why: str) -> None:
    refused = Upload(admin).load(header + b"a,1\n")["part"]
    assert refused.status_code == 400, refused.text
    assert "line 1" in refused.text
    assert why in refused.text


@pytest.mark.parametrize(
    ("policy", "status", "columns"),
    [
        ("EVOLVE", 204, [("region", "STRING"), ("n", "LONG"), ("note", "STRING")]),
        ("IGNORE_NEW", 204, [("region", "STRING"), ("n", "LONG")]),
        ("STRICT", 400, [("region", "STRING"), ("n", "LONG")]),
    ],
)
def test_the_one_call_import_takes_a_policy(
    admin: Api, policy: str, status: int, columns: list[tuple[str, str]]
) -> None:
    schema = {"columns": [{"type": "STRING", "name": "region"}, {"type": "LONG", "name": "n"}]}
    dataset_id = admin.post("/v1/datasets", json={"name": "S", "schema": schema}).json()["id"]
    sent = admin.put(
        f"/v1/datasets/{dataset_id}/data",
        content=b"region,n,note\nnorth,7,hi\n",
        params={"header": "true", "schemaPolicy": policy},
        headers={"Content-Type": "text/csv"},
    )
    assert sent.status_code == status, sent.text
    shown = admin.get(f"/api/data/v3/datasources/{dataset_id}").json()
    assert [(c["name"], c["type"]) for c in shown["schema"]["columns"]] == columns
    assert shown["rowCount"] == (1 if status == 204 else 0)


def test_an_unknown_import_policy_is_a_400(admin: Api) -> None:
    schema = {"columns": [{"type": "STRING", "name": "region"}]}
    dataset_id = admin.post("/v1/datasets", json={"name": "S", "schema": schema}).json()["id"]
    sent = admin.put(
        f"/v1/datasets/{dataset_id}/data",
        content=b"region\nnorth\n",
        params={"header": "true", "schemaPolicy": "SOMETIMES"},
        headers={"Content-Type": "text/csv"},
    )
    assert sent.status_code == 400, sent.text
    assert "schemaPolicy" in sent.text


def test_restoring_a_version_from_before_a_column_brings_its_schema_back(admin: Api) -> None:
    upload = Upload(admin)
    first = upload.load(b"a,1\n", header=False)["execution"]
    assert upload.load(b"sku,qty,colour\nb,2,red\n")["execution"]["currentState"] == "SUCCESS"
    restored = admin.post(
        f"/api/data/v3/datasources/{upload.dataset_id}/versions/{first['dataVersion']}/restore"
    )
    assert restored.status_code == 200, restored.text
    assert upload.columns() == [("sku", "STRING"), ("qty", "LONG")]
    assert upload.rows("SELECT * FROM table") == [["a", 1]]
    # The column is new again to the next load, which adds it again.
    again = upload.load(b"sku,colour\nc,blue\n")["execution"]
    assert again["schemaChanges"]["added"] == ["colour"]
    assert upload.rows("SELECT sku, qty, colour FROM table ORDER BY sku") == [
        ["a", 1, None],
        ["c", None, "blue"],
    ]
    # Time travel reads each version with its own schema.
    old = admin.post(
        f"/api/query/v1/execute/{upload.dataset_id}",
        json={"sql": "SELECT * FROM table", "dataVersion": first["dataVersion"]},
    )
    assert old.status_code == 200, old.text
    assert old.json() == [{"sku": "a", "qty": 1}]


def test_the_quarantine_dataset_takes_the_new_columns_too(admin: Api) -> None:
    upload = Upload(admin)
    checks = [{"name": "some qty", "type": "NOT_NULL", "column": "qty"}]
    url = f"/api/data/v3/datasources/{upload.dataset_id}/checks"
    assert admin.put(url, json={"onFailure": "QUARANTINE", "checks": checks}).status_code == 200
    first = upload.load(b"a,1\nb,\n", header=False)["execution"]
    quarantine = first["quarantine"]["datasetId"]
    done = upload.load(b"sku,qty,colour\nc,3,red\nd,,blue\n")["execution"]
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["quarantine"]["rows"] == 1
    assert upload.rows("SELECT sku, colour FROM table ORDER BY sku") == [
        ["a", None],
        ["c", "red"],
    ]
    shown = admin.get(f"/api/data/v3/datasources/{quarantine}").json()
    names = [c["name"] for c in shown["schema"]["columns"]]
    assert "colour" in names
    found = admin.post(
        f"/api/query/v1/execute/{quarantine}",
        json={"sql": "SELECT sku, colour FROM table ORDER BY sku"},
    )
    assert found.status_code == 200, found.text
    assert found.json() == [{"sku": "b", "colour": None}, {"sku": "d", "colour": "blue"}]
