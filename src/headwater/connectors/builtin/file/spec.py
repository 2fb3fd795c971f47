"""Configuration of the `file` connector."""

from typing import Any

from headwater.connectors.format_options import FORMAT_PROPERTIES
from headwater.connectors.modified_since import INCREMENTAL_PROPERTY

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
        **FORMAT_PROPERTIES,
        "incremental": INCREMENTAL_PROPERTY,
    },
}
