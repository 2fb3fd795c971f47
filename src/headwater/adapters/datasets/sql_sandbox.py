"""The first wall of the SQL sandbox: what a query may say, checked on its syntax tree.

One read-only query (SELECT, set operations, WITH ... SELECT) whose tables are the dataset
(`table`, its id or its name) or its own CTEs; no table functions, no qualified names, and
none of the functions that reveal the machine. The second wall is DuckDB's own lock-down (see
`duckdb_engine`): even a query that slipped past this one could open no file but the dataset's.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from headwater.domain.errors import InvalidQuery

# Scalar functions that read the environment, settings or files, or run other SQL.
DENIED_FUNCTIONS = frozenset(
    {
        "getenv",
        "current_setting",
        "read_text",
        "read_blob",
        "query",
        "query_table",
        "sql_auto_complete",
        "which_secret",
        "current_database",
        "current_schema",
        # raises with a message the query builds from row values: an oracle, and never needed
        "error",
    }
)
PREPARED_QUERIES = 512  # checked and rewritten queries remembered (see `_prepared`)
DENIED_PREFIXES = ("duckdb_", "pragma_", "read_", "parquet_", "sqlite_", "postgres_", "mysql_")


def prepare_query(sql: str, table_names: set[str], view_name: str) -> str:
    """The query, checked and rewritten to read `view_name` wherever it named the dataset."""
    return _prepared(sql, frozenset(table_names), view_name)


@functools.lru_cache(maxsize=PREPARED_QUERIES)
def _prepared(sql: str, table_names: frozenset[str], view_name: str) -> str:
    # Dashboards send the same SQL again and again; parsing it is ~1 ms. The answer depends
    # only on these arguments, and a refused query raises, which is never cached.
    return prepare_query_over(sql, dict.fromkeys(table_names, view_name), ONE_DATASET)


ONE_DATASET = "this dataset (call it `table`)"


def prepare_query_over(sql: str, relations: dict[str, str], readable: str) -> str:
    """The query, checked and rewritten so each name in `relations` reads its view; `readable`
    says in errors what the query may read."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        raise InvalidQuery(f"the SQL does not parse: {first}") from None
    if len(statements) != 1:
        raise InvalidQuery(f"send one statement; this has {len(statements)}")
    (tree,) = statements
    if not isinstance(tree, exp.Query):
        kind = tree.key.upper()
        raise InvalidQuery(f"only SELECT queries are allowed, not {kind}")
    for node in tree.walk():
        if isinstance(node, exp.DML | exp.DDL | exp.Command | exp.Pragma | exp.Set):
            raise InvalidQuery(f"only SELECT queries are allowed, not {node.key.upper()}")
    _check_functions(tree)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    wanted = {name.lower(): view for name, view in relations.items()}
    for table in list(tree.find_all(exp.Table)):
        _rewrite_table(table, ctes, wanted, readable)
    return tree.sql(dialect="duckdb")


def _check_functions(tree: Any) -> None:
    for function in tree.find_all(exp.Func):
        name = function.name if isinstance(function, exp.Anonymous) else function.sql_name()
        lowered = name.lower()
        if lowered in DENIED_FUNCTIONS or lowered.startswith(DENIED_PREFIXES):
            raise InvalidQuery(f"the function {name} is not available in queries")


def _rewrite_table(table: exp.Table, ctes: set[str], wanted: dict[str, str], readable: str) -> None:
    if not isinstance(table.this, exp.Identifier):
        raise InvalidQuery(f"table functions are not available: a query can read only {readable}")
    if table.args.get("db") or table.args.get("catalog"):
        raise InvalidQuery(
            f"unknown table {table.sql(dialect='duckdb')}: a query can read only {readable}"
        )
    name = table.name.lower()
    if name in ctes:
        return
    if name not in wanted:
        raise InvalidQuery(f"unknown table {table.name!r}: a query can read only {readable}")
    view_name = wanted[name]
    if not table.alias:
        # Keep `table.column` references working after the rename.
        table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name, quoted=True)))
    table.set("this", exp.to_identifier(view_name, quoted=True))
