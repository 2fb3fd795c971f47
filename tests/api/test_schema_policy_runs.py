"""schemaPolicy on connector runs, through the API: EVOLVE adds columns and widens types,
STRICT refuses any difference, IGNORE_NEW drops what is new; each says so on the execution,
and a refused run leaves the dataset exactly as it was."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from headwater.bootstrap import Runtime
from tests.api.conftest import Api
from tests.support.local_csv_connector import LocalCsvConnector


@pytest.fixture
def connector(runtime: Runtime) -> LocalCsvConnector:
    instance = LocalCsvConnector()
    runtime.registry.register("localcsv", lambda: instance)
    return instance


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("sku,qty\na,1\nb,2\n")
    return path


def make_stream(api: Api, source: Path, **fields: Any) -> dict[str, Any]:
    response = api.post(
        "/api/data/v1/streams",
        json={
            "transport": {"type": "CONNECTOR", "version": "1"},
            "dataProvider": {"key": "localcsv"},
            "configuration": [{"name": "path", "value": str(source)}],
            "updateMethod": "APPEND",
            "dataSource": {"name": "Orders"},
            **fields,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def run(api: Api, stream: dict[str, Any], timeout: float = 20) -> dict[str, Any]:
    started = api.post(f"/api/data/v1/streams/{stream['id']}/executions", json={})
    assert started.status_code == 201, started.text
    url = f"/api/data/v1/streams/{stream['id']}/executions/{started.json()['executionId']}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = api.get(url).json()
        if execution["currentState"] != "ACTIVE":
            return dict(execution)
        time.sleep(0.05)
    raise AssertionError(f"{url} still ACTIVE after {timeout}s")


def dataset(api: Api, stream: dict[str, Any]) -> dict[str, Any]:
    return dict(api.get(f"/api/data/v3/datasources/{stream['dataSource']['id']}").json())


def columns(api: Api, stream: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["name"], c["type"]) for c in dataset(api, stream)["schema"]["columns"]]


def rows(api: Api, stream: dict[str, Any], sql: str) -> list[list[Any]]:
    answer = api.post(f"/api/query/v1/execute/{stream['dataSource']['id']}", json={"sql": sql})
    assert answer.status_code == 200, answer.text
    return [list(row.values()) for row in answer.json()]


def first_run(api: Api, source: Path, **fields: Any) -> dict[str, Any]:
    stream = make_stream(api, source, **fields)
    assert run(api, stream)["currentState"] == "SUCCESS"
    assert columns(api, stream) == [("sku", "STRING"), ("qty", "LONG")]
    return stream


def test_the_stream_says_its_policy_and_evolve_is_the_default(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = make_stream(admin, source)
    assert stream["schemaPolicy"] == "EVOLVE"
    url = f"/api/data/v1/streams/{stream['id']}"
    changed = admin.put(url, json={"schemaPolicy": "strict"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["schemaPolicy"] == "STRICT"
    assert admin.get(url, params={"fields": "all"}).json()["schemaPolicy"] == "STRICT"
    made = make_stream(admin, source, schemaPolicy="IGNORE_NEW")
    assert made["schemaPolicy"] == "IGNORE_NEW"


@pytest.mark.parametrize("body", [{"schemaPolicy": "LOOSE"}, {"schemaPolicy": 3}])
def test_an_unknown_policy_is_a_400_naming_the_field(
    admin: Api, connector: LocalCsvConnector, source: Path, body: dict[str, Any]
) -> None:
    stream = make_stream(admin, source)
    refused = admin.put(f"/api/data/v1/streams/{stream['id']}", json=body)
    assert refused.status_code == 400, refused.text
    assert "schemaPolicy" in refused.text
    assert "EVOLVE" in refused.text
    shown = admin.get(f"/api/data/v1/streams/{stream['id']}", params={"fields": "schemaPolicy"})
    assert shown.json() == {"schemaPolicy": "EVOLVE"}


def test_evolve_adds_a_new_column_and_old_rows_read_null(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source)
    source.write_text("sku,qty,colour\nc,3,red\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"] == {
        "added": ["colour"],
        "widened": [],
        "dropped": [],
        "nullFilled": [],
    }
    assert columns(admin, stream) == [("sku", "STRING"), ("qty", "LONG"), ("colour", "STRING")]
    assert rows(admin, stream, "SELECT sku, qty, colour FROM table ORDER BY sku") == [
        ["a", 1, None],
        ["b", 2, None],
        ["c", 3, "red"],
    ]
    assert dataset(admin, stream)["rowCount"] == 3


def test_evolve_widens_long_to_double_keeping_values_exact(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source)
    source.write_text("sku,qty\nc,2.5\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"]["widened"] == [{"column": "qty", "from": "LONG", "to": "DOUBLE"}]
    assert columns(admin, stream) == [("sku", "STRING"), ("qty", "DOUBLE")]
    assert rows(admin, stream, "SELECT sku, qty FROM table ORDER BY sku") == [
        ["a", 1.0],
        ["b", 2.0],
        ["c", 2.5],
    ]


def test_a_long_no_double_holds_exactly_stops_the_widening(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source)
    source.write_text("sku,qty\nbig,9007199254740993\n")  # 2^53 + 1: a LONG, not a DOUBLE
    assert run(admin, stream)["currentState"] == "SUCCESS"
    before = dataset(admin, stream)
    source.write_text("sku,qty\nc,2.5\n")
    done = run(admin, stream)
    assert done["currentState"] == "ERROR"
    assert "'qty'" in done["errors"][-1]["message"]
    after = dataset(admin, stream)
    assert (after["schema"], after["dataVersion"]) == (before["schema"], before["dataVersion"])
    assert rows(admin, stream, "SELECT qty FROM table WHERE sku = 'big'") == [[9007199254740993]]


def test_evolve_widens_a_date_to_a_datetime(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    source.write_text("sku,day\na,2024-01-02\n")
    stream = make_stream(admin, source)
    assert run(admin, stream)["currentState"] == "SUCCESS"
    assert columns(admin, stream) == [("sku", "STRING"), ("day", "DATE")]
    source.write_text("sku,day\nb,2024-01-03 04:05:06\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"]["widened"] == [{"column": "day", "from": "DATE", "to": "DATETIME"}]
    assert rows(admin, stream, "SELECT sku, CAST(day AS VARCHAR) FROM table ORDER BY sku") == [
        ["a", "2024-01-02 00:00:00"],
        ["b", "2024-01-03 04:05:06"],
    ]


def test_a_string_where_a_long_was_fails_naming_the_column_and_changes_nothing(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source)
    before = dataset(admin, stream)
    source.write_text("sku,qty,colour\nc,many,red\n")
    done = run(admin, stream)
    assert done["currentState"] == "ERROR"
    assert "'qty'" in done["errors"][-1]["message"]
    assert done["schemaChanges"] is None
    after = dataset(admin, stream)
    assert after["schema"] == before["schema"]
    assert (after["rowCount"], after["dataVersion"]) == (before["rowCount"], before["dataVersion"])


def test_strict_refuses_a_new_column_and_commits_nothing(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source, schemaPolicy="STRICT")
    before = dataset(admin, stream)
    source.write_text("sku,qty,colour\nc,3,red\n")
    done = run(admin, stream)
    assert done["currentState"] == "ERROR"
    message = done["errors"][-1]["message"]
    assert "STRICT" in message
    assert "'colour'" in message
    after = dataset(admin, stream)
    assert after["schema"] == before["schema"]
    assert (after["rowCount"], after["dataVersion"]) == (2, before["dataVersion"])


@pytest.mark.parametrize(
    ("text", "named"),
    [("sku\nc\n", "missing column 'qty'"), ("sku,qty\nc,2.5\n", "column 'qty' is LONG")],
)
def test_strict_refuses_a_missing_or_widened_column(
    admin: Api, connector: LocalCsvConnector, source: Path, text: str, named: str
) -> None:
    stream = first_run(admin, source, schemaPolicy="STRICT")
    source.write_text(text)
    done = run(admin, stream)
    assert done["currentState"] == "ERROR"
    assert named in done["errors"][-1]["message"]
    assert dataset(admin, stream)["rowCount"] == 2


def test_strict_takes_the_same_columns(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source, schemaPolicy="STRICT")
    source.write_text("SKU,QTY\nc,3\n")  # names match whatever their case
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"] is None
    assert dataset(admin, stream)["rowCount"] == 3


def test_ignore_new_drops_the_extra_column_and_says_so(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source, schemaPolicy="IGNORE_NEW")
    source.write_text("sku,qty,colour\nc,3,red\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"]["dropped"] == ["colour"]
    assert columns(admin, stream) == [("sku", "STRING"), ("qty", "LONG")]
    assert rows(admin, stream, "SELECT sku, qty FROM table ORDER BY sku")[-1] == ["c", 3]


@pytest.mark.parametrize("policy", ["EVOLVE", "IGNORE_NEW"])
def test_a_missing_column_is_filled_with_null_and_reported(
    admin: Api, connector: LocalCsvConnector, source: Path, policy: str
) -> None:
    stream = first_run(admin, source, schemaPolicy=policy)
    source.write_text("sku\nc\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"]["nullFilled"] == ["qty"]
    assert columns(admin, stream) == [("sku", "STRING"), ("qty", "LONG")]
    assert rows(admin, stream, "SELECT sku, qty FROM table ORDER BY sku")[-1] == ["c", None]


def test_evolve_under_replace_takes_the_new_columns(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source, updateMethod="REPLACE")
    source.write_text("sku,qty,colour\nc,3.5,red\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert columns(admin, stream) == [("sku", "STRING"), ("qty", "DOUBLE"), ("colour", "STRING")]
    assert rows(admin, stream, "SELECT sku, qty, colour FROM table") == [["c", 3.5, "red"]]


def test_evolve_under_upsert_keeps_the_rows_no_key_replaces(
    admin: Api, connector: LocalCsvConnector, source: Path
) -> None:
    stream = first_run(admin, source, updateMethod="UPSERT", keyColumnNames=["sku"])
    source.write_text("sku,qty,colour\nb,20,blue\nc,3,red\n")
    done = run(admin, stream)
    assert done["currentState"] == "SUCCESS", done["errors"]
    assert done["schemaChanges"]["added"] == ["colour"]
    assert rows(admin, stream, "SELECT sku, qty, colour FROM table ORDER BY sku") == [
        ["a", 1, None],
        ["b", 20, "blue"],
        ["c", 3, "red"],
    ]
    source.write_text("sku,colour\na,green\n")  # the key is there; qty is filled with NULL
    assert run(admin, stream)["currentState"] == "SUCCESS"
    assert rows(admin, stream, "SELECT sku, qty, colour FROM table ORDER BY sku")[0] == [
        "a",
        None,
        "green",
    ]
    source.write_text("qty\n5\n")  # without its key an UPSERT cannot match: refused
    done = run(admin, stream)
    assert done["currentState"] == "ERROR"
    assert "key column 'sku'" in done["errors"][-1]["message"]
