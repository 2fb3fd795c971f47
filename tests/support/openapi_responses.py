"""Checks an answer against the OpenAPI document: the response schema the document declares
for its path, method and status must accept its JSON body (issue 17, item 7).

The API suite's test client runs every 2xx JSON answer it receives through this
(tests/api/conftest.py), so the document cannot drift from what the handlers send: a field
added without its model, a type or a null the model does not allow, or a new route without a
model fails the test that received it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def untyped(schema: dict[str, Any]) -> bool:
    """A schema that says nothing of the body's fields: `{}`, any object, a list of those."""
    if not schema:
        return True
    if schema.get("type") == "array":
        return untyped(schema.get("items") or {})
    if schema.get("type", "object") != "object":
        return False  # a string, a number...: typed
    keys = set(schema) - {"title", "description", "type", "additionalProperties"}
    return not keys and schema.get("additionalProperties", True) in (True, {})


@dataclass
class ResponseSchemas:
    """The document's success schemas, each compiled once (a test client sees thousands)."""

    document: dict[str, Any]
    _templates: list[tuple[int, str, re.Pattern[str], set[str]]] = field(default_factory=list)
    _validators: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
            # Fewer parameters first: `/streams/search` is chosen over `/streams/{stream_id}`,
            # as the router chooses it.
            self._templates.append((path.count("{"), path, pattern, set(item) & METHODS))
        self._templates.sort(key=lambda t: t[0])

    def template(self, method: str, path: str) -> str | None:
        for _, template, pattern, methods in self._templates:
            if method.lower() in methods and pattern.match(path):
                return template
        return None

    def problems(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with a JSON `body` answered with a 2xx `status`; [] if nothing, or if
        the path is not in the document (an alias it leaves out, `/openapi.json` itself)."""
        template = self.template(method, path)
        if template is None:
            return []
        where = f"{method.upper()} {template} {status}"
        operation = self.document["paths"][template][method.lower()]
        response = operation["responses"].get(str(status))
        if response is None:
            return [f"{where}: the document lists no {status} for this operation"]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None or untyped(schema):
            return [f"{where}: the document declares no schema for this JSON body (add a model)"]
        key = (template, method.lower(), str(status))
        if key not in self._validators:
            rooted = {**schema, "components": self.document.get("components", {})}
            self._validators[key] = jsonschema_rs.Draft202012Validator(rooted)
        return [
            f"{where}: {error.message} at {'/'.join(map(str, error.instance_path)) or 'the top'}"
            for error in self._validators[key].iter_errors(body)
        ][:5]


def json_body(content_type: str, content: bytes) -> tuple[bool, Any]:
    """(True, the body) for a JSON answer, (False, None) for anything else (CSV, NDJSON,
    text, an empty 204)."""
    if not content or content_type.split(";")[0].strip() != "application/json":
        return False, None
    return True, json.loads(content)
