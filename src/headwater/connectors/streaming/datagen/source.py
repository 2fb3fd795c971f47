"""`datagen`: synthetic rows at a set rate (Feldera's `plan`), for tests and benchmarks.

Config: `{"plan": [{"limit": N, "rate": R, "fields": {"col": {"strategy": "increment" |
"uniform", "range": [a, b]}}}]}`; `rate` is rows per second (unlimited when absent), `limit`
ends the plan (end of input; none means forever). Rows are a pure function of their index, so
the position (rows committed) makes a restart continue exactly where the table stopped.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from headwater.connectors.sdk import Fetched, SourceContext, TerminalError
from headwater.connectors.streaming.datagen.spec import SPEC
from headwater.domain.datasets import Column, ColumnType
from headwater.tabular.types import arrow_schema

EPOCH = datetime(2024, 1, 1)


class DatagenSource:
    @staticmethod
    def spec() -> dict[str, Any]:
        """The JSON Schema of `transport.config` (checked when a pipeline is defined)."""
        return SPEC

    def __init__(self, context: SourceContext) -> None:
        self._context = context
        self._schema = arrow_schema(context.columns)
        plans = context.config.get("plan") or [{}]
        if not isinstance(plans, list) or not all(isinstance(p, dict) for p in plans):
            raise TerminalError("datagen: 'plan' must be a list of objects")
        self._plans = plans
        self._next = 0  # index of the next row to make, over all plans
        self._started = time.monotonic()
        self._made_since_start = 0

    def open(self, position: dict[str, Any] | None) -> None:
        self._next = int((position or {}).get("rows", 0))
        self._restart_clock()

    def _restart_clock(self) -> None:
        self._started = time.monotonic()
        self._made_since_start = 0

    def _plan_at(self, index: int) -> tuple[dict[str, Any], int, int | None]:
        """The plan making row `index`, the index its plan starts at, and its end."""
        start = 0
        for plan in self._plans:
            limit = plan.get("limit")
            end = None if limit is None else start + int(limit)
            if end is None or index < end:
                return plan, start, end
            start = end
        return {}, start, start  # past the last plan

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        plan, start, end = self._plan_at(self._next)
        if end is not None and self._next >= end:
            return Fetched(position={"rows": self._next}, end_of_input=True)
        count = max_records if end is None else min(max_records, end - self._next)
        rate = plan.get("rate")
        if rate:
            allowed = int((time.monotonic() - self._started + timeout) * float(rate))
            count = min(count, max(0, allowed - self._made_since_start))
            if count == 0:
                time.sleep(min(timeout, 1.0 / float(rate)))
                return Fetched(position={"rows": self._next}, idle=True)
        rows = self._make(plan, start, self._next, count)
        self._next += count
        self._made_since_start += count
        done = end is not None and self._next >= end
        return Fetched(
            rows=rows, position={"rows": self._next}, end_of_input=done, nbytes=rows.nbytes
        )

    def _make(self, plan: dict[str, Any], start: int, first: int, count: int) -> pa.Table:
        index = pa.array(range(first - start, first - start + count), pa.int64())
        fields = plan.get("fields") or {}
        arrays = [
            _column(column, index, fields.get(column.name) or {})
            for column in self._context.columns
        ]
        return pa.Table.from_arrays(arrays, schema=self._schema)

    def ack(self, position: dict[str, Any] | None) -> None:
        pass  # nothing to acknowledge: the position alone says what was made

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        self._restart_clock()  # the rate counts from when rows flow again

    def close(self) -> None:
        pass


def _column(column: Column, index: pa.Array, spec: dict[str, Any]) -> pa.Array:
    kind = column.type
    values = index
    bounds = spec.get("range")
    if bounds and len(bounds) == 2:
        low, high = int(bounds[0]), int(bounds[1])
        span = max(high - low, 1)
        if spec.get("strategy") == "uniform":  # spread, but still a function of the index
            values = pc.bit_wise_and(pc.multiply(index, 2654435761), 0x7FFFFFFF)
        values = pc.add(pc.remainder(values, span), low)
    if kind is ColumnType.LONG:
        return values
    if kind is ColumnType.DOUBLE:
        return pc.divide(pc.cast(values, pa.float64()), 4.0)
    if kind is ColumnType.DECIMAL:
        return _decimals(values, *column.decimal_size)
    if kind is ColumnType.BOOLEAN:
        return pc.equal(pc.bit_wise_and(values, 1), 0)
    if kind is ColumnType.STRING:
        return pc.binary_join_element_wise("r", pc.cast(values, pa.string()), "")
    if kind is ColumnType.DATE:
        return pa.array(
            [date(2024, 1, 1) + timedelta(days=int(v) % 3650) for v in values.to_pylist()]
        )
    return pc.add(
        pa.scalar(EPOCH, pa.timestamp("us")),
        pc.cast(pc.multiply(values, 1_000_000), pa.duration("us")),
    )


def _decimals(values: pa.Array, precision: int, scale: int) -> pa.Array:
    """Quarters (value / 4) where the scale has room for them, whole values otherwise; kept
    below the column's largest whole part, so every value fits its DECIMAL(p, s)."""
    parts = 4 if scale >= 2 else 1
    bounded = pc.remainder(values, 10 ** min(precision - scale, 17) * parts)
    exact = pc.divide(pc.cast(bounded, pa.float64()), float(parts))  # a quarter is exact
    return pc.cast(pc.cast(exact, pa.string()), pa.decimal128(precision, scale))
