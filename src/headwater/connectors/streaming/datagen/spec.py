"""`transport.config` of `datagen` (Feldera's shape). Fields Feldera knows and datagen does
not use (`workers`, `seed`, a plan's `worker_chunk_size`, a field's `null_percentage`...) are
accepted, so a Feldera program runs unchanged."""

from typing import Any

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Synthetic rows at a set rate",
    "type": "object",
    "properties": {
        "plan": {
            "type": "array",
            "description": "Generation plans, run one after the other.",
            "items": {
                "type": "object",
                "properties": {
                    "limit": {
                        "type": ["integer", "null"],
                        "minimum": 0,
                        "description": "rows this plan makes; none: forever",
                    },
                    "rate": {
                        "type": ["number", "null"],
                        "minimum": 0,
                        "description": "rows per second; none (or 0): as fast as it can",
                    },
                    "fields": {
                        "type": "object",
                        "description": "per column: how its values are made",
                        "additionalProperties": {
                            "type": "object",
                            "properties": {
                                "strategy": {
                                    "type": "string",
                                    "description": "increment (default) or uniform",
                                },
                                "range": {
                                    "type": "array",
                                    "items": {"type": "number"},
                                    "minItems": 2,
                                    "maxItems": 2,
                                    "description": "[a, b): values from a up to b",
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
