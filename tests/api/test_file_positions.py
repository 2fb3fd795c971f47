"""Exact incremental files through the API: a file read up to its last complete line, read on
from there when it grows, read again from its start (and the execution says so) when it is
replaced or truncated; each stream's position kept durably in the metadata database beside
the Delta version that holds it, and reconciled with the log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from headwater.adapters.metadata.tables import positions
from headwater.bootstrap import Runtime
from headwater.settings import Settings
from tests.api.conftest import Api
from tests.api.test_connector_streams import count, file_stream, run
from tests.connectors.sftp_support import SftpServer


@pytest.fixture
def files(settings: Settings) -> Path:
    folder = settings.data_dir / "files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def rows(first: int, last: int) -> str:
    return "".join(f"{i},name {i}\n" for i in range(first, last + 1))


def incremental(api: Api, path: str, method: str = "APPEND") -> tuple[int, str]:
    created = file_stream(
        api,
        [{"name": "path", "value": path}, {"name": "incremental", "value": "true"}],
        updateMethod=method,
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["dataSource"]["id"]


def ids(api: Api, dataset_id: str) -> tuple[int, int]:
    """(rows, distinct ids) in the dataset."""
    return count(api, dataset_id), count(
        api, dataset_id, "SELECT COUNT(DISTINCT id) AS n FROM table"
    )


def warnings(execution: dict[str, Any]) -> list[str]:
    return [w["message"] for w in execution["warnings"]]


def test_an_appended_csv_is_read_once(admin: Api, files: Path) -> None:
    log = files / "export.csv"
    log.write_text("id,name\n" + rows(1, 500))
    stream_id, dataset_id = incremental(admin, "export.csv")
    first = run(admin, stream_id)
    assert (first["currentState"], first["rowsInserted"]) == ("SUCCESS", 500), first

    with log.open("a") as out:
        out.write(rows(501, 700))
    os.utime(log, (5_000_000_000, 5_000_000_000))  # a new modification time, surely
    second = run(admin, stream_id)
    assert (second["currentState"], second["rowsInserted"]) == ("SUCCESS", 200), second
    assert second["warnings"] == []
    assert ids(admin, dataset_id) == (700, 700)
    assert count(admin, dataset_id, "SELECT MIN(id) AS n FROM table WHERE id > 500") == 501

    third = run(admin, stream_id)
    assert (third["currentState"], third["rowsInserted"]) == ("SUCCESS", 0), third
    assert ids(admin, dataset_id) == (700, 700)


def test_a_half_written_line_waits_until_it_is_complete(admin: Api, files: Path) -> None:
    log = files / "events.csv"
    log.write_text("id,name\n1,one\n2,tw")  # the writer is mid-line
    stream_id, dataset_id = incremental(admin, "events.csv")
    assert run(admin, stream_id)["rowsInserted"] == 1
    assert count(admin, dataset_id, "SELECT MAX(id) AS n FROM table") == 1

    assert run(admin, stream_id)["rowsInserted"] == 0  # still not complete: still waiting
    with log.open("a") as out:
        out.write("o\n3,three\n")
    done = run(admin, stream_id)
    assert (done["currentState"], done["rowsInserted"]) == ("SUCCESS", 2), done
    assert ids(admin, dataset_id) == (3, 3)
    assert count(admin, dataset_id, "SELECT name AS n FROM table WHERE id = 2") == "two"
    assert run(admin, stream_id)["rowsInserted"] == 0


def test_a_rotated_file_is_read_again_from_its_start_and_the_run_says_so(
    admin: Api, files: Path
) -> None:
    log = files / "app.csv"
    log.write_text("id,name\n" + rows(1, 3))
    stream_id, dataset_id = incremental(admin, "app.csv")
    assert run(admin, stream_id)["rowsInserted"] == 3

    (files / "app.csv.1").write_text(log.read_text())  # rotation: the old one moves away
    fresh = files / "app.next"
    fresh.write_text("id,name\n" + rows(10, 14))  # longer than the offset read: no truncation
    os.replace(fresh, log)
    rotated = run(admin, stream_id)
    assert (rotated["currentState"], rotated["rowsInserted"]) == ("SUCCESS", 5), rotated
    (message,) = warnings(rotated)
    assert "app.csv" in message
    assert "replaced" in message
    assert "from its start" in message
    assert ids(admin, dataset_id) == (8, 8)

    again = run(admin, stream_id)
    assert (again["rowsInserted"], again["warnings"]) == (0, [])


def test_a_truncated_file_is_read_again_from_its_start(admin: Api, files: Path) -> None:
    log = files / "trace.csv"
    log.write_text("id,name\n" + rows(1, 50))
    stream_id, dataset_id = incremental(admin, "trace.csv")
    assert run(admin, stream_id)["rowsInserted"] == 50

    inode = log.stat().st_ino
    with log.open("r+") as out:  # the same file, emptied and written anew (copytruncate)
        out.truncate(0)
        out.write("id,name\n" + rows(100, 101))
    assert log.stat().st_ino == inode
    truncated = run(admin, stream_id)
    assert (truncated["currentState"], truncated["rowsInserted"]) == ("SUCCESS", 2), truncated
    (message,) = warnings(truncated)
    assert "truncated" in message
    assert "trace.csv" in message
    assert ids(admin, dataset_id) == (52, 52)
    assert run(admin, stream_id)["rowsInserted"] == 0


def test_an_ndjson_file_grows_by_lines(admin: Api, files: Path) -> None:
    log = files / "feed.jsonl"
    log.write_text('{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n')
    stream_id, dataset_id = incremental(admin, "feed.jsonl")
    assert run(admin, stream_id)["rowsInserted"] == 2
    with log.open("a") as out:
        out.write('{"id": 3, "name": "c"}\n{"id": 4, "na')
    assert run(admin, stream_id)["rowsInserted"] == 1
    with log.open("a") as out:
        out.write('me": "d"}\n')
    assert run(admin, stream_id)["rowsInserted"] == 1
    assert ids(admin, dataset_id) == (4, 4)


def test_a_changed_parquet_file_is_read_again_whole_and_said_so(admin: Api, files: Path) -> None:
    data = files / "snapshot.parquet"
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", "b"]}), data)
    stream_id, dataset_id = incremental(admin, "snapshot.parquet")
    assert run(admin, stream_id)["rowsInserted"] == 2
    assert run(admin, stream_id)["rowsInserted"] == 0  # unchanged: not read

    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}), data)
    changed = run(admin, stream_id)
    assert (changed["currentState"], changed["rowsInserted"]) == ("SUCCESS", 3), changed
    (message,) = warnings(changed)
    assert "read again whole" in message
    assert "snapshot.parquet" in message
    # Appended whole again, as documented: never silently (the warning says so).
    assert ids(admin, dataset_id) == (5, 3)


# -- durable positions ----------------------------------------------------------------------
def position_row(runtime: Runtime, dataset_id: str) -> Any:
    with runtime.engine.connect() as connection:
        return connection.execute(
            sa.select(positions).where(positions.c.dataset_id == dataset_id)
        ).one_or_none()


def set_row(runtime: Runtime, dataset_id: str, **values: Any) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(
            positions.update().where(positions.c.dataset_id == dataset_id).values(**values)
        )


def offset_of(row: Any, path: Path) -> int:
    return int(row.position["files"][str(path)]["offset"])


def test_the_position_is_kept_with_its_delta_version(
    admin: Api, files: Path, runtime: Runtime
) -> None:
    log = files / "kept.csv"
    log.write_text("id,name\n" + rows(1, 5))
    stream_id, dataset_id = incremental(admin, "kept.csv")
    first = run(admin, stream_id)
    row = position_row(runtime, dataset_id)
    assert (row.tag, row.owner, row.version) == ("headwater.stream", str(stream_id), 0)
    assert first["dataVersion"] == 0
    assert offset_of(row, log) == log.stat().st_size

    with log.open("a") as out:
        out.write(rows(6, 7))
    assert run(admin, stream_id)["dataVersion"] == 1
    row = position_row(runtime, dataset_id)
    assert row.version == 1
    assert offset_of(row, log) == log.stat().st_size


def test_a_stale_row_is_reconciled_from_the_log(admin: Api, files: Path, runtime: Runtime) -> None:
    log = files / "stale.csv"
    log.write_text("id,name\n" + rows(1, 5))
    stream_id, dataset_id = incremental(admin, "stale.csv")
    run(admin, stream_id)
    stale = position_row(runtime, dataset_id)
    with log.open("a") as out:
        out.write(rows(6, 8))
    run(admin, stream_id)
    # A crash between the Delta commit of version 1 and the row's write: the row says 0.
    set_row(runtime, dataset_id, version=stale.version, position=stale.position)

    with log.open("a") as out:
        out.write(rows(9, 9))
    third = run(admin, stream_id)
    assert (third["currentState"], third["rowsInserted"]) == ("SUCCESS", 1), third
    assert ids(admin, dataset_id) == (9, 9)
    assert position_row(runtime, dataset_id).version == 2


def test_a_missing_row_is_rebuilt_from_the_log(admin: Api, files: Path, runtime: Runtime) -> None:
    log = files / "missing.csv"
    log.write_text("id,name\n" + rows(1, 5))
    stream_id, dataset_id = incremental(admin, "missing.csv")
    run(admin, stream_id)
    with runtime.engine.begin() as connection:
        connection.execute(positions.delete().where(positions.c.dataset_id == dataset_id))

    # The position came from the log (version 0's commit): nothing is read twice.
    assert run(admin, stream_id)["rowsInserted"] == 0
    assert ids(admin, dataset_id) == (5, 5)
    row = position_row(runtime, dataset_id)  # and is kept again, with the run's own commit
    assert (row.version, offset_of(row, log)) == (1, log.stat().st_size)


def test_a_row_naming_a_version_the_table_lacks_loses_to_the_log(
    admin: Api, files: Path, runtime: Runtime
) -> None:
    log = files / "ahead.csv"
    log.write_text("id,name\n" + rows(1, 5))
    stream_id, dataset_id = incremental(admin, "ahead.csv")
    run(admin, stream_id)
    wrong = {
        "files": {
            str(log): {**position_row(runtime, dataset_id).position["files"][str(log)], "offset": 8}
        }
    }  # just after the header: would read every row again
    set_row(runtime, dataset_id, version=7, position=wrong)

    assert run(admin, stream_id)["rowsInserted"] == 0  # the log's offset, not the row's
    assert ids(admin, dataset_id) == (5, 5)
    row = position_row(runtime, dataset_id)
    assert (row.version, offset_of(row, log)) == (1, log.stat().st_size)


def test_restore_rewinds_the_kept_position(admin: Api, files: Path, runtime: Runtime) -> None:
    log = files / "rewound.csv"
    log.write_text("id,name\n" + rows(1, 3))
    stream_id, dataset_id = incremental(admin, "rewound.csv")
    run(admin, stream_id)  # version 0
    at_zero = offset_of(position_row(runtime, dataset_id), log)
    with log.open("a") as out:
        out.write(rows(4, 6))
    run(admin, stream_id)  # version 1

    restored = admin.post(f"/api/data/v3/datasources/{dataset_id}/versions/0/restore")
    assert restored.status_code == 200, restored.text
    row = position_row(runtime, dataset_id)
    assert (row.version, offset_of(row, log)) == (2, at_zero)

    again = run(admin, stream_id)  # the rows after version 0 are read again, once
    assert (again["currentState"], again["rowsInserted"]) == ("SUCCESS", 3), again
    assert ids(admin, dataset_id) == (6, 6)


# -- sftp -----------------------------------------------------------------------------------
def test_an_appended_csv_over_sftp_is_read_once(admin: Api, tmp_path: Path) -> None:
    root = tmp_path / "sftp-root"
    root.mkdir()
    export = root / "export.csv"
    export.write_text("id,name\n" + rows(1, 500))
    with SftpServer(root) as server:
        created = admin.post(
            "/api/data/v1/streams",
            json={
                "transport": {"type": "CONNECTOR"},
                "dataProvider": {"key": "sftp"},
                "configuration": [
                    {"name": "host", "value": "127.0.0.1"},
                    {"name": "port", "value": str(server.port)},
                    {"name": "username", "value": server.username},
                    {"name": "password", "value": server.password},
                    {"name": "path", "value": "export.csv"},
                    {"name": "incremental", "value": "true"},
                ],
                "dataSource": {"name": "Export"},
                "updateMethod": "APPEND",
            },
        )
        assert created.status_code == 201, created.text
        stream_id, dataset_id = created.json()["id"], created.json()["dataSource"]["id"]
        first = run(admin, stream_id)
        assert (first["currentState"], first["rowsInserted"]) == ("SUCCESS", 500), first

        with export.open("a") as out:
            out.write(rows(501, 700) + "701,half")  # and a line still being written
        second = run(admin, stream_id)
        assert (second["currentState"], second["rowsInserted"]) == ("SUCCESS", 200), second
        assert ids(admin, dataset_id) == (700, 700)

        with export.open("a") as out:
            out.write(" written\n")
        third = run(admin, stream_id)
        assert (third["currentState"], third["rowsInserted"]) == ("SUCCESS", 1), third
        assert ids(admin, dataset_id) == (701, 701)

        rotated = root / "export.next"
        rotated.write_text("id,name\n" + rows(1000, 1001))
        os.replace(rotated, export)  # shorter: its first block no longer hashes the same
        fourth = run(admin, stream_id)
        assert (fourth["currentState"], fourth["rowsInserted"]) == ("SUCCESS", 2), fourth
        assert "from its start" in warnings(fourth)[0]
        assert ids(admin, dataset_id) == (703, 703)
