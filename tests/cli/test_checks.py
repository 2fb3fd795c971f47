"""`headwater dataset checks ...` against a real server: set, show, results, clear."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run
from tests.cli.test_datasets import create


def test_set_show_results_and_clear(cli: Run, tmp_path: Path) -> None:
    dataset_id = create(cli)  # region STRING, amount LONG
    rules = tmp_path / "checks.json"
    rules.write_text(
        json.dumps(
            [
                {"name": "region present", "type": "NOT_NULL", "column": "region"},
                {"name": "small", "type": "RANGE", "column": "amount", "max": 6},
            ]
        )
    )
    set_ = cli("dataset", "checks", "set", dataset_id, str(rules), "--on-failure", "QUARANTINE")
    assert set_.exit_code == 0, set_.output
    assert "2 checks set" in set_.stderr
    assert "QUARANTINE" in set_.stderr

    shown = cli("dataset", "checks", "show", dataset_id)
    assert shown.exit_code == 0, shown.output
    for text in ("region present", "NOT_NULL", "has a value", "small", "value <= 6"):
        assert text in shown.stdout
    as_json = json.loads(cli("dataset", "checks", "show", dataset_id, "--json").stdout)
    assert as_json["onFailure"] == "QUARANTINE"
    assert [c["name"] for c in as_json["checks"]] == ["region present", "small"]

    source = tmp_path / "sales.csv"
    source.write_text("region,amount\nnorth,5\nsouth,7\n,1\n")
    uploaded = cli("dataset", "upload", dataset_id, str(source))
    assert uploaded.exit_code == 0, uploaded.output

    results = cli("dataset", "checks", "results", dataset_id)
    assert results.exit_code == 0, results.output
    for text in ("SUCCESS", "region present", "FAILED", "small", "sample rows", "south"):
        assert text in results.stdout
    found = json.loads(cli("dataset", "checks", "results", dataset_id, "--json").stdout)
    assert [(r["name"], r["failingRows"]) for r in found["checkResults"]] == [
        ("region present", 1),
        ("small", 1),
    ]
    assert found["quarantine"]["rows"] == 2
    rows = json.loads(
        cli("dataset", "query", dataset_id, "SELECT region FROM table", "--json").stdout
    )
    assert rows == [{"region": "north"}]

    # The same file shape `show --json` prints is accepted back, from stdin.
    again = cli("dataset", "checks", "set", dataset_id, "-", input=json.dumps(as_json))
    assert again.exit_code == 0, again.output

    cleared = cli("dataset", "checks", "clear", dataset_id)
    assert cleared.exit_code == 0
    assert json.loads(cli("dataset", "checks", "show", dataset_id, "--json").stdout)["checks"] == []


def test_a_bad_check_names_its_field(cli: Run, tmp_path: Path) -> None:
    dataset_id = create(cli)
    rules = tmp_path / "checks.json"
    rules.write_text(json.dumps([{"name": "x", "type": "NOT_NULL", "column": "nope"}]))
    refused = cli("dataset", "checks", "set", dataset_id, str(rules))
    assert refused.exit_code == 1
    assert "checks[0].column" in refused.stderr
    rules.write_text("{not json")
    assert cli("dataset", "checks", "set", dataset_id, str(rules)).exit_code == 2


def test_a_file_that_cannot_be_read_is_one_line_naming_it(cli: Run, tmp_path: Path) -> None:
    dataset_id = create(cli)
    missing = cli("dataset", "checks", "set", dataset_id, str(tmp_path / "nonexistent.json"))
    assert missing.exit_code == 2
    assert "Traceback" not in missing.output
    assert "nonexistent.json cannot be read" in missing.stderr
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'[{"name": "caf\xe9", "type": "NOT_NULL", "column": "region"}]')
    undecodable = cli("dataset", "checks", "set", dataset_id, str(latin))
    assert undecodable.exit_code == 2
    assert "Traceback" not in undecodable.output
    assert "latin.json is not UTF-8" in undecodable.stderr


def test_a_file_without_checks_changes_nothing(cli: Run, tmp_path: Path) -> None:
    dataset_id = create(cli)
    rules = tmp_path / "checks.json"
    rules.write_text(
        json.dumps([{"name": "region present", "type": "NOT_NULL", "column": "region"}])
    )
    assert cli("dataset", "checks", "set", dataset_id, str(rules)).exit_code == 0
    rules.write_text(json.dumps({"onFailure": "QUARANTINE"}))
    assert cli("dataset", "checks", "set", dataset_id, str(rules)).exit_code == 2
    shown = json.loads(cli("dataset", "checks", "show", dataset_id, "--json").stdout)
    assert [c["name"] for c in shown["checks"]] == ["region present"]
