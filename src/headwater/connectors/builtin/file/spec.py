"""Configuration of the `file` connector."""

from typing import Any

from headwater.connectors.formats import FORMATS

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Files on the server",
    "type": "object",
    "required": ["path"],
    "additionalProperties": False,
    "properties": {
        "path": {
            "type": "string",
            "minLength": 1,
            "description": "A file, a directory (every file in it) or a glob (`*`, `**`), "
            "inside a directory the operator allows (setting HEADWATER_FILE_ROOTS).",
        },
        "format": {"enum": ["auto", *FORMATS], "default": "auto"},
        "header": {
            "type": "boolean",
            "default": True,
            "description": "CSV/TSV: the first line names the columns.",
        },
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
        "records_path": {
            "type": "string",
            "description": "JSON: dotted path to the list of records (`data.items`).",
        },
        "incremental": {
            "type": "boolean",
            "default": False,
            "description": "Read only files modified since the last successful run.",
        },
    },
}
