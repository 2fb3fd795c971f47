"""The `file` connector against real files on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headwater.connectors.builtin.file import FileConnector
from headwater.connectors.sdk import TerminalError
from headwater.testing import check_connector, read_all


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


def write(path: Path, text: str, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_csv_glob_keeps_the_contract(root: Path) -> None:
    write(root / "a.csv", "id,name\n1,ann\n2,bob\n", mtime=1000)
    write(root / "sub" / "b.csv", "id,name\n3,cy\n", mtime=2000)
    result = check_connector(FileConnector([str(root)]), {"path": f"{root}/**/*.csv"})
    assert result.table.column("id").to_pylist() == [1, 2, 3]
    assert [c.name for c in result.columns] == ["id", "name"]


@pytest.mark.parametrize(
    ("name", "content", "extra"),
    [
        ("t.tsv", "id\tname\n1\tann\n2\tbob\n", {}),
        ("t.ndjson", '{"id": 1, "name": "ann"}\n{"id": 2, "name": "bob"}\n', {}),
        (
            "t.json",
            json.dumps({"data": {"items": [{"id": 1, "name": "ann"}, {"id": 2}]}}),
            {"records_path": "data.items"},
        ),
        ("t.txt", "1;ann\n2;bob\n", {"format": "csv", "header": "false", "delimiter": ";"}),
    ],
)
def test_each_text_format(root: Path, name: str, content: str, extra: dict[str, str]) -> None:
    write(root / name, content)
    table, _ = read_all(FileConnector([str(root)]), {"path": name, **extra})
    assert table is not None
    assert table.column(0).to_pylist() == [1, 2]


def test_parquet_streams_in_batches(root: Path) -> None:
    pq.write_table(pa.table({"n": list(range(200_000))}), root / "big.parquet")
    items = list(FileConnector([str(root)]).read({"path": "big.parquet"}, {}))
    batches = [i for i in items if isinstance(i, pa.RecordBatch)]
    assert len(batches) > 1
    assert sum(b.num_rows for b in batches) == 200_000


def test_headerless_csv_names_columns_like_uploads(root: Path) -> None:
    write(root / "h.csv", "1,x\n2,y\n")
    table, _ = read_all(FileConnector([str(root)]), {"path": "h.csv", "header": False})
    assert table is not None
    assert table.column_names == ["column_1", "column_2"]


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.csv", "/etc/*"])
def test_paths_outside_the_allowed_directories_are_refused(root: Path, path: str) -> None:
    write(root.parent / "outside.csv", "a\n1\n")
    with pytest.raises(TerminalError, match="outside the directories"):
        FileConnector([str(root)]).check({"path": path})


def test_a_symlink_pointing_outside_is_refused(root: Path) -> None:
    secret = write(root.parent / "secret.csv", "a\n1\n")
    (root / "link.csv").symlink_to(secret)
    with pytest.raises(TerminalError, match="outside the directories"):
        list(FileConnector([str(root)]).read({"path": "*.csv"}, {}))


def test_missing_file_and_malformed_file_are_terminal(root: Path) -> None:
    connector = FileConnector([str(root)])
    with pytest.raises(TerminalError, match="no such file"):
        connector.check({"path": "nope.csv"})
    write(root / "bad.json", "{not json")
    with pytest.raises(TerminalError, match=r"bad\.json is not valid json"):
        list(connector.read({"path": "bad.json"}, {}))


def test_incremental_reads_only_new_files_once(root: Path) -> None:
    connector = FileConnector([str(root)])
    config = {"path": "*.csv", "incremental": True}
    write(root / "1.csv", "id\n1\n", mtime=1000)
    write(root / "2.csv", "id\n2\n", mtime=2000)
    first = check_connector(connector, config, incremental=True)
    assert first.table.column("id").to_pylist() == [1, 2]

    write(root / "3.csv", "id\n3\n", mtime=2000)  # same mtime as the last file read
    write(root / "4.csv", "id\n4\n", mtime=3000)
    table, states = read_all(connector, config, first.final_state)
    assert table is not None
    assert table.column("id").to_pylist() == [3, 4]
    again, _ = read_all(connector, config, states[-1])
    assert again is None
