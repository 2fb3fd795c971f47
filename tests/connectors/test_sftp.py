"""The `sftp` connector against a real SFTP server (asyncssh's) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headwater.connectors.builtin.sftp import SftpConnector
from headwater.connectors.config import prepare_config
from headwater.connectors.sdk import TerminalError, TransientError
from headwater.testing import check_connector, read_all

from .sftp_support import SftpServer


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


@pytest.fixture
def server(root: Path) -> Iterator[SftpServer]:
    with SftpServer(root) as running:
        yield running


def account(server: SftpServer, **extra: Any) -> dict[str, Any]:
    """A stream's values as they arrive: strings, port included."""
    return {
        "host": "127.0.0.1",
        "port": str(server.port),
        "username": server.username,
        "password": server.password,
        **extra,
    }


def write(path: Path, text: str, mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_csv_glob_across_files_keeps_the_contract(root: Path, server: SftpServer) -> None:
    write(root / "exports" / "a.csv", "id,name\n1,ann\n2,bob\n", mtime=1000)
    write(root / "exports" / "deep" / "er" / "c.csv", "id,name\n4,dee\n", mtime=3000)
    write(root / "exports" / "sub" / "b.csv", "id,name\n3,cy\n", mtime=2000)
    write(root / "exports" / "notes.txt", "not data", mtime=1500)
    write(root / "exports" / ".c.csv", "id,name\n5,uploading\n", mtime=1500)
    write(root / "elsewhere.csv", "id,name\n9,no\n", mtime=1500)
    config = account(server, path="/exports/**/*.csv", incremental="true")
    result = check_connector(SftpConnector(), config, incremental=True)
    assert [c.name for c in result.columns] == ["id", "name"]
    assert result.table.column("id").to_pylist() == [1, 2, 3, 4]  # oldest file first
    assert sorted(result.final_state["files"]) == [  # hidden and unmatched files left out
        "/exports/a.csv",
        "/exports/deep/er/c.csv",
        "/exports/sub/b.csv",
    ]


def test_a_directory_reads_the_files_in_it(root: Path, server: SftpServer) -> None:
    write(root / "drop" / "a.tsv", "id\tname\n1\tann\n", mtime=1000)
    write(root / "drop" / "b.tsv", "id\tname\n2\tbob\n", mtime=2000)
    write(root / "drop" / "later" / "c.tsv", "id\tname\n3\tcy\n", mtime=500)
    write(root / "drop" / ".d.tsv.part", "id\tname\n9\tpart\n", mtime=500)  # uploading
    connector = SftpConnector()
    table, _ = read_all(connector, account(server, path="drop"))
    assert table is not None
    assert table.column("id").to_pylist() == [1, 2]
    table, _ = read_all(connector, account(server, path="drop/.*", format="tsv"))
    assert table is not None
    assert table.column("id").to_pylist() == [9]  # hidden, but asked for


def test_parquet_streams_in_batches(root: Path, server: SftpServer) -> None:
    pq.write_table(pa.table({"n": list(range(100_000))}), root / "big.parquet")
    spool = root.parent / "spool"
    connector = SftpConnector(temp_dir=str(spool))  # made if missing, emptied after
    items = list(connector.read(prepare_config(connector.spec(), account(server)), {}))
    assert list(spool.iterdir()) == []
    batches = [i for i in items if isinstance(i, pa.RecordBatch)]
    assert len(batches) > 1
    assert sum(b.num_rows for b in batches) == 100_000
    assert batches[-1].column("n")[-1].as_py() == 99_999


def test_ndjson_and_json_records(root: Path, server: SftpServer) -> None:
    write(root / "e.ndjson", '{"id": 1, "tags": ["a"]}\n{"id": 2, "tags": []}\n')
    write(root / "d.json", json.dumps({"data": {"items": [{"id": 7}, {"id": 8}]}}))
    connector = SftpConnector()
    table, _ = read_all(connector, account(server, path="e.ndjson"))
    assert table is not None
    assert table.to_pylist() == [{"id": 1, "tags": '["a"]'}, {"id": 2, "tags": "[]"}]
    table, _ = read_all(connector, account(server, path="d.json", records_path="data.items"))
    assert table is not None
    assert table.column("id").to_pylist() == [7, 8]


def test_the_smallest_account_validates_and_reads_the_login_directory(root: Path) -> None:
    """Only host and password: the user is `anonymous` and the path the login directory."""
    write(root / "a.csv", "id\n1\n")
    connector = SftpConnector()
    assert prepare_config(connector.spec(), {"host": "sftp.example.com", "password": "pw"})
    with SftpServer(root, username="anonymous", password="pw") as server:
        table, _ = read_all(connector, {"host": "127.0.0.1", "port": server.port, "password": "pw"})
    assert table is not None
    assert table.column("id").to_pylist() == [1]


def test_a_wrong_password_is_terminal(server: SftpServer) -> None:
    with pytest.raises(TerminalError, match="authentication failed for user 'alice'"):
        SftpConnector().check(account(server, password="wrong"))


def test_private_key_login(root: Path) -> None:
    write(root / "a.csv", "id\n1\n")
    key = asyncssh.generate_private_key("ssh-ed25519")
    locked = key.export_private_key("pkcs8-pem", passphrase="open sesame").decode()
    with SftpServer(root, password="unused", client_key=key) as server:
        config = {"host": "127.0.0.1", "port": server.port, "username": "alice"}
        table, _ = read_all(
            SftpConnector(),
            {**config, "private_key": locked, "private_key_passphrase": "open sesame"},
        )
        assert table is not None
        assert table.column("id").to_pylist() == [1]
        with pytest.raises(TerminalError, match="private_key cannot be used"):
            SftpConnector().check({**config, "private_key": locked})
        other = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
        with pytest.raises(TerminalError, match="authentication failed"):
            SftpConnector().check({**config, "private_key": other})


def test_a_pinned_host_key_must_match(root: Path, server: SftpServer) -> None:
    write(root / "a.csv", "id\n1\n")
    connector = SftpConnector()
    table, _ = read_all(connector, account(server, host_key=server.host_key_line))
    assert table is not None
    known_hosts_line = f"[127.0.0.1]:{server.port} {server.host_key_line}"
    connector.check(account(server, host_key=known_hosts_line))

    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    with pytest.raises(TerminalError, match="does not match host_key"):
        connector.check(account(server, host_key=impostor))
    with pytest.raises(TerminalError, match="host_key is not a public key"):
        connector.check(account(server, host_key="not a key"))


def test_a_missing_file_or_a_malformed_one_is_terminal(root: Path, server: SftpServer) -> None:
    connector = SftpConnector()
    with pytest.raises(TerminalError, match=r"no such file on 127\.0\.0\.1:\d+: /nope\.csv"):
        connector.check(account(server, path="/nope.csv"))
    write(root / "bad.json", "{not json")
    with pytest.raises(TerminalError, match=r"bad\.json is not valid json"):
        read_all(connector, account(server, path="bad.json"))


def test_a_glob_matching_nothing_reads_nothing(server: SftpServer) -> None:
    connector = SftpConnector()
    table, states = read_all(connector, account(server, path="*.csv"))
    assert (table, states) == (None, [])
    with pytest.raises(TerminalError, match="no file matches"):
        connector.discover(account(server, path="*.csv"))


def test_a_closed_port_is_transient() -> None:
    config = {"host": "127.0.0.1", "port": free_port(), "password": "pw"}
    with pytest.raises(TransientError, match="refused"):
        SftpConnector().check(config)


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # accepts TCP, never says a word of SSH
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        config = {"host": "127.0.0.1", "port": silent.getsockname()[1], "password": "pw"}
        with pytest.raises(TransientError, match="timed out"):
            SftpConnector(connect_timeout=0.3).check(config)


def test_incremental_reads_only_new_or_changed_files_once(root: Path, server: SftpServer) -> None:
    connector = SftpConnector()
    config = account(server, path="in/*.csv", incremental=True)
    write(root / "in" / "1.csv", "id\n1\n", mtime=1000)
    write(root / "in" / "2.csv", "id\n2\n", mtime=2000)
    first = check_connector(connector, config, incremental=True)
    assert first.table.column("id").to_pylist() == [1, 2]

    write(root / "in" / "3.csv", "id\n3\n", mtime=2000)  # same mtime as the last file read
    write(root / "in" / "4.csv", "id\n4\n", mtime=3000)
    write(root / "in" / "1.csv", "id\n10\n", mtime=4000)  # rewritten since
    table, states = read_all(connector, config, first.final_state)
    assert table is not None
    assert table.column("id").to_pylist() == [3, 4, 10]
    marks = states[-1]["files"]
    assert sorted(marks) == ["in/1.csv", "in/2.csv", "in/3.csv", "in/4.csv"]
    assert marks["in/1.csv"]["offset"] == len("id\n10\n")

    again, _ = read_all(connector, config, states[-1])
    assert again is None
    everything, _ = read_all(connector, {**config, "incremental": False}, states[-1])
    assert everything is not None
    assert everything.column("id").to_pylist() == [2, 3, 4, 10]


def test_a_connection_lost_mid_read_is_transient(root: Path) -> None:
    write(root / "1.csv", "id\n1\n", mtime=1000)
    write(root / "2.csv", "id\n2\n", mtime=2000)
    connector = SftpConnector()
    with SftpServer(root) as server:
        items = connector.read(prepare_config(connector.spec(), account(server)), {})
        assert isinstance(next(items), pa.RecordBatch)
        assert list(next(items).state["files"]) == ["1.csv"]  # type: ignore[union-attr]
    with pytest.raises(TransientError, match=r"connection to 127\.0\.0\.1:\d+ lost"):
        next(items)


def test_a_read_stopped_early_closes_its_connection(root: Path, server: SftpServer) -> None:
    write(root / "1.csv", "id\n1\n")
    connector = SftpConnector()
    items = connector.read(prepare_config(connector.spec(), account(server)), {})
    next(items)
    assert len(server.connections) == 1
    items.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("sftp ")]
    deadline = time.monotonic() + 5  # the server thread notices the close a moment later
    while server.connections and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.connections == set()
