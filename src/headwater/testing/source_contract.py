"""The streaming source contract, checked the way a pipeline's connector worker uses a source.

`check_source(source_class, config, columns)`:

1. `spec()` is a valid JSON Schema of an object, and `config` satisfies it (the check a
   pipeline's definition gets: a fault names `transport.config.<field>`);
2. the class, called with a `SourceContext`, makes the source; `open(None)` starts it;
3. `fetch()` returns `Fetched`, again and again, until the end of input, `max_records`
   records or `seconds`: payloads are bytes, rows (for a source that makes them) have the
   table's columns, every position is a JSON object, counts are not negative;
4. `ack(position)`, `pause()` (None, or what was on its way, as a `Fetched`), `resume()`
   and `close()` do not fail;
5. with `restart=True` (the default) and a source that reached its end of input: a fresh
   source opened at the last position reads nothing again (the position really marks what
   was read), and ends.

Each failure is an AssertionError that says which step and why; an error the source raises
(`TerminalError`, `TransientError`) goes through as it is.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from headwater.connectors.config import check_config
from headwater.connectors.sdk import Fetched, Source, SourceContext, SourceFactory
from headwater.domain.datasets import Column
from headwater.domain.errors import HeadwaterError
from headwater.tabular.types import arrow_schema

FETCH_SECONDS = 0.2  # what the worker gives one fetch when its commit interval is short


@dataclass
class SourceResult:
    payloads: list[bytes] = field(default_factory=list)  # in the order fetched
    rows: pa.Table | None = None  # what a source that makes rows made (datagen)
    positions: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    end_of_input: bool = False

    @property
    def records(self) -> int:
        return len(self.payloads) + (self.rows.num_rows if self.rows is not None else 0)

    @property
    def final_position(self) -> dict[str, Any] | None:
        return self.positions[-1] if self.positions else None


def check_source(
    source_class: SourceFactory,
    config: Mapping[str, Any],
    columns: Sequence[Column],
    *,
    allowed_dirs: tuple[str, ...] = (),
    max_records: int = 100_000,
    seconds: float = 10.0,
    restart: bool = True,
) -> SourceResult:
    spec = source_class.spec()
    try:
        Draft202012Validator.check_schema(spec)
    except SchemaError as exc:
        raise AssertionError(f"spec() is not a valid JSON Schema: {exc.message}") from None
    assert spec.get("type") == "object", "spec() must describe an object"
    try:
        check_config(spec, config, "transport.config")
    except HeadwaterError as exc:
        raise AssertionError(f"the config does not satisfy spec(): {exc.message}") from None

    context = SourceContext(
        pipeline="contract",
        table="t",
        connector="c",
        config=dict(config),
        columns=tuple(columns),
        table_id=str(uuid.uuid4()),
        allowed_dirs=allowed_dirs,
    )
    result = SourceResult()
    source = _made(source_class, context)
    try:
        source.open(None)
        _read(source, context, result, max_records, seconds)
        source.ack(result.final_position)
        on_its_way = source.pause()
        if on_its_way is not None:
            _take(on_its_way, context, result)
        source.resume()
    finally:
        source.close()

    if restart and result.end_of_input:
        again = SourceResult()
        fresh = _made(source_class, context)
        try:
            fresh.open(result.final_position)
            _read(fresh, context, again, max_records, seconds)
        finally:
            fresh.close()
        assert again.records == 0, (
            f"opened at the last position, the source read {again.records} records again"
        )
        assert again.end_of_input, "opened at the last position, the source did not end again"
    return result


def _made(source_class: SourceFactory, context: SourceContext) -> Source:
    source = source_class(context)
    for step in ("open", "fetch", "ack", "pause", "resume", "close"):
        assert callable(getattr(source, step, None)), f"the source has no {step}()"
    return source


def _read(
    source: Source, context: SourceContext, result: SourceResult, max_records: int, seconds: float
) -> None:
    """Fetch as the worker does, until the end of input, `max_records` or `seconds`."""
    deadline = time.monotonic() + seconds
    while result.records < max_records and time.monotonic() < deadline:
        fetched = source.fetch(max_records - result.records, FETCH_SECONDS)
        _take(fetched, context, result)
        if fetched.end_of_input:
            result.end_of_input = True
            return


def _take(fetched: Any, context: SourceContext, result: SourceResult) -> None:
    assert isinstance(fetched, Fetched), f"fetch() must return Fetched, not {fetched!r}"
    assert fetched.nbytes >= 0, f"Fetched.nbytes is negative: {fetched.nbytes}"
    assert fetched.duplicates >= 0, f"Fetched.duplicates is negative: {fetched.duplicates}"
    for payload in fetched.payloads:
        assert isinstance(payload, bytes), f"a payload must be bytes, not {type(payload).__name__}"
    result.payloads.extend(fetched.payloads)
    if fetched.rows is not None:
        result.rows = _appended(result.rows, fetched.rows, context.columns)
    if fetched.position is not None:
        _assert_position(fetched.position)
        result.positions.append(dict(fetched.position))
    result.notices.extend(fetched.notices)


def _appended(rows: pa.Table | None, more: Any, columns: Sequence[Column]) -> pa.Table:
    assert isinstance(more, pa.Table), f"Fetched.rows must be a pyarrow Table, not {more!r}"
    schema = arrow_schema(tuple(columns))
    assert more.schema.names == schema.names, (
        f"Fetched.rows has columns {more.schema.names}, the table {schema.names}"
    )
    try:
        more = more.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise AssertionError(f"Fetched.rows does not fit the table's columns: {exc}") from None
    return more if rows is None else pa.concat_tables([rows, more])


def _assert_position(position: Any) -> None:
    assert isinstance(position, Mapping), f"a position must be a mapping, not {position!r}"
    try:
        json.dumps(position)
    except TypeError as exc:
        raise AssertionError(f"a position must be JSON (it is committed): {exc}") from None
