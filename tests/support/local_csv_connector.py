"""A small connector that reads a local CSV file (with a header) in batches, for tests of the
execution machinery. It can also be told to fail, to stall between batches, or to be slow."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from headwater.connectors.sdk import Checkpoint, TerminalError, TransientError
from headwater.domain.datasets import Column
from headwater.tabular.types import columns_from_arrow


class LocalCsvConnector:
    name = "localcsv"

    def __init__(self, failures: list[str] | None = None) -> None:
        # Each read pops one scripted failure ("transient" or "terminal") before reading.
        self.failures = failures if failures is not None else []
        self.reads = 0
        self.yielded_at: list[float] = []  # monotonic time of each batch handed over

    def spec(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["path"],
            "properties": {
                "path": {"type": "string"},
                "batch_rows": {"type": "integer"},
                "pause_seconds": {"type": "number"},
            },
        }

    def check(self, config: Mapping[str, Any]) -> None:
        open(config["path"], "rb").close()

    def discover(self, config: Mapping[str, Any]) -> list[Column]:
        return columns_from_arrow(pacsv.read_csv(config["path"]).schema)

    def read(
        self, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> Iterator[pa.RecordBatch | Checkpoint]:
        self.reads += 1
        if self.failures:
            kind = self.failures.pop(0)
            if kind == "transient":
                raise TransientError("source answered 503 Service Unavailable")
            raise TerminalError("source refused the credentials (401 Unauthorized)")
        table = pacsv.read_csv(str(config["path"]))
        pause = float(config.get("pause_seconds", 0))
        for batch in table.to_batches(max_chunksize=int(config.get("batch_rows", 1000))):
            self.yielded_at.append(time.monotonic())
            yield batch
            if pause:
                time.sleep(pause)
        yield Checkpoint({"rows": table.num_rows})
