"""What the CLI prints, against a real server: doubles with every digit the server sent, and
messages on stderr kept whole when stderr is not a terminal (issue 15: `9.99e+10` for
99909708580.0; a log line broken in two at 80 columns)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run

# As a pipe, a log file or CI would run it: not a terminal, no COLUMNS, so Rich's default
# width of 80 applies.
NOT_A_TERMINAL: dict[str, str | None] = {"COLUMNS": None, "LINES": None}


def test_query_tables_show_doubles_with_every_digit(cli: Run, tmp_path: Path) -> None:
    made = cli("dataset", "create", "Measures", "-c", "name:STRING", "-c", "value:DOUBLE")
    assert made.exit_code == 0, made.output
    dataset_id = made.stdout.strip()
    source = tmp_path / "measures.csv"
    source.write_text(
        "name,value\n"
        "revenue,99909708580.0\n"
        "tenth,0.1\n"
        "next-after-one,1.0000000000000002\n"
        "tiny,0.000025\n"
        "huge,1e22\n"
        "minus,-1234.5\n"
    )
    assert cli("dataset", "upload", dataset_id, str(source)).exit_code == 0
    sql = "SELECT name, value FROM table"

    sent = {
        r["name"]: r["value"]
        for r in json.loads(cli("dataset", "query", dataset_id, sql, "--json").stdout)
    }
    assert sent["revenue"] == 99909708580.0  # what the server sent, untouched by --json

    table = cli("dataset", "query", dataset_id, sql, env=NOT_A_TERMINAL)
    assert table.exit_code == 0, table.output
    cells = [line.replace("│", " ").split() for line in table.stdout.splitlines()[2:]]
    rows = {cell[0]: cell[1] for cell in cells if cell}
    # The exact text of each value, digits in place: no exponent, no thousands separators
    # (the CLI cannot tell a DOUBLE from a DECIMAL in the answer, and a DECIMAL's digits
    # are its value: 1,262,525,250.0 or 1e-38 is not what the column holds).
    assert rows == {
        "revenue": "99909708580.0",
        "tenth": "0.1",
        "next-after-one": "1.0000000000000002",
        "tiny": "0.000025",
        "huge": "10000000000000000000000",
        "minus": "-1234.5",
    }
    assert "9.99e+10" not in table.stdout


def test_stderr_messages_stay_whole_off_a_terminal(cli: Run) -> None:
    """`login` says on stderr, in one line longer than 80 characters, where it saved the
    profile; an error's message and its hint are one line each too."""
    logged_in = cli("login", env=NOT_A_TERMINAL)
    assert logged_in.exit_code == 0, logged_in.output
    (line,) = logged_in.stderr.splitlines()
    assert len(line) > 80
    assert line.startswith("logged in to http://127.0.0.1:")
    assert line.endswith("config.toml")

    refused = cli(
        "dataset", "query", "no-such-dataset-" + "x" * 60, "SELECT 1 FROM table", env=NOT_A_TERMINAL
    )
    assert refused.exit_code == 1
    error, hint = refused.stderr.splitlines()
    assert error.startswith("error: ")
    assert "x" * 60 in error
    assert hint.startswith("404 ") or "404" in hint
