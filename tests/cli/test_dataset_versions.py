"""`headwater dataset versions / query --version / restore` against a real server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run
from tests.cli.test_datasets import create, load

SUM = "SELECT SUM(amount) AS s FROM table"


def test_versions_query_an_old_one_and_restore_it(cli: Run, tmp_path: Path) -> None:
    dataset_id = create(cli)
    load(cli, dataset_id, tmp_path)  # version 0: 13 in all
    more = tmp_path / "more.csv"
    more.write_text("region,amount\neast,100\n")
    appended = cli("dataset", "upload", dataset_id, str(more), "--method", "APPEND")
    assert appended.exit_code == 0, appended.output

    table = cli("dataset", "versions", dataset_id)
    assert table.exit_code == 0, table.output
    for text in ("VERSION", "OPERATION", "APPEND", "REPLACE", "current", "admin"):
        assert text in table.stdout
    listed = json.loads(cli("dataset", "versions", dataset_id, "--json").stdout)
    assert [(v["version"], v["operation"]) for v in listed] == [(1, "APPEND"), (0, "REPLACE")]

    old = cli("dataset", "query", dataset_id, SUM, "--version", "0", "--json")
    assert old.exit_code == 0, old.output
    assert json.loads(old.stdout) == [{"s": 13}]

    restored = cli("dataset", "restore", dataset_id, "0", "--yes")
    assert restored.exit_code == 0, restored.output
    assert "restored version 0 as version 2 (3 rows" in restored.stderr
    now = cli("dataset", "query", dataset_id, SUM, "--json")
    assert json.loads(now.stdout) == [{"s": 13}]

    again = cli("dataset", "restore", dataset_id, "2", "--yes")
    assert again.exit_code != 0
    assert "is the current version already" in again.output
    assert "409 VERSION_CURRENT" in again.output
    missing = cli("dataset", "query", dataset_id, SUM, "--version", "7")
    assert missing.exit_code != 0
    assert "VERSION_NOT_FOUND" in missing.output
