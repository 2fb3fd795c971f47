"""Statuses some `/v0` operations answer beyond what every operation of their kind does
(`api.openapi_errors` derives those), declared on the routes for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from headwater.api.feldera.responses import FelderaCompletionStatus, FelderaPipeline

Responses = dict[int | str, dict[str, Any]]

NOT_DEPLOYED: Responses = {
    503: {"description": "The pipeline is not deployed (or paused): start or resume it."}
}
STALE_TOKEN: Responses = {
    410: {"description": "The token comes from an earlier run, or names an unknown endpoint."}
}
IN_PROGRESS: Responses = {
    202: {
        "description": "Not complete yet: `{status: inprogress, step}`.",
        "model": FelderaCompletionStatus,
    }
}
CREATED: Responses = {
    201: {"description": "Created: no pipeline had this name.", "model": FelderaPipeline}
}
# An ad-hoc query's rows: one JSON object a line (`format=json`), or a text table.
QUERY_ROWS: Responses = {
    200: {
        "description": "The rows: NDJSON (`format=json`) or a text table (`format=text`).",
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}
