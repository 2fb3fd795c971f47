"""The connector contract, checked the way a run uses a connector.

`check_connector(connector, config)`:

1. `spec()` is a valid JSON Schema of an object, and `config` satisfies it (after the same
   coercion a stream's string values get);
2. `check(config)` passes;
3. `discover(config)` returns columns with unique names;
4. `read(config, {})` yields only record batches, `Checkpoint`s and `Notice`s, every batch
   fits the discovered columns (by name, castable), every state is a JSON object;
5. with `incremental=True`, reading again from the last state yields no rows (the state
   really marks what was read), and a connector that yields rows must checkpoint.

Each failure is an AssertionError that says which step and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from headwater.connectors.config import prepare_config
from headwater.connectors.sdk import Checkpoint, Connector, Notice
from headwater.domain.datasets import Column
from headwater.domain.errors import HeadwaterError
from headwater.tabular.conform import conform
from headwater.tabular.types import arrow_schema


@dataclass
class ContractResult:
    columns: list[Column]
    table: pa.Table
    states: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}


def read_all(
    connector: Connector, config: Mapping[str, Any], state: Mapping[str, Any] | None = None
) -> tuple[pa.Table | None, list[dict[str, Any]]]:
    """Everything one read yields: its batches as one table (None if none), and its states.
    `config` is coerced and checked against the spec first, as a run does."""
    batches, states = _read(connector, prepare_config(connector.spec(), config), state or {})
    if not batches:
        return None, states
    return pa.Table.from_batches(batches).combine_chunks(), states


def check_connector(
    connector: Connector, config: Mapping[str, Any], *, incremental: bool = False
) -> ContractResult:
    spec = connector.spec()
    try:
        Draft202012Validator.check_schema(spec)
    except SchemaError as exc:
        raise AssertionError(f"spec() is not a valid JSON Schema: {exc.message}") from None
    assert spec.get("type") == "object", "spec() must describe an object"
    try:
        prepared = prepare_config(spec, config)
    except HeadwaterError as exc:
        raise AssertionError(f"the config does not satisfy spec(): {exc.message}") from None

    connector.check(prepared)

    columns = connector.discover(prepared)
    assert columns, "discover() returned no columns"
    names = [c.name.lower() for c in columns]
    assert len(set(names)) == len(names), f"discover() repeats a column name: {names}"

    read, states = _read(connector, prepared, {})
    try:
        batches = [conform(batch, columns) for batch in read]
    except HeadwaterError as exc:
        raise AssertionError(f"read() yielded a batch unlike discover(): {exc.message}") from None
    table = (
        pa.Table.from_batches(batches)
        if batches
        else pa.Table.from_batches([], schema=arrow_schema(columns))
    )
    if incremental:
        if table.num_rows:
            assert states, "an incremental read yielded rows but no Checkpoint"
        again, _ = read_all(connector, prepared, states[-1] if states else {})
        rows = 0 if again is None else again.num_rows
        assert rows == 0, f"reading again from the last state yielded {rows} rows, not 0"
    return ContractResult(columns, table, states)


def _read(
    connector: Connector, config: Mapping[str, Any], state: Mapping[str, Any]
) -> tuple[list[pa.RecordBatch], list[dict[str, Any]]]:
    """The batches and the (checked) states of one read."""
    batches: list[pa.RecordBatch] = []
    states: list[dict[str, Any]] = []
    for item in connector.read(config, dict(state)):
        if isinstance(item, Checkpoint):
            _assert_state(item.state)
            states.append(dict(item.state))
        elif isinstance(item, Notice):
            assert item.message, "a Notice needs a message"
        else:
            assert isinstance(item, pa.RecordBatch), (
                f"read() must yield RecordBatch, Checkpoint or Notice, not {type(item).__name__}"
            )
            batches.append(item)
    return batches, states


def _assert_state(state: Any) -> None:
    assert isinstance(state, Mapping), f"a Checkpoint's state must be a mapping, not {state!r}"
    try:
        json.dumps(state)
    except TypeError as exc:
        raise AssertionError(f"a Checkpoint's state must be JSON: {exc}") from None
