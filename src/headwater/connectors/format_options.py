"""The configuration every connector that reads files takes (file, http, sftp): which format,
and its options. The decoding itself is `headwater.tabular.file_formats`."""

from __future__ import annotations

from typing import Any

from headwater.tabular.file_formats import FORMATS

# The spec properties of every connector that reads files in these formats.
FORMAT_PROPERTIES: dict[str, Any] = {
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
}
