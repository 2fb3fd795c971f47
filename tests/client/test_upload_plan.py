"""Cutting a CSV file into parts: on record boundaries, even inside quoted newlines."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from headwater.client._upload_plan import plan, read_part, restate_line


def records(path: Path, part_size: int, header: bool = True) -> list[list[list[str]]]:
    cut = plan(path, part_size, header)
    parts = []
    for span in cut.parts:
        body = b"".join(data for data, _ in read_part(path, span, 1))
        parts.append(list(csv.reader(io.StringIO(gzip.decompress(body).decode()))))
    return parts


def test_parts_end_on_records_even_with_quoted_newlines(tmp_path: Path) -> None:
    rows = [[f"r{i}", f'line one\nline "two" of {i}' if i % 3 == 0 else str(i)] for i in range(500)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([["name", "note"], *rows])
    path = tmp_path / "data.csv"
    path.write_text(text.getvalue())

    cut = plan(path, 1000, True)
    assert cut.header == ["name", "note"]
    assert len(cut.parts) > 5
    assert [p.part_id for p in cut.parts] == list(range(1, len(cut.parts) + 1))
    assert sum(p.length for p in cut.parts) == path.stat().st_size - len("name,note\n")
    parts = records(path, 1000)
    assert [row for part in parts for row in part] == rows  # nothing lost, nothing split
    # every part starts on the file line its first record is on
    physical = path.read_bytes()
    for span in cut.parts:
        assert physical[: span.offset].count(b"\n") + 1 == span.first_line


def test_a_bom_and_no_header_and_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,1\nb,2")  # no newline at the end either
    assert records(path, 1 << 20, header=False) == [[["a", "1"], ["b", "2"]]]
    empty = tmp_path / "empty.csv"
    empty.write_text("x,y\n")
    cut = plan(empty, 100, True)
    assert cut.header == ["x", "y"]
    assert [(p.length, p.first_line) for p in cut.parts] == [(0, 2)]


def test_server_lines_are_restated_as_lines_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("h\n" + "".join(f"{i}\n" for i in range(100)))
    third = plan(path, 50, True).parts[2]
    message = "line 2, column \"n\": 'x' is not a LONG"
    assert restate_line(message, third, path) == (
        f"data.csv line {third.first_line + 1}, column \"n\": 'x' is not a LONG"
    )
    assert restate_line("odd", third, path) == "data.csv, part 3: odd"
