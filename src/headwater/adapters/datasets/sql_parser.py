"""DuckDB's own parser, as a service: SQL text to its parse tree (JSON) and back.

The sandbox checks the tree DuckDB itself builds from the text, not another parser's idea of
it, so no difference between two parsers can hide a table or a function from the check. The
tree is DuckDB's `json_serialize_sql`; `json_deserialize_sql` writes SQL back from a tree.

The parser runs on a DuckDB database of its own that holds nothing and may open nothing:
parsing binds no name, so no catalog and no file are needed.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import duckdb

from headwater.domain.errors import InvalidQuery

# Deeper than any query a person writes; bounds the tree the checks walk.
MAX_EXPRESSION_DEPTH = 250


class SqlParser:
    def __init__(self) -> None:
        self._connection = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": 1,
            },
        )
        self._connection.execute(f"SET max_expression_depth = {MAX_EXPRESSION_DEPTH}")
        self._connection.execute("SET enable_external_access = false")
        self._connection.execute("SET lock_configuration = true")
        self._lock = threading.Lock()  # one connection: one statement at a time

    def statements(self, sql: str) -> list[dict[str, Any]]:
        """The parse trees of the SELECT statements in `sql`; InvalidQuery for anything else."""
        with self._lock:
            (text,) = self._connection.execute("SELECT json_serialize_sql($1)", [sql]).fetchone()  # type: ignore[misc]
        try:
            parsed = json.loads(text)
        except RecursionError:
            raise InvalidQuery(_too_deep()) from None
        if parsed.get("error"):
            raise InvalidQuery(_parse_error(parsed))
        statements: list[dict[str, Any]] = parsed["statements"]
        return statements

    def text(self, statement: dict[str, Any]) -> str:
        """SQL for one statement's tree (as `statements` returned it, perhaps changed)."""
        document = json.dumps({"error": False, "statements": [statement]})
        try:
            with self._lock:
                row = self._connection.execute("SELECT json_deserialize_sql($1::JSON)", [document])
                (sql,) = row.fetchone()  # type: ignore[misc]
        except duckdb.SerializationException as exc:
            # DuckDB reads back trees up to 256 JSON levels deep: ~50 nested subqueries.
            if "nesting depth" in str(exc):
                raise InvalidQuery(_too_deep()) from None
            raise
        return str(sql)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _parse_error(parsed: dict[str, Any]) -> str:
    message = str(parsed.get("error_message") or "")
    if parsed.get("error_type") == "not implemented":
        # DuckDB serializes only SELECT statements: anything else (DDL, DML, PRAGMA, COPY,
        # ATTACH, SET, PIVOT as a statement) lands here.
        return "only SELECT queries are allowed"
    if "expression depth" in message:
        return _too_deep()
    return f"the SQL does not parse: {message}"


def _too_deep() -> str:
    return "the query nests too deeply: write it with fewer levels of subqueries or parentheses"
