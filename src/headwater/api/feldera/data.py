"""Data in and out of a pipeline: HTTP ingress, completion tokens, ad-hoc queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from headwater.api.auth import Caller, ServicesDep
from headwater.api.feldera.responses import FelderaCompletionStatus, FelderaIngress
from headwater.api.feldera.statuses import IN_PROGRESS, NOT_DEPLOYED, QUERY_ROWS, STALE_TOKEN
from headwater.api.openapi_bodies import INGRESS_BODY
from headwater.api.openapi_responses import typed
from headwater.domain.errors import InvalidInput
from headwater.domain.pipelines import Format
from headwater.domain.ports.engines import QueryResult

router = APIRouter()


@router.post(
    "/pipelines/{name}/ingress/{table}",
    responses={**typed(FelderaIngress), **NOT_DEPLOYED},
    openapi_extra=INGRESS_BODY,
)
async def ingress(
    name: str,
    table: str,
    request: Request,
    caller: Caller,
    services: ServicesDep,
    format: str = "json",
    update_format: str = "insert_delete",
    array: bool = False,
    force: bool = False,
) -> dict[str, Any]:
    body = await request.body()
    config: dict[str, Any] = {"update_format": update_format, "array": array}
    pushed = await run_in_threadpool(
        services.pipelines.ingress.push, caller, name, table, body, Format(format, config), force
    )
    answer: dict[str, Any] = {"token": pushed.token}
    if pushed.unknown_fields is not None:  # Headwater's: records that landed without fields
        answer["unknown_fields"] = pushed.unknown_fields
    return answer


@router.get(
    "/pipelines/{name}/completion_status",
    response_model=FelderaCompletionStatus,
    responses={**IN_PROGRESS, **STALE_TOKEN},
)
def completion_status(name: str, token: str, caller: Caller, services: ServicesDep) -> JSONResponse:
    done = services.pipelines.ingress.completion(caller, name, token)
    return JSONResponse(
        {"status": done.status, "step": done.version},
        status_code=200 if done.status == "complete" else 202,
    )


@router.get("/pipelines/{name}/query", response_class=Response, responses=QUERY_ROWS)
def query(
    name: str, sql: str, caller: Caller, services: ServicesDep, format: str = "json"
) -> Response:
    if format not in ("json", "text"):
        raise InvalidInput(
            f"format {format!r} is not supported here; use json or text", code="INVALID_QUERY"
        )
    result = services.pipelines.query.execute(caller, name, sql)
    if format == "text":
        # exactly `text/plain`: the feldera client returns text only on that exact type
        return Response(_text(result).encode(), headers={"Content-Type": "text/plain"})
    return StreamingResponse(_ndjson(result), media_type="application/x-ndjson")


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _ndjson(result: QueryResult) -> Iterator[bytes]:
    """One JSON object per row. A decimal is a JSON number with every digit it has
    (`123456789.123456789`), as Feldera writes it; Feldera's client parses numbers as
    `Decimal`, so nothing is lost on the way."""
    if not any(t.upper().startswith("DECIMAL") for t in result.types):
        for row in result.rows:  # one json.dumps a row: twice as fast as one a value
            record = {c: _value(v) for c, v in zip(result.columns, row, strict=True)}
            yield (json.dumps(record, default=str) + "\n").encode()
        return
    keys = [json.dumps(str(c)) + ": " for c in result.columns]
    for row in result.rows:
        fields = ", ".join(key + _json_text(v) for key, v in zip(keys, row, strict=True))
        yield ("{" + fields + "}\n").encode()


def _json_text(value: Any) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return json.dumps(_value(value), default=str)


def _text(result: QueryResult) -> str:
    cells = [[str(c) for c in result.columns]] + [
        ["NULL" if v is None else _cell(v) for v in row] for row in result.rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(result.columns))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    rows = [
        "| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join([line, rows[0], line, *rows[1:], line]) + "\n"


def _cell(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(_value(value))
