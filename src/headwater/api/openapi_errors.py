"""The OpenAPI document, true about errors: every operation lists the error statuses it can
answer, each with its dialect's error body, and none it never sends.

FastAPI documents a 422 for every operation with parameters (Headwater answers a 400) and no
other error. Here the statuses follow from what an operation is, by one rule for all:

- 400: it takes parameters or a body (a field of the wrong shape, a NUL, too long...);
- 401, 403: it needs a token (none or a bad one; a role or access level too low);
- 404: its path names something (a dataset, a stream, a pipeline...);
- 409: it changes something a token holder owns (POST, PUT, PATCH, DELETE), which the
  current state may refuse;
- 413: it reads a body, which may be larger than the server takes.

A route adds a status no rule derives with `responses=` (Feldera's 503 while a pipeline is
stopped, 410 for a stale token); whatever error status an operation lists gets the dialect's
body: the Domo envelope on `/api`, `/v1` and `/oauth`, Feldera's on `/v0`.
"""

from __future__ import annotations

import copy
import json
from http import HTTPStatus
from typing import Any

WRITES = {"post", "put", "patch", "delete"}
METHODS = WRITES | {"get", "head", "options", "trace"}

WHY = {
    400: "The request is invalid: a parameter, a field of the body, or the body itself.",
    401: "No token, or one that is wrong, expired or revoked.",
    403: "Known to the caller, but not theirs to do (role, access level or token scope).",
    404: "Not found, or not visible to the caller.",
    409: "Valid, but not in the current state (a duplicate, a finished execution...).",
    413: "The body is larger than the server takes (`HEADWATER_LIMITS__...`).",
}

DOMO_ERROR = {
    "title": "DomoError",
    "description": "Every error on the Domo paths: `code` is stable, `toe` identifies the "
    "error in the server's log, `field` names the field at fault where there is one.",
    "type": "object",
    "required": ["status", "statusReason", "code", "message", "toe"],
    "properties": {
        "status": {"type": "integer"},
        "statusReason": {"type": "string"},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "toe": {"type": "string"},
        "field": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}

FELDERA_ERROR = {
    "title": "FelderaError",
    "description": "Every error on `/v0`, as Feldera's server sends it and its client reads "
    "it; a 401 has no `details`.",
    "type": "object",
    "required": ["message", "error_code"],
    "properties": {
        "message": {"type": "string"},
        "error_code": {"type": "string"},
        "details": {},
    },
}


def derived_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = set()
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(400)
    if operation.get("security"):
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if method in WRITES and operation.get("security"):
        statuses.add(409)
    if "requestBody" in operation:
        statuses.add(413)
    return statuses


def document_errors(document: dict[str, Any], schema_name: str, schema: dict[str, Any]) -> None:
    """Rewrite `document` in place: derived error statuses in, 422 out, every error status
    with `schema` (stored as `components.schemas[schema_name]`) as its body."""
    reference = {"$ref": f"#/components/schemas/{schema_name}"}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            wanted = derived_statuses(path, method, operation)
            wanted |= {int(s) for s in responses if s.isdigit() and int(s) >= 400}
            for status in sorted(wanted):
                entry = responses.setdefault(str(status), {})
                entry.setdefault("description", WHY.get(status, HTTPStatus(status).phrase))
                entry.setdefault("content", {"application/json": {"schema": reference}})
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[schema_name] = schema
    _drop_unused(document, ("HTTPValidationError", "ValidationError"))


def merge_mounted(document: dict[str, Any], mounted: dict[str, Any], prefix: str, tag: str) -> None:
    """Add the operations of a mounted sub-application's document under `prefix`, so one
    document describes the whole server. A component named alike but different is renamed."""
    mounted = copy.deepcopy(mounted)
    components = document.setdefault("components", {})
    renamed: dict[str, str] = {}
    for kind, entries in mounted.get("components", {}).items():
        ours = components.setdefault(kind, {})
        for name, value in entries.items():
            if name in ours and ours[name] != value:
                renamed[f"#/components/{kind}/{name}"] = f"#/components/{kind}/{tag}{name}"
    text = json.dumps(mounted)
    for old, new in renamed.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    mounted = json.loads(text)
    for kind, entries in mounted.get("components", {}).items():
        for name, value in entries.items():
            new_name = renamed.get(f"#/components/{kind}/{name}", name).rsplit("/", 1)[-1]
            components[kind][new_name] = value
    for path, item in mounted.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                operation["tags"] = operation.get("tags") or [tag]
                if "operationId" in operation:
                    operation["operationId"] = f"{tag.lower()}_{operation['operationId']}"
        document.setdefault("paths", {})[prefix + path] = item


def _drop_unused(document: dict[str, Any], names: tuple[str, ...]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for name in names:
        if name not in schemas:
            continue
        others = {k: v for k, v in document.items() if k != "components"}
        others["schemas"] = {k: v for k, v in schemas.items() if k != name}
        if json.dumps(f"#/components/schemas/{name}") not in json.dumps(others):
            del schemas[name]
