"""Request bodies that routes read by hand (streamed data, optional JSON, forms), described for
the OpenAPI document: FastAPI sees only the bodies it decodes itself. Pass one as a route's
`openapi_extra`."""

from __future__ import annotations

from typing import Any

# An upload part or a CSV import: headerless RFC 4180 CSV, plain or gzip, streamed to disk.
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "description": "Headerless CSV rows (RFC 4180), plain or gzip-compressed.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

# `{}`, a JSON object, or no body at all.
OPTIONAL_JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}

# OAuth's client-credentials form (RFC 6749 §4.4); the same fields may come as query parameters.
TOKEN_FORM: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        name: {"type": "string"}
                        for name in ("grant_type", "scope", "client_id", "client_secret")
                    },
                }
            }
        },
    }
}

# Records pushed into a pipeline table, in the `format` the query names.
INGRESS_BODY: dict[str, Any] = {
    "requestBody": {
        "description": "Records as JSON (`format=json`) or CSV (`format=csv`).",
        "content": {
            "application/json": {"schema": {}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}
