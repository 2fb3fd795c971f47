"""Configuration of the `airbyte` connector."""

from typing import Any

# A plain PyPI requirement: a name, optional extras, optional version specifiers. No URLs,
# paths, markers or pip options (`_venv.parse_requirement` says which part is wrong).
PACKAGE_PATTERN = (
    r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?"
    r"( *\[ *[A-Za-z0-9._-]+( *, *[A-Za-z0-9._-]+)* *\])?"
    r"( *(===|==|!=|~=|<=|>=|<|>) *[A-Za-z0-9.*+!_-]+"
    r"( *, *(===|==|!=|~=|<=|>=|<|>) *[A-Za-z0-9.*+!_-]+)*)?$"
)

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Airbyte source (Python, from PyPI)",
    "type": "object",
    "required": ["package", "stream"],
    "additionalProperties": False,
    "properties": {
        "package": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "pattern": PACKAGE_PATTERN,
            "target": True,  # the code that receives source_config: the account's choice
            "description": "The source's PyPI requirement, e.g. `airbyte-source-faker` or "
            "`airbyte-source-faker==7.2.1`. It runs from its own virtual environment, which "
            "the operator installs (or lets Headwater install: option `allow_install`).",
        },
        "stream": {
            "type": "string",
            "minLength": 1,
            "description": "The source stream this dataset receives (one of the streams the "
            "source's catalog lists).",
        },
        "source_config": {
            "type": "object",
            "default": {},
            "secret": True,
            "description": "The source's own configuration (its spec), checked by the source.",
        },
        "sync_mode": {
            "enum": ["auto", "full_refresh", "incremental"],
            "default": "auto",
            "description": "`auto`: incremental when the stream supports it, else full refresh.",
        },
    },
}
