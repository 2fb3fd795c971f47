"""CSV files for upload tests, generated on the spot (tens of MB in about a second)."""

from __future__ import annotations

from pathlib import Path

COLUMNS = ["sku:STRING", "qty:LONG", "price:DOUBLE", "at:DATETIME", "note:STRING"]


def write_orders(path: Path, rows: int, header: bool = True) -> int:
    """`rows` orders, some with quoted commas and newlines; returns the sum of qty."""
    with path.open("w", newline="") as sink:
        if header:
            sink.write("sku,qty,price,at,note\n")
        block = 10_000
        for start in range(0, rows, block):
            sink.write(
                "".join(
                    f"sku-{i % 977},{i},{i % 1000 / 8},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d} "
                    f"{i % 24:02d}:{i % 60:02d}:00,"
                    + ('"a note, with a comma\nand a newline"' if i % 101 == 0 else f"n{i % 7}")
                    + "\n"
                    for i in range(start, min(start + block, rows))
                )
            )
    return rows * (rows - 1) // 2
