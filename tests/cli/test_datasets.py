"""`headwater dataset ...` against a real server: each command, its table and its --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

from headwater.bootstrap import Runtime
from tests.cli.conftest import Run


def create(cli: Run, name: str = "Sales") -> str:
    made = cli(
        "dataset", "create", name, "-c", "region:STRING", "-c", "amount:LONG", "--tag", "demo"
    )
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


def load(cli: Run, dataset_id: str, tmp_path: Path) -> None:
    source = tmp_path / "sales.csv"
    source.write_text("region,amount\nnorth,5\nsouth,7\nnorth,1\n")
    uploaded = cli("dataset", "upload", dataset_id, str(source))
    assert uploaded.exit_code == 0, uploaded.output


def test_create_ls_show(cli: Run) -> None:
    dataset_id = create(cli)
    listed = cli("dataset", "ls")
    assert listed.exit_code == 0
    assert dataset_id in listed.stdout
    assert "Sales" in listed.stdout
    assert "OWNER" in listed.stdout
    as_json = json.loads(cli("dataset", "ls", "--json").stdout)
    assert [(d["id"], d["name"], d["columnCount"]) for d in as_json] == [(dataset_id, "Sales", 2)]
    assert cli("dataset", "ls", "--name", "nope", "--json").stdout.strip() == "[]"
    shown = cli("dataset", "show", dataset_id)
    assert shown.exit_code == 0
    for text in ("region", "STRING", "amount", "LONG", "OWNER", "admin", "demo"):
        assert text in shown.stdout
    body = json.loads(cli("dataset", "show", dataset_id, "--json").stdout)
    assert body["schema"]["columns"] == [
        {"type": "STRING", "name": "region"},
        {"type": "LONG", "name": "amount"},
    ]
    assert body["permissionList"][0]["accessLevel"] == "OWNER"


def test_upload_query_export(cli: Run, tmp_path: Path) -> None:
    dataset_id = create(cli)
    load(cli, dataset_id, tmp_path)
    table = cli(
        "dataset",
        "query",
        dataset_id,
        "SELECT region, SUM(amount) AS total FROM table GROUP BY 1 ORDER BY 1",
    )
    assert table.exit_code == 0
    cells = [re.findall(r"[\w.]+", line) for line in table.stdout.splitlines()]
    assert ["region", "total"] in cells  # the header row
    assert ["north", "6"] in cells
    assert ["south", "7"] in cells
    assert "2 rows" in table.stderr
    rows = json.loads(
        cli("dataset", "query", dataset_id, "SELECT * FROM table ORDER BY amount", "--json").stdout
    )
    assert rows == [
        {"region": "north", "amount": 1},
        {"region": "north", "amount": 5},
        {"region": "south", "amount": 7},
    ]
    exported = cli("dataset", "export", dataset_id)
    assert exported.exit_code == 0
    assert exported.stdout.splitlines() == [
        '"region","amount"',
        '"north",5',
        '"south",7',
        '"north",1',
    ]
    target = tmp_path / "out.csv"
    to_file = cli("dataset", "export", dataset_id, "-o", str(target), "--no-header")
    assert to_file.exit_code == 0
    assert f"to {target}" in to_file.stderr
    assert target.read_text().splitlines() == ['"north",5', '"south",7', '"north",1']


def test_share_revoke_rm(cli: Run, runtime: Runtime) -> None:
    dataset_id = create(cli)
    ada = cli("user", "create", "Ada", "--email", "ada@example.com", "--role", "participant")
    ada_id = ada.stdout.strip()
    shared = cli("dataset", "share", dataset_id, "--user", ada_id, "--level", "CAN_EDIT")
    assert shared.exit_code == 0, shared.output
    assert "CAN_EDIT" in shared.stdout
    assert "Ada" in shared.stdout
    ada_token = cli("token", "create", "ada", "--owner", ada_id).stdout.strip()
    as_ada = cli("dataset", "ls", "--json", env={"HEADWATER_TOKEN": ada_token})
    assert [d["id"] for d in json.loads(as_ada.stdout)] == [dataset_id]
    assert cli("dataset", "revoke", dataset_id, "--user", ada_id).exit_code == 0
    assert (
        json.loads(cli("dataset", "ls", "--json", env={"HEADWATER_TOKEN": ada_token}).stdout) == []
    )
    both = cli("dataset", "share", dataset_id, "--user", "1", "--group", "2")
    assert both.exit_code == 2
    assert "exactly one of --user or --group" in both.stderr

    kept = cli("dataset", "rm", dataset_id, input="n\n")
    assert kept.exit_code == 1  # the confirmation said no
    assert cli("dataset", "show", dataset_id).exit_code == 0
    removed = cli("dataset", "rm", dataset_id, "--yes")
    assert removed.exit_code == 0
    assert "deleted dataset 'Sales'" in removed.stderr
    assert json.loads(cli("dataset", "ls", "--json").stdout) == []


def test_failures_exit_non_zero_with_a_clear_message(cli: Run, tmp_path: Path) -> None:
    missing = cli("dataset", "show", "no-such-id")
    assert missing.exit_code == 1
    assert "error: no dataset no-such-id" in missing.stderr
    assert "404 NOT_FOUND" in missing.stderr
    assert "toe" in missing.stderr
    assert missing.stdout == ""

    bad_type = cli("dataset", "create", "Broken", "-c", "a:NOPE")
    assert bad_type.exit_code == 1
    assert "field schema.columns[0].type" in bad_type.stderr

    bad_spec = cli("dataset", "create", "Broken", "-c", "no-type-here")
    assert bad_spec.exit_code == 1
    assert "must be written NAME:TYPE" in bad_spec.stderr

    dataset_id = create(cli)
    bad_sql = cli("dataset", "query", dataset_id, "DELETE FROM table")
    assert bad_sql.exit_code == 1
    assert "INVALID_QUERY" in bad_sql.stderr

    wrong_token = cli("dataset", "ls", env={"HEADWATER_TOKEN": "nope"})
    assert wrong_token.exit_code == 1
    assert "headwater login" in wrong_token.stderr

    no_server = cli("dataset", "ls", env={"HEADWATER_URL": "http://127.0.0.1:9"})
    assert no_server.exit_code == 3
    assert "cannot reach http://127.0.0.1:9" in no_server.stderr

    usage = cli("dataset", "upload", dataset_id, str(tmp_path / "absent.csv"))
    assert usage.exit_code == 2  # Click's own check: the file does not exist


def test_a_decimal_column_with_its_size(cli: Run, tmp_path: Path) -> None:
    made = cli("dataset", "create", "Ledger", "-c", "id:LONG", "-c", "amount:DECIMAL(38,9)")
    assert made.exit_code == 0, made.output
    dataset_id = made.stdout.strip()
    assert "DECIMAL(38,9)" in cli("dataset", "show", dataset_id).stdout
    body = json.loads(cli("dataset", "show", dataset_id, "--json").stdout)
    assert body["schema"]["columns"][1] == {
        "type": "DECIMAL",
        "name": "amount",
        "precision": 38,
        "scale": 9,
    }
    source = tmp_path / "ledger.csv"
    source.write_text("id,amount\n1,123456789012345678.123456789\n2,0.000000001\n")
    assert cli("dataset", "upload", dataset_id, str(source)).exit_code == 0
    rows = json.loads(
        cli("dataset", "query", dataset_id, "SELECT SUM(amount) AS s FROM table", "--json").stdout
    )
    assert rows == [{"s": "123456789012345678.123456790"}]  # every digit: text, not a double

    too_wide = cli("dataset", "create", "Wide", "-c", "a:DECIMAL(39,2)")
    assert too_wide.exit_code == 1
    assert "field schema.columns[0].precision" in too_wide.stderr


def test_query_shows_decimals_with_every_digit_in_place(cli: Run, tmp_path: Path) -> None:
    made = cli("dataset", "create", "Ledger", "-c", "id:LONG", "-c", "amount:DECIMAL(38,2)")
    dataset_id = made.stdout.strip()
    source = tmp_path / "ledger.csv"
    source.write_text("id,amount\n1,1262525250.00\n")
    assert cli("dataset", "upload", dataset_id, str(source)).exit_code == 0
    shown = cli("dataset", "query", dataset_id, "SELECT amount FROM table")
    assert shown.exit_code == 0, shown.output
    assert "1262525250.0" in shown.stdout
    assert "1,262,525,250" not in shown.stdout
    tiny = cli(
        "dataset", "query", dataset_id, "SELECT CAST(-1e-38 AS DECIMAL(38,38)) AS t FROM table"
    )
    assert tiny.exit_code == 0, tiny.output
    assert "-0.00000000000000000000000000000000000001" in tiny.stdout
    assert "e-38" not in tiny.stdout
