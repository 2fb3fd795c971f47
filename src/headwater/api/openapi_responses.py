"""The OpenAPI document, true about success bodies: each route names its response model with
`responses=typed(Model)`, which documents the body without changing how it is sent.

Why not `response_model=Model`: FastAPI would validate each returned dict against the model and
serialise it again, dropping undeclared fields, turning a `Decimal` into a float and paying a
pass over every row. Handlers keep their return annotation (`dict[str, Any]`, serialised as
before, to the same bytes) or return a `Response` themselves, and the model only documents.

FastAPI merges such a model into the schema it drew from the return annotation (a `$ref`
beside `"type": "object", "additionalProperties": true`); `document_responses` keeps only the
model's part, so the document says exactly what the model says.
"""

from __future__ import annotations

from typing import Any

from headwater.api.openapi_errors import METHODS

Responses = dict[int | str, dict[str, Any]]

# A CSV export: text, streamed (with `response_class=StreamingResponse`, so the document
# lists no JSON body beside it).
CSV_ANSWER: Responses = {
    200: {
        "description": 'RFC 4180 CSV: null is an empty field, an empty string `""`.',
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def typed(model: Any, status: int = 200, description: str | None = None) -> Responses:
    """The `responses=` of a route whose `status` answer is `model` (a model class, or
    `list[Model]`)."""
    entry: dict[str, Any] = {"model": model}
    if description is not None:
        entry["description"] = description
    return {status: entry}


def document_responses(document: dict[str, Any]) -> None:
    """Rewrite `document` in place: a 2xx JSON schema that holds a model's `$ref` keeps only
    that (for a list, the list of it)."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                media = response.get("content", {}).get("application/json")
                if media and "schema" in media:
                    media["schema"] = _model_part(media["schema"])


def _model_part(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    if "anyOf" in schema and all("$ref" in s for s in schema["anyOf"]):
        return {"anyOf": schema["anyOf"]}
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, dict) and "$ref" in items:
        return {"type": "array", "items": {"$ref": items["$ref"]}}
    return schema
