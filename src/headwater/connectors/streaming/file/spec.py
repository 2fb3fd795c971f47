"""`transport.config` of `file_input` (Feldera's shape; its other fields, such as
`buffer_size_bytes`, are accepted and not used). Whether `path` lies in an allowed directory is
checked when the connector starts, where the operator's setting is known."""

from typing import Any

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "A file on the server, read line by line",
    "type": "object",
    "required": ["path"],
    "properties": {
        "path": {
            "type": "string",
            "minLength": 1,
            "description": "The file, inside a directory the operator allows "
            "(HEADWATER_FILE_ROOTS).",
        },
        "follow": {
            "type": "boolean",
            "default": False,
            "description": "Keep reading as the file grows (and after it is rotated); "
            "otherwise its end is the end of input.",
        },
    },
}
