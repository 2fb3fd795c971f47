"""`headwater dataset upload`: progress a person can watch on a large file, resuming after a
dropped connection, and exit codes when it cannot finish."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.support.csv_files import COLUMNS, write_orders
from tests.support.faulty_proxy import faulty_proxy
from tests.support.live_server import LiveServer

ROWS = 700_000  # about 31 MB of CSV


@pytest.fixture(scope="module")
def large_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("large") / "orders.csv"
    return path, write_orders(path, ROWS)


def dataset(cli: Run) -> str:
    args = [arg for column in COLUMNS for arg in ("-c", column)]
    made = cli("dataset", "create", "Orders", *args)
    assert made.exit_code == 0, made.output
    return made.stdout.strip()


def sum_qty(cli: Run, dataset_id: str) -> list[dict[str, int]]:
    answer = cli(
        "dataset", "query", dataset_id, "SELECT COUNT(*) AS n, SUM(qty) AS q FROM table", "--json"
    )
    return json.loads(answer.stdout)


def test_a_large_upload_reports_bytes_rate_and_eta_per_part(
    cli: Run, large_csv: tuple[Path, int]
) -> None:
    path, expected = large_csv
    assert path.stat().st_size > 30_000_000
    dataset_id = dataset(cli)
    result = cli("dataset", "upload", dataset_id, str(path), "--part-size", "4MB")
    assert result.exit_code == 0, result.output
    steps = re.findall(
        r"orders\.csv: parts (\d+)/(\d+)\s+([\d.,]+) MB / ([\d.,]+) MB\s+"
        r"([\d.,]+) (?:MB|kB)/s\s+ETA (\d+:\d\d:\d\d)",
        result.stderr,
    )
    total = int(steps[-1][1])
    assert total >= 8
    assert [int(s[0]) for s in steps] == list(range(1, total + 1)), result.stderr  # each part
    megabytes = [float(s[2].replace(",", "")) for s in steps]
    assert megabytes == sorted(megabytes)
    assert megabytes[-1] == float(steps[-1][3])
    assert steps[-1][5] == "0:00:00"
    assert f"orders.csv: parts 0/{total}  0 B / " in result.stderr  # the start, before any
    assert f"SUCCESS: {ROWS:,} rows" in result.stderr
    assert sum_qty(cli, dataset_id) == [{"n": ROWS, "q": expected}]


def test_on_a_terminal_the_bar_moves(cli: Run, large_csv: tuple[Path, int]) -> None:
    path, _ = large_csv
    dataset_id = dataset(cli)
    result = cli(
        "dataset",
        "upload",
        dataset_id,
        str(path),
        "--part-size",
        "2MB",
        "--parallel",
        "2",
        env={"TTY_INTERACTIVE": "1", "TTY_COMPATIBLE": "1"},
    )
    assert result.exit_code == 0, result.output
    frames = set(re.findall(r"([\d.]+)/([\d.]+) MB", result.stderr))
    assert len(frames) >= 3, result.stderr[-2000:]  # the bar was redrawn as bytes went up
    assert re.search(r"[\d.]+ MB/s", result.stderr)
    assert re.search(r"parts \d+/\d+", result.stderr)
    assert "\x1b[" in result.stderr  # drawn in place, with terminal control codes


def test_a_dropped_part_is_sent_again_and_the_upload_completes(
    cli: Run, server: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    expected = write_orders(path, 60_000)
    dataset_id = dataset(cli)
    with faulty_proxy(server.url) as proxy:
        proxy.drop(r"PUT .*/part/2$", times=1, after_bytes=1024)
        result = cli(
            "dataset",
            "upload",
            dataset_id,
            str(path),
            "--part-size",
            "1MB",
            env={"HEADWATER_URL": proxy.url},
        )
        assert result.exit_code == 0, result.output
        assert proxy.count("PUT", r"/part/2$") == 2
        assert proxy.count("PUT", r"/part/1$") == 1
    assert sum_qty(cli, dataset_id) == [{"n": 60_000, "q": expected}]


def test_an_upload_that_cannot_finish_says_how_to_resume_and_resumes(
    cli: Run, server: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    expected = write_orders(path, 60_000)
    dataset_id = dataset(cli)
    with faulty_proxy(server.url) as proxy:
        proxy.drop(r"PUT .*/part/3$", times=1, after_bytes=1024)
        via_proxy = {"HEADWATER_URL": proxy.url}
        failed = cli(
            "dataset",
            "upload",
            dataset_id,
            str(path),
            "--part-size",
            "1MB",
            "--retries",
            "0",
            env=via_proxy,
        )
        assert failed.exit_code == 1
        assert "1 of " in failed.stderr
        assert "parts of orders.csv did not land" in failed.stderr
        resume = re.search(r"--resume (\d+)", failed.stderr)
        assert resume, failed.stderr
        assert sum_qty(cli, dataset_id) == [{"n": 0, "q": None}]  # nothing committed

        before = len(proxy.seen)
        resumed = cli(
            "dataset",
            "upload",
            dataset_id,
            str(path),
            "--part-size",
            "1MB",
            "--resume",
            resume.group(1),
            env=via_proxy,
        )
        assert resumed.exit_code == 0, resumed.output
        sent = [p for m, p in proxy.seen[before:] if m == "PUT" and "/part/" in p]
        assert [p.rsplit("/", 1)[1] for p in sent] == ["3"]
        assert "already there" in resumed.stderr
    assert sum_qty(cli, dataset_id) == [{"n": 60_000, "q": expected}]


def test_bad_rows_fail_with_the_line_of_the_file(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    write_orders(path, 5_000)
    text = path.read_text().replace("sku-3,3,", "sku-3,three,", 1)
    path.write_text(text)
    dataset_id = dataset(cli)
    result = cli("dataset", "upload", dataset_id, str(path), "--part-size", "64k")
    assert result.exit_code == 1
    line = text[: text.index("sku-3,three")].count("\n") + 1
    assert f"orders.csv line {line}" in result.stderr
    assert "column qty" in result.stderr
    assert "BAD_DATA" in result.stderr
    assert sum_qty(cli, dataset_id) == [{"n": 0, "q": None}]


def test_a_header_that_does_not_fit_is_refused(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    result = cli("dataset", "upload", dataset(cli), str(path))
    assert result.exit_code == 1
    assert "does not match the columns" in result.stderr
    assert "--no-header" in result.stderr or "has_header" in result.stderr
