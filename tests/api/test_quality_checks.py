"""Quality checks through the API: set and read them, each kind passing and failing, FAIL
leaving the dataset exactly as it was, QUARANTINE splitting rows exactly (counts, reasons),
uniqueness against the rows already there on APPEND, connector runs gated like uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from headwater.bootstrap import Runtime
from tests.api.conftest import Api
from tests.support.local_csv_connector import LocalCsvConnector

COLUMNS = [
    {"type": "LONG", "name": "id"},
    {"type": "STRING", "name": "region"},
    {"type": "DOUBLE", "name": "amount"},
    {"type": "STRING", "name": "sku"},
    {"type": "DATETIME", "name": "at"},
]
RECENT = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
BASELINE = b"1,east,10,s1,2024-01-01 00:00:00\n2,west,20,s2,2024-01-01 00:00:00\n"


class Scene:
    """A dataset fed by an API stream, loaded one CSV body per execution."""

    def __init__(self, api: Api, method: str = "APPEND", keys: list[str] | None = None) -> None:
        body: dict[str, Any] = {
            "transport": {"type": "API"},
            "updateMethod": method,
            "dataSource": {"name": "Sales", "schema": {"columns": COLUMNS}},
        }
        if keys:
            body["keyColumnNames"] = keys
        created = api.post("/api/data/v1/streams", json=body)
        assert created.status_code == 201, created.text
        self.api = api
        self.stream_id = created.json()["id"]
        self.dataset_id = created.json()["dataSource"]["id"]

    def set_checks(self, checks: list[dict[str, Any]], on_failure: str = "FAIL") -> Any:
        return self.api.put(
            f"/api/data/v3/datasources/{self.dataset_id}/checks",
            json={"onFailure": on_failure, "checks": checks},
        )

    def load(self, body: bytes, method: str | None = None) -> dict[str, Any]:
        base = f"/api/data/v1/streams/{self.stream_id}/executions"
        started = self.api.post(base, json={"updateMethod": method} if method else {})
        assert started.status_code == 201, started.text
        eid = started.json()["executionId"]
        assert self.api.put(f"{base}/{eid}/part/0", content=body).status_code == 200
        committed = self.api.put(f"{base}/{eid}/commit")
        assert committed.status_code == 200, committed.text
        return dict(committed.json())

    def execution(self, eid: int, api: Api | None = None) -> dict[str, Any]:
        got = (api or self.api).get(f"/api/data/v1/streams/{self.stream_id}/executions/{eid}")
        assert got.status_code == 200, got.text
        return dict(got.json())

    def dataset(self, dataset_id: str | None = None) -> dict[str, Any]:
        got = self.api.get(f"/api/data/v3/datasources/{dataset_id or self.dataset_id}")
        assert got.status_code == 200, got.text
        return dict(got.json())

    def rows(self, dataset_id: str | None = None, sql: str = "SELECT * FROM table") -> list[Any]:
        result = self.api.post(
            f"/api/query/v1/execute/{dataset_id or self.dataset_id}", json={"sql": sql}
        )
        assert result.status_code == 200, result.text
        return list(result.json())


def not_null(column: str = "id") -> dict[str, Any]:
    return {"name": f"{column} present", "type": "NOT_NULL", "column": column}


# -- setting and reading checks ------------------------------------------------------------
def test_checks_are_set_read_and_replaced(admin: Api) -> None:
    scene = Scene(admin)
    url = f"/api/data/v3/datasources/{scene.dataset_id}/checks"
    empty = admin.get(url)
    assert empty.status_code == 200
    assert (empty.json()["checks"], empty.json()["onFailure"]) == ([], "FAIL")

    checks = [
        {"name": "id present", "type": "NOT_NULL", "column": "ID"},
        {"name": "one per id", "type": "unique", "columns": ["id", "Region"]},
        {"name": "known region", "type": "ACCEPTED_VALUES", "column": "region", "values": ["a"]},
        {"name": "sane amount", "type": "RANGE", "column": "amount", "min": 0},
        {"name": "sku shape", "type": "REGEX", "column": "sku", "pattern": "s[0-9]+"},
        {"name": "some rows", "type": "ROW_COUNT", "min": 1, "max": 1000},
        {"name": "fresh", "type": "FRESHNESS", "column": "at", "maxAgeHours": 24},
    ]
    put = scene.set_checks(checks, "quarantine")
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["onFailure"] == "QUARANTINE"
    assert body["quarantineDatasetId"] is None
    # Names of columns as the schema spells them, each check with its own fields only.
    assert body["checks"] == [
        {"name": "id present", "type": "NOT_NULL", "column": "id"},
        {"name": "one per id", "type": "UNIQUE", "columns": ["id", "region"]},
        {"name": "known region", "type": "ACCEPTED_VALUES", "column": "region", "values": ["a"]},
        {"name": "sane amount", "type": "RANGE", "column": "amount", "min": 0, "max": None},
        {"name": "sku shape", "type": "REGEX", "column": "sku", "pattern": "s[0-9]+"},
        {"name": "some rows", "type": "ROW_COUNT", "min": 1, "max": 1000},
        {"name": "fresh", "type": "FRESHNESS", "column": "at", "maxAgeHours": 24.0},
    ]
    assert admin.get(url).json() == body
    # What GET answers goes back as it is; an empty list removes every check.
    assert admin.put(url, json=body).json()["checks"] == body["checks"]
    cleared = admin.put(url, json={"checks": []})
    assert cleared.json()["checks"] == []
    assert cleared.json()["onFailure"] == "FAIL"


@pytest.mark.parametrize(
    ("check", "field"),
    [
        ({"name": "x", "type": "NOT_NULL", "column": "nope"}, "checks[1].column"),
        ({"name": "x", "type": "SOMETIMES", "column": "id"}, "checks[1].type"),
        ({"type": "NOT_NULL", "column": "id"}, "checks[1].name"),
        ({"name": "id present", "type": "NOT_NULL", "column": "sku"}, "checks[1].name"),
        ({"name": "x", "type": "NOT_NULL", "column": "id", "pattern": "a"}, "checks[1].pattern"),
        ({"name": "x", "type": "NOT_NULL", "column": "id", "minimum": 1}, "checks[1].minimum"),
        ({"name": "x", "type": "UNIQUE", "columns": ["id", "nope"]}, "checks[1].columns[1]"),
        ({"name": "x", "type": "UNIQUE", "column": "id"}, "checks[1].column"),
        (
            {"name": "x", "type": "ACCEPTED_VALUES", "column": "id", "values": []},
            "checks[1].values",
        ),
        (
            {"name": "x", "type": "ACCEPTED_VALUES", "column": "id", "values": [1, "two"]},
            "checks[1].values[1]",
        ),
        ({"name": "x", "type": "RANGE", "column": "amount"}, "checks[1].min"),
        ({"name": "x", "type": "RANGE", "column": "amount", "min": 5, "max": 1}, "checks[1].min"),
        ({"name": "x", "type": "RANGE", "column": "sku", "min": 1}, "checks[1].column"),
        ({"name": "x", "type": "RANGE", "column": "at", "max": "yesterday"}, "checks[1].max"),
        ({"name": "x", "type": "REGEX", "column": "id", "pattern": "1"}, "checks[1].column"),
        ({"name": "x", "type": "REGEX", "column": "sku", "pattern": "s(["}, "checks[1].pattern"),
        ({"name": "x", "type": "ROW_COUNT", "min": -1}, "checks[1].min"),
        ({"name": "x", "type": "ROW_COUNT"}, "checks[1].min"),
        (
            {"name": "x", "type": "FRESHNESS", "column": "region", "maxAgeHours": 1},
            "checks[1].column",
        ),
        (
            {"name": "x", "type": "FRESHNESS", "column": "at", "maxAgeHours": 0},
            "checks[1].maxAgeHours",
        ),
    ],
)
def test_bad_checks_are_a_400_naming_the_field_and_change_nothing(
    admin: Api, check: dict[str, Any], field: str
) -> None:
    scene = Scene(admin)
    assert scene.set_checks([not_null("region")]).status_code == 200
    refused = scene.set_checks([not_null(), check])
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == field
    assert field in refused.json()["message"]
    got = admin.get(f"/api/data/v3/datasources/{scene.dataset_id}/checks").json()
    assert got["checks"] == [{"name": "region present", "type": "NOT_NULL", "column": "region"}]


def test_on_failure_and_schema_problems_are_400s(admin: Api) -> None:
    scene = Scene(admin)
    bad_mode = scene.set_checks([not_null()], "SOMETIMES")
    assert (bad_mode.status_code, bad_mode.json()["field"]) == (400, "onFailure")
    no_schema = admin.post("/api/data/v3/datasources", json={"name": "Bare"}).json()["id"]
    refused = admin.put(
        f"/api/data/v3/datasources/{no_schema}/checks", json={"checks": [not_null()]}
    )
    assert (refused.status_code, refused.json()["field"]) == (400, "checks")
    # QUARANTINE needs `_check` and `_execution` for the quarantine dataset's own columns.
    taken = admin.post(
        "/api/data/v3/datasources",
        json={"name": "T", "schema": {"columns": [{"name": "_check", "type": "STRING"}]}},
    ).json()["id"]
    clash = admin.put(
        f"/api/data/v3/datasources/{taken}/checks",
        json={"onFailure": "QUARANTINE", "checks": [not_null("_check")]},
    )
    assert (clash.status_code, clash.json()["field"]) == (400, "onFailure")


def test_viewers_read_checks_and_editors_set_them(admin: Api) -> None:
    scene = Scene(admin)
    url = f"/api/data/v3/datasources/{scene.dataset_id}/checks"
    assert scene.set_checks([not_null()]).status_code == 200
    viewer_id, viewer_token = admin.new_user("Vera Viewer", role=4)
    _, stranger_token = admin.new_user("Sam Stranger", role=3)
    admin.post(
        f"/api/data/v3/datasources/{scene.dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": viewer_id, "accessLevel": "CAN_VIEW"}]},
    )
    viewer = admin.as_(viewer_token)
    assert viewer.get(url).json()["checks"][0]["name"] == "id present"
    assert viewer.put(url, json={"checks": []}).status_code == 403
    assert admin.as_(stranger_token).get(url).status_code == 404
    assert admin.as_(stranger_token).put(url, json={"checks": []}).status_code == 404
    assert admin.get(url).json()["checks"] != []


# -- each check kind, passing and failing, under FAIL --------------------------------------
KINDS = [
    pytest.param(
        not_null(),
        b"3,east,1,s3,2024-01-01 00:00:00\n",
        b"3,east,1,s3,2024-01-01 00:00:00\n,east,1,s4,2024-01-01 00:00:00\n",
        1,
        id="not-null",
    ),
    pytest.param(
        {"name": "one per id", "type": "UNIQUE", "columns": ["id"]},
        b"3,east,1,s3,2024-01-01 00:00:00\n4,east,1,s4,2024-01-01 00:00:00\n",
        b"3,east,1,s3,2024-01-01 00:00:00\n3,west,1,s4,2024-01-01 00:00:00\n"
        b"5,west,1,s5,2024-01-01 00:00:00\n",
        2,
        id="unique",
    ),
    pytest.param(
        {
            "name": "known region",
            "type": "ACCEPTED_VALUES",
            "column": "region",
            "values": ["east", "west"],
        },
        b"3,east,1,s3,2024-01-01 00:00:00\n4,,1,s4,2024-01-01 00:00:00\n",
        b"3,north,1,s3,2024-01-01 00:00:00\n4,East,1,s4,2024-01-01 00:00:00\n"
        b"5,west,1,s5,2024-01-01 00:00:00\n",
        2,
        id="accepted-values",
    ),
    pytest.param(
        {"name": "sane amount", "type": "RANGE", "column": "amount", "min": 0, "max": 100},
        b"3,east,0,s3,2024-01-01 00:00:00\n4,east,100,s4,2024-01-01 00:00:00\n",
        b"3,east,-0.5,s3,2024-01-01 00:00:00\n4,east,100.01,s4,2024-01-01 00:00:00\n",
        2,
        id="range",
    ),
    pytest.param(
        {"name": "sku shape", "type": "REGEX", "column": "sku", "pattern": "s[0-9]+"},
        b"3,east,1,s3,2024-01-01 00:00:00\n4,east,1,s44,2024-01-01 00:00:00\n",
        b"3,east,1,s3x,2024-01-01 00:00:00\n4,east,1,xs4,2024-01-01 00:00:00\n",
        2,
        id="regex",
    ),
    pytest.param(
        {"name": "some rows", "type": "ROW_COUNT", "min": 2, "max": 3},
        b"3,east,1,s3,2024-01-01 00:00:00\n4,east,1,s4,2024-01-01 00:00:00\n",
        b"3,east,1,s3,2024-01-01 00:00:00\n",
        None,
        id="row-count",
    ),
    pytest.param(
        {"name": "fresh", "type": "FRESHNESS", "column": "at", "maxAgeHours": 24},
        f"3,east,1,s3,2020-01-01 00:00:00\n4,east,1,s4,{RECENT}\n".encode(),
        b"3,east,1,s3,2020-01-01 00:00:00\n4,east,1,s4,\n",
        None,
        id="freshness",
    ),
]


@pytest.mark.parametrize(("check", "passing", "failing", "failing_rows"), KINDS)
def test_each_check_passes_or_fails_the_run_leaving_the_dataset_as_it_was(
    admin: Api, check: dict[str, Any], passing: bytes, failing: bytes, failing_rows: int | None
) -> None:
    scene = Scene(admin)
    assert scene.load(BASELINE)["currentState"] == "SUCCESS"
    assert scene.set_checks([check]).status_code == 200

    passed = scene.load(passing)
    assert passed["currentState"] == "SUCCESS", passed["errors"]
    assert [(r["name"], r["status"]) for r in passed["checkResults"]] == [(check["name"], "PASSED")]
    before = scene.dataset()
    rows_before = scene.rows(sql="SELECT * FROM table ORDER BY id, sku")

    failed = scene.load(failing)
    assert failed["currentState"] == "ERROR"
    message = failed["errors"][-1]["message"]
    assert f"quality check {check['name']!r} failed" in message
    result = failed["checkResults"][0]
    assert (result["name"], result["type"], result["status"]) == (
        check["name"],
        check["type"].upper(),
        "FAILED",
    )
    assert result["failingRows"] == failing_rows
    if failing_rows is not None:
        assert f"{failing_rows} of " in message
        assert len(result["samples"]) == failing_rows
        assert set(result["samples"][0]) == {c["name"] for c in COLUMNS}
    assert failed["quarantine"] is None
    # FAIL: nothing committed; the dataset is exactly as it was.
    after = scene.dataset()
    assert (after["dataVersion"], after["rowCount"]) == (before["dataVersion"], before["rowCount"])
    assert scene.rows(sql="SELECT * FROM table ORDER BY id, sku") == rows_before
    # The execution keeps what its checks found.
    assert scene.execution(failed["executionId"])["checkResults"] == failed["checkResults"]


def test_samples_are_at_most_ten_and_every_failing_row_is_counted(admin: Api) -> None:
    scene = Scene(admin)
    scene.set_checks([not_null()])
    body = b"".join(b",east,%d,s1,2024-01-01 00:00:00\n" % i for i in range(25))
    failed = scene.load(body)
    result = failed["checkResults"][0]
    assert (result["failingRows"], len(result["samples"])) == (25, 10)
    assert result["samples"][0]["id"] is None
    assert result["samples"][0]["at"] == "2024-01-01 00:00:00"
    assert scene.dataset()["dataVersion"] is None


# -- QUARANTINE ---------------------------------------------------------------------------
QUARANTINE_CHECKS = [
    not_null(),
    {
        "name": "known region",
        "type": "ACCEPTED_VALUES",
        "column": "region",
        "values": ["east", "west"],
    },
    {"name": "sane amount", "type": "RANGE", "column": "amount", "min": 0, "max": 100},
]
MIXED = (
    b"10,east,5,a,2024-01-01 00:00:00\n"
    b"11,west,6,b,2024-01-01 00:00:00\n"
    b",east,7,c,2024-01-01 00:00:00\n"  # no id
    b"13,north,8,d,2024-01-01 00:00:00\n"  # unknown region
    b"14,south,500,e,2024-01-01 00:00:00\n"  # unknown region and too much
    b"15,east,,f,2024-01-01 00:00:00\n"  # no amount: NULL passes a range
    b"16,west,100,g,2024-01-01 00:00:00\n"
)


def test_quarantine_commits_good_rows_and_sends_the_others_with_their_reasons(
    admin: Api,
) -> None:
    scene = Scene(admin)
    scene.load(BASELINE)
    assert scene.set_checks(QUARANTINE_CHECKS, "QUARANTINE").status_code == 200

    done = scene.load(MIXED)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["rowsInserted"] == 4
    failing = {r["name"]: r["failingRows"] for r in done["checkResults"]}
    assert failing == {"id present": 1, "known region": 2, "sane amount": 1}
    quarantine_id = done["quarantine"]["datasetId"]
    assert done["quarantine"]["rows"] == 3

    assert scene.dataset()["rowCount"] == 6
    kept = scene.rows(sql="SELECT sku FROM table ORDER BY sku")
    assert [r["sku"] for r in kept] == ["a", "b", "f", "g", "s1", "s2"]

    quarantine = scene.dataset(quarantine_id)
    assert quarantine["name"] == "Sales (quarantine)"
    assert quarantine["rowCount"] == 3
    assert quarantine["owner"]["id"] == scene.dataset()["owner"]["id"]
    assert [c["name"] for c in quarantine["schema"]["columns"]] == [
        *(c["name"] for c in COLUMNS),
        "_check",
        "_execution",
    ]
    sent = scene.rows(quarantine_id, "SELECT sku, _check, _execution FROM table ORDER BY sku")
    eid = done["executionId"]
    assert sent == [
        {"sku": "c", "_check": "id present", "_execution": eid},
        {"sku": "d", "_check": "known region", "_execution": eid},
        {"sku": "e", "_check": "known region; sane amount", "_execution": eid},
    ]
    checks = admin.get(f"/api/data/v3/datasources/{scene.dataset_id}/checks").json()
    assert checks["quarantineDatasetId"] == quarantine_id

    # The next load that quarantines rows adds them to the same quarantine dataset.
    again = scene.load(b",east,1,h,2024-01-01 00:00:00\n17,east,1,i,2024-01-01 00:00:00\n")
    assert again["quarantine"] == {"datasetId": quarantine_id, "rows": 1}
    assert scene.dataset(quarantine_id)["rowCount"] == 4
    assert scene.dataset()["rowCount"] == 7


def test_the_quarantine_dataset_is_shared_with_nobody(admin: Api) -> None:
    scene = Scene(admin)
    viewer_id, viewer_token = admin.new_user("Vic Viewer", role=4)
    admin.post(
        f"/api/data/v3/datasources/{scene.dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": viewer_id, "accessLevel": "CAN_VIEW"}]},
    )
    scene.set_checks([not_null()], "QUARANTINE")
    done = scene.load(b",east,1,a,2024-01-01 00:00:00\n")
    quarantine_id = done["quarantine"]["datasetId"]
    viewer = admin.as_(viewer_token)
    assert viewer.get(f"/api/data/v3/datasources/{scene.dataset_id}").status_code == 200
    assert viewer.get(f"/api/data/v3/datasources/{quarantine_id}").status_code == 404


def test_a_failed_load_check_fails_the_run_even_under_quarantine(admin: Api) -> None:
    scene = Scene(admin)
    scene.load(BASELINE)
    scene.set_checks(
        [not_null(), {"name": "some rows", "type": "ROW_COUNT", "min": 5}], "QUARANTINE"
    )
    failed = scene.load(b",east,1,a,2024-01-01 00:00:00\n3,east,1,b,2024-01-01 00:00:00\n")
    assert failed["currentState"] == "ERROR"
    assert (
        "'some rows' failed: the load has 2 rows; at least 5 expected"
        in (failed["errors"][-1]["message"])
    )
    assert failed["quarantine"] is None
    assert scene.dataset()["rowCount"] == 2
    checks = admin.get(f"/api/data/v3/datasources/{scene.dataset_id}/checks").json()
    assert checks["quarantineDatasetId"] is None  # no row went anywhere


def test_unique_on_append_compares_with_the_rows_already_there(admin: Api) -> None:
    scene = Scene(admin)
    scene.load(BASELINE)  # ids 1 and 2
    scene.set_checks([{"name": "one per id", "type": "UNIQUE", "columns": ["id"]}])

    clash = scene.load(b"2,east,1,x,2024-01-01 00:00:00\n3,east,1,y,2024-01-01 00:00:00\n")
    assert clash["currentState"] == "ERROR"
    result = clash["checkResults"][0]
    assert result["failingRows"] == 1  # the staged row with id 2; the stored one is not "its"
    assert [s["sku"] for s in result["samples"]] == ["x"]
    assert scene.dataset()["rowCount"] == 2

    # REPLACE drops the rows there: only the load itself must be unique.
    replaced = scene.load(
        b"1,east,1,x,2024-01-01 00:00:00\n2,east,1,y,2024-01-01 00:00:00\n", method="REPLACE"
    )
    assert replaced["currentState"] == "SUCCESS", replaced["errors"]

    # Under QUARANTINE the rows whose key is there already are the ones set aside.
    scene.set_checks([{"name": "one per id", "type": "UNIQUE", "columns": ["id"]}], "QUARANTINE")
    mixed = scene.load(b"2,east,1,dup,2024-01-01 00:00:00\n9,east,1,new,2024-01-01 00:00:00\n")
    assert mixed["currentState"] == "SUCCESS"
    assert mixed["quarantine"]["rows"] == 1
    assert [r["sku"] for r in scene.rows(sql="SELECT sku FROM table ORDER BY id")] == [
        "x",
        "y",
        "new",
    ]
    sent = scene.rows(mixed["quarantine"]["datasetId"], "SELECT sku, _check FROM table")
    assert sent == [{"sku": "dup", "_check": "one per id"}]


def test_samples_are_shown_only_to_callers_who_may_read_every_row(admin: Api) -> None:
    scene = Scene(admin)
    scene.load(BASELINE)
    viewer_id, viewer_token = admin.new_user("Pat Policy", role=4)
    admin.post(
        f"/api/data/v3/datasources/{scene.dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": viewer_id, "accessLevel": "CAN_VIEW"}]},
    )
    restricted = admin.post(
        f"/v1/datasets/{scene.dataset_id}/policies",
        json={
            "name": "east only",
            "type": "user",
            "users": [viewer_id],
            "filters": [{"column": "region", "values": ["east"], "operator": "EQUALS"}],
        },
    )
    assert restricted.status_code in (200, 201), restricted.text
    scene.set_checks([not_null()])
    failed = scene.load(b",west,1,secret,2024-01-01 00:00:00\n")
    eid = failed["executionId"]

    seen_by_admin = scene.execution(eid)["checkResults"][0]
    assert [s["sku"] for s in seen_by_admin["samples"]] == ["secret"]
    seen_by_viewer = scene.execution(eid, admin.as_(viewer_token))["checkResults"][0]
    assert (seen_by_viewer["failingRows"], seen_by_viewer["samples"]) == (1, [])
    listed = admin.as_(viewer_token).get(f"/api/data/v1/streams/{scene.stream_id}/executions")
    assert all(r["samples"] == [] for e in listed.json() for r in e["checkResults"])
    assert "secret" not in listed.text


def test_checks_that_no_longer_fit_the_schema_fail_the_run(admin: Api) -> None:
    scene = Scene(admin)
    scene.set_checks([{"name": "sane amount", "type": "RANGE", "column": "amount", "min": 0}])
    # No data yet, so the schema may still change: `amount` goes.
    changed = admin.put(
        f"/api/data/v3/datasources/{scene.dataset_id}",
        json={"schema": {"columns": [c for c in COLUMNS if c["name"] != "amount"]}},
    )
    assert changed.status_code == 200, changed.text
    failed = scene.load(b"1,east,s1,2024-01-01 00:00:00\n")
    assert failed["currentState"] == "ERROR"
    assert "no longer fit its columns" in failed["errors"][-1]["message"]
    assert "checks[0].column" in failed["errors"][-1]["message"]
    assert scene.dataset()["dataVersion"] is None


def test_a_dataset_commit_that_fails_takes_its_quarantined_rows_back(admin: Api) -> None:
    """Both or neither, without a crash: UPSERT refuses two load rows for one stored key
    (a real Delta merge error) after the failing rows were quarantined; they leave again."""
    scene = Scene(admin, method="UPSERT", keys=["id"])
    scene.load(BASELINE)
    scene.set_checks([not_null()], "QUARANTINE")
    failed = scene.load(
        b"1,east,1,a,2024-01-01 00:00:00\n1,west,2,b,2024-01-01 00:00:00\n"
        b",east,3,bad,2024-01-01 00:00:00\n"
    )
    assert failed["currentState"] == "ERROR"
    assert "commit failed" in failed["errors"][-1]["message"]
    assert failed["quarantine"] is None  # the rows it sent there were taken back
    assert failed["checkResults"][0]["failingRows"] == 1
    quarantine_id = admin.get(f"/api/data/v3/datasources/{scene.dataset_id}/checks").json()[
        "quarantineDatasetId"
    ]
    assert quarantine_id is not None  # it was made and written to...
    assert scene.rows(quarantine_id, "SELECT COUNT(*) AS n FROM table") == [
        {"n": 0}
    ]  # ...and undone
    assert scene.dataset(quarantine_id)["rowCount"] == 0
    assert scene.dataset()["rowCount"] == 2
    assert scene.rows(sql="SELECT sku FROM table ORDER BY id") == [{"sku": "s1"}, {"sku": "s2"}]


# -- connector runs pass the same gate -----------------------------------------------------
@pytest.fixture
def connector(runtime: Runtime) -> LocalCsvConnector:
    instance = LocalCsvConnector()
    runtime.registry.register("localcsv", lambda: instance)
    return instance


def test_connector_runs_are_gated_like_uploads(
    admin: Api, connector: LocalCsvConnector, tmp_path: Path
) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("sku,qty\n" + "".join(f"s{i},{i}\n" for i in range(20)))
    created = admin.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR", "version": "1"},
            "dataProvider": {"key": "localcsv"},
            "updateMethod": "APPEND",
            "configuration": [{"name": "path", "value": str(source)}],
            "dataSource": {
                "name": "Orders",
                "schema": {
                    "columns": [{"type": "STRING", "name": "sku"}, {"type": "LONG", "name": "qty"}]
                },
            },
        },
    ).json()
    stream_id, dataset_id = created["id"], created["dataSource"]["id"]
    checks_url = f"/api/data/v3/datasources/{dataset_id}/checks"
    small = {"name": "small qty", "type": "RANGE", "column": "qty", "max": 14}
    admin.put(checks_url, json={"checks": [small]})

    def run() -> dict[str, Any]:
        from tests.api.test_connector_runs import wait_for

        eid = admin.post(f"/api/data/v1/streams/{stream_id}/executions", json={}).json()[
            "executionId"
        ]
        return wait_for(admin, stream_id, eid)

    failed = run()
    assert failed["currentState"] == "ERROR"
    assert "'small qty' failed: 5 of 20 rows" in failed["errors"][-1]["message"]
    assert admin.get(f"/api/data/v3/datasources/{dataset_id}").json()["dataVersion"] is None

    admin.put(checks_url, json={"onFailure": "QUARANTINE", "checks": [small]})
    done = run()
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert (done["rowsInserted"], done["quarantine"]["rows"]) == (15, 5)
    total = admin.post(
        f"/api/query/v1/execute/{dataset_id}", json={"sql": "SELECT MAX(qty) AS m FROM table"}
    ).json()
    assert total == [{"m": 14}]
    sent = admin.post(
        f"/api/query/v1/execute/{done['quarantine']['datasetId']}",
        json={"sql": "SELECT MIN(qty) AS lo, COUNT(*) AS n FROM table"},
    ).json()
    assert sent == [{"lo": 15, "n": 5}]


def test_the_one_row_append_cannot_pass_by_the_checks(admin: Api) -> None:
    scene = Scene(admin)
    url = f"/api/data/v3/datasources/{scene.dataset_id}/uploads"
    row = {"values": "1,east,1,s1,2024-01-01 00:00:00"}
    assert admin.post(url, json=row).status_code == 200  # no checks yet: appended
    scene.set_checks([not_null()])
    refused = admin.post(url, json=row)
    assert (refused.status_code, refused.json()["code"]) == (409, "DATASET_HAS_CHECKS")
    assert scene.dataset()["rowCount"] == 1


# -- who may set checks ----------------------------------------------------------------------
def restrict(admin: Api, dataset_id: str, user_id: int) -> None:
    made = admin.post(
        f"/v1/datasets/{dataset_id}/policies",
        json={
            "name": "east only",
            "type": "user",
            "users": [user_id],
            "filters": [{"column": "region", "values": ["east"], "operator": "EQUALS"}],
        },
    )
    assert made.status_code in (200, 201), made.text


def test_an_editor_a_row_policy_restricts_may_not_set_or_clear_checks(admin: Api) -> None:
    scene = Scene(admin)
    scene.load(BASELINE)
    url = f"/api/data/v3/datasources/{scene.dataset_id}/checks"
    editor_id, editor_token = admin.new_user("Rita Restricted", role=3)
    editor = admin.as_(editor_token)
    admin.post(
        f"/api/data/v3/datasources/{scene.dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": editor_id, "accessLevel": "CAN_EDIT"}]},
    )
    # With no row policy on the dataset, an editor sets checks.
    assert editor.put(url, json={"checks": [not_null()]}).status_code == 200

    restrict(admin, scene.dataset_id, editor_id)
    # A UNIQUE check of theirs would tell them, by failing a probe, what a hidden row holds.
    probe = {"name": "probe", "type": "UNIQUE", "columns": ["id", "amount"]}
    refused = editor.put(url, json={"checks": [probe]})
    assert refused.status_code == 403, refused.text
    assert "row policy" in refused.json()["message"]
    cleared = editor.put(url, json={"checks": []})
    assert cleared.status_code == 403, cleared.text
    assert [c["name"] for c in admin.get(url).json()["checks"]] == ["id present"]
    # Reading them stays open to them; the owner (an admin here) still sets them.
    assert editor.get(url).status_code == 200
    assert admin.put(url, json={"checks": [probe]}).status_code == 200


def test_a_body_without_checks_is_a_400_and_changes_nothing(admin: Api) -> None:
    scene = Scene(admin)
    url = f"/api/data/v3/datasources/{scene.dataset_id}/checks"
    assert scene.set_checks([not_null()]).status_code == 200
    for body in ({}, {"onFailure": "QUARANTINE"}):
        refused = admin.put(url, json=body)
        assert (refused.status_code, refused.json()["field"]) == (400, "checks"), refused.text
    assert [c["name"] for c in admin.get(url).json()["checks"]] == ["id present"]
    assert admin.put(url, json={"checks": []}).json()["checks"] == []


def test_freshness_tells_its_newest_value_only_where_samples_go(admin: Api) -> None:
    scene = Scene(admin)
    scene.load(BASELINE)
    viewer_id, viewer_token = admin.new_user("Pat Policy", role=4)
    admin.post(
        f"/api/data/v3/datasources/{scene.dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": viewer_id, "accessLevel": "CAN_VIEW"}]},
    )
    restrict(admin, scene.dataset_id, viewer_id)
    scene.set_checks([{"name": "fresh", "type": "FRESHNESS", "column": "at", "maxAgeHours": 24}])
    failed = scene.load(b"7,west,1,s7,2023-06-07 08:09:10\n")  # a row the viewer may not read
    eid = failed["executionId"]

    seen_by_admin = scene.execution(eid)["checkResults"][0]
    assert seen_by_admin["samples"] == [{"at": "2023-06-07 08:09:10"}]
    as_viewer = admin.as_(viewer_token)
    seen = as_viewer.get(f"/api/data/v1/streams/{scene.stream_id}/executions/{eid}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["checkResults"][0]["samples"] == []
    assert "more than 24 hours" in seen.json()["checkResults"][0]["message"]
    listed = as_viewer.get(f"/api/data/v1/streams/{scene.stream_id}/executions")
    for text in (seen.text, listed.text):
        assert "2023-06-07" not in text
        assert "08:09" not in text
