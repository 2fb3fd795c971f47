"""Configuration of the `sql` connector.

`table` or `query`, exactly one, is checked by the connector rather than with oneOf here: a
failed oneOf/anyOf message quotes the whole configuration, password included.

`driver`, `host`, `port`, `database` and `username` say where the password goes ("target"):
with an account they are the account's, and a stream chooses only what to read there.
"""

from typing import Any

DRIVERS = ("postgresql", "mysql", "mariadb", "sqlite")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
CHUNK_ROWS = 65_536

SPEC: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SQL database",
    "type": "object",
    "required": ["driver"],
    "additionalProperties": False,
    "properties": {
        "driver": {"enum": list(DRIVERS), "target": True},
        "host": {
            "type": "string",
            "minLength": 1,
            "target": "host",
            "description": "Server name or address (PostgreSQL, MySQL, MariaDB).",
        },
        "port": {
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "target": "port",
            "description": "Default: 5432 for PostgreSQL, 3306 for MySQL and MariaDB.",
        },
        "database": {
            "type": "string",
            "minLength": 1,
            "target": True,
            "description": "Database name; for SQLite, the path of the file (relative paths "
            "start in the first directory the operator allows).",
        },
        "username": {"type": "string", "minLength": 1, "target": True},
        "password": {"type": "string", "secret": True},
        "table": {
            "type": "string",
            "minLength": 1,
            "description": "Table or view to read, optionally schema-qualified "
            '(`sales.orders`; quote a part that holds a dot: `"my.schema".orders`). '
            "Set this or query.",
        },
        "query": {
            "type": "string",
            "minLength": 1,
            "description": "A SELECT to read instead of a table. It runs as a subquery, "
            "read-only; every column needs a distinct name.",
        },
        "cursor_column": {
            "type": "string",
            "minLength": 1,
            "description": "Read incrementally: each run reads only rows whose value here "
            "is greater than the largest one read before, in its order. Use a column that "
            "only grows (an id, an updated-at timestamp); rows where it is NULL are not read.",
        },
        "chunk_rows": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1_000_000,
            "default": CHUNK_ROWS,
            "description": "Rows per batch read from the database.",
        },
    },
    "allOf": [
        {
            "if": {"properties": {"driver": {"const": "sqlite"}}, "required": ["driver"]},
            "then": {"required": ["database"]},
        },
        {
            "if": {"properties": {"driver": {"enum": list(DEFAULT_PORTS)}}, "required": ["driver"]},
            "then": {"required": ["host", "username"]},
        },
    ],
}
