"""The first wall of the SQL sandbox: what a query may say, checked on DuckDB's own parse tree.

One read-only query (SELECT, set operations, WITH ... SELECT). Every table it names must be,
in the scope where it is named, one of the query's own CTEs or one of the relations it may
read (the dataset as `table`, its id or its name; a pipeline's tables and views). Scopes are
resolved as DuckDB resolves them: a CTE is visible in the body of its WITH and in the CTEs
after it (and in its own body when recursive), and nowhere else, so a CTE defined in one
subquery does not make the same name readable in another. Every function called is on the
allow-list of `sql_functions`; nothing else is callable. The relations are renamed to the
views the engine creates, and the SQL DuckDB runs is written back from the checked tree; it
is then parsed and checked once more, so what runs is exactly what passed.

The second wall is the engine's (`duckdb_engine`, `query_databases`): the database a query
runs in may open only files whose every row the caller may read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from headwater.adapters.datasets import sql_functions
from headwater.adapters.datasets.sql_parser import SqlParser
from headwater.domain.errors import InvalidQuery

PREPARED_QUERIES = 512  # checked and rewritten queries remembered (see `prepare`)
ONE_DATASET = "this dataset (call it `table`)"

QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
TABLE_REFS = frozenset(
    {"BASE_TABLE", "JOIN", "SUBQUERY", "TABLE_FUNCTION", "EXPRESSION_LIST", "EMPTY", "PIVOT"}
)
EXPRESSIONS = frozenset(
    {
        "BETWEEN", "CASE", "CAST", "COLLATE", "COLUMN_REF", "COMPARISON", "CONJUNCTION",
        "CONSTANT", "FUNCTION", "LAMBDA", "LAMBDA_REF", "OPERATOR", "POSITIONAL_REFERENCE",
        "STAR", "SUBQUERY", "TYPE", "WINDOW",
    }
)  # fmt: skip
# Dicts of the tree that carry a "type" but are neither query nodes, table references nor
# expressions: result modifiers and sort orders. Any other "type" is refused.
OTHER_TYPED = frozenset(
    {
        "ORDER_MODIFIER", "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER", "DISTINCT_MODIFIER",
        "ORDER_DEFAULT", "ORDER_ASCENDING", "ORDER_DESCENDING", "ASCENDING", "DESCENDING",
    }
)  # fmt: skip


@dataclass(frozen=True)
class _Visit:
    node: Any
    scope: frozenset[str]  # CTE names visible here, lower case
    table_function: bool = False  # a FUNCTION in FROM position
    within: str | None = None  # the multiplying function whose arguments this is inside


class SqlSandbox:
    """Checks and rewrites queries; remembers the last `PREPARED_QUERIES` answers."""

    def __init__(self) -> None:
        self._parser = SqlParser()
        # Dashboards send the same SQL again and again. The answer depends only on the
        # arguments, and a refused query raises, which is never cached.
        self._prepared = functools.lru_cache(maxsize=PREPARED_QUERIES)(self._prepare)

    def prepare(self, sql: str, relations: Mapping[str, str], readable: str = ONE_DATASET) -> str:
        """The query, checked, with each relation name (any case) reading its view;
        `readable` says in errors what the query may read."""
        wanted = tuple(sorted((name.lower(), view) for name, view in relations.items()))
        return self._prepared(sql, wanted, readable)

    def close(self) -> None:
        self._parser.close()

    def _prepare(self, sql: str, relations: tuple[tuple[str, str], ...], readable: str) -> str:
        statement = self._one_statement(sql)
        _check(statement, dict(relations), readable, rewrite=True)
        runnable = self._parser.text(statement)
        # Once more on the text that will run, now naming only the views.
        views = {view.lower(): view for _, view in relations}
        _check(self._one_statement(runnable), views, readable, rewrite=False)
        return runnable

    def _one_statement(self, sql: str) -> dict[str, Any]:
        if not sql.strip():
            raise InvalidQuery("the SQL is empty")
        statements = self._parser.statements(quote_table_keyword(sql))
        if len(statements) != 1:
            raise InvalidQuery(f"send one statement; this has {len(statements)}")
        return statements[0]


def quote_table_keyword(sql: str) -> str:
    """`FROM table`, as Domo's API writes it, with `table` quoted: to DuckDB's parser TABLE
    is a keyword. Only the keyword is quoted, never the word inside a string, a quoted name
    or a comment (DuckDB's own tokenizer tells them apart)."""
    if "table" not in sql.lower():
        return sql
    pieces = []
    last = 0
    for position, kind in duckdb.tokenize(sql):
        if kind != duckdb.token_type.keyword:
            continue
        word = _WORD.match(sql, position)
        if word is not None and word.group().lower() == "table":
            pieces += [sql[last:position], '"', word.group(), '"']
            last = word.end()
    return "".join(pieces) + sql[last:]


_WORD = re.compile(r"[A-Za-z_]+")


def _check(
    statement: dict[str, Any], relations: dict[str, str], readable: str, *, rewrite: bool
) -> None:
    """Walks every dict and list of the tree (an explicit stack: no recursion limit to hit)."""
    stack = [_Visit(statement, frozenset())]
    while stack:
        visit = stack.pop()
        node = visit.node
        if isinstance(node, list):
            stack.extend(_Visit(item, visit.scope, within=visit.within) for item in node)
        elif isinstance(node, dict):
            stack.extend(_check_node(node, visit, relations, readable, rewrite))


def _check_node(
    node: dict[str, Any], visit: _Visit, relations: dict[str, str], readable: str, rewrite: bool
) -> Iterator[_Visit]:
    scope = visit.scope
    within = visit.within
    kind = node.get("type")
    if not isinstance(kind, str):
        kind = None  # a LogicalType (`{"id": ...}`) in a constant or a cast, not a node kind
    if "class" in node:
        within = _check_expression(node, visit.table_function, within)
    elif "cte_map" in node:
        if kind not in QUERY_NODES:
            raise InvalidQuery(f"{_words(kind)} is not supported in queries")
        entries = node["cte_map"].get("map") or []
        names = [str(entry["key"]).lower() for entry in entries]
        for index, entry in enumerate(entries):
            # A CTE sees the CTEs before it (a recursive one, itself: see below).
            yield _Visit(entry["value"], scope | frozenset(names[:index]), within=within)
        scope = scope | frozenset(names)
        if kind == "RECURSIVE_CTE_NODE":
            # `anchor UNION [ALL] step`: DuckDB binds the CTE's own name in the step (`right`)
            # only; in the anchor the name is whatever it is outside, the catalog included.
            itself = scope | {str(node.get("cte_name", "")).lower()}
            yield from (
                _Visit(v, itself if k == "right" else scope, within=within)
                for k, v in node.items()
                if k != "cte_map"
            )
            return
        yield from (_Visit(v, scope, within=within) for k, v in node.items() if k != "cte_map")
        return
    elif kind is not None:
        if kind == "BASE_TABLE":
            _check_table(node, scope, relations, readable, rewrite)
        elif kind == "TABLE_FUNCTION":
            yield _Visit(node["function"], scope, table_function=True, within=within)
            yield from (_Visit(v, scope, within=within) for k, v in node.items() if k != "function")
            return
        elif kind not in TABLE_REFS and kind not in OTHER_TYPED:
            raise InvalidQuery(f"{_words(kind)} is not supported in queries")
    yield from (_Visit(value, scope, within=within) for value in node.values())


def _check_expression(node: dict[str, Any], table_function: bool, within: str | None) -> str | None:
    """Checks one expression; the multiplying function its arguments are within, if any."""
    kind = node["class"]
    if kind == "PARAMETER":
        raise InvalidQuery("query parameters ($1, ?) are not supported: write the values")
    if kind not in EXPRESSIONS:
        raise InvalidQuery(f"{_words(kind)} is not supported in queries")
    if kind == "TYPE" and (node.get("schema") or node.get("catalog")):
        raise InvalidQuery(f"the type {_qualified(node, 'type_name')} is not available in queries")
    if kind not in ("FUNCTION", "WINDOW"):
        return within
    name = str(node.get("function_name", ""))
    lowered = name.lower()
    if node.get("schema") or node.get("catalog"):
        raise InvalidQuery(f"the function {_qualified(node)} is not available in queries")
    if table_function:
        if lowered not in sql_functions.TABLE_FUNCTIONS:
            raise InvalidQuery(f"the table function {name} is not available in queries")
        return within
    allowed = sql_functions.CALLABLE
    if kind == "WINDOW":
        allowed = sql_functions.WINDOWS | sql_functions.AGGREGATES
    if lowered not in allowed:
        raise InvalidQuery(f"the function {name} is not available in queries")
    if lowered in sql_functions.GROWING:
        _check_lengths(node, name, lowered)
    if lowered not in sql_functions.MULTIPLYING:
        return within
    if within is not None:
        # Each may multiply its input by up to MAX_PADDED_LENGTH; nested, the factors multiply.
        raise InvalidQuery(f"{name} cannot be used inside the arguments of {within}")
    return name


def _check_lengths(node: dict[str, Any], name: str, lowered: str) -> None:
    """What a growing function adds is a small constant: a padding length, a format's
    widths, a replacement."""
    limit = sql_functions.MAX_PADDED_LENGTH
    arguments = [a.get("expression") for a in node.get("arguments") or []]
    position = sql_functions.PADDED_LENGTH_ARGUMENT.get(lowered)
    if position is not None and position < len(arguments):
        length = _constant(arguments[position])
        if not (isinstance(length, int) and length <= limit):
            raise InvalidQuery(f"{name}: the length must be a number up to {limit}")
    position = sql_functions.FORMAT_ARGUMENT.get(lowered)
    if position is not None and position < len(arguments):
        pattern = _constant(arguments[position])
        if (
            not isinstance(pattern, str)
            or "*" in pattern  # printf's `%*d`: the width from an argument
            or _NESTED_FIELD.search(pattern)  # format's `{:>{}}`: likewise
            or any(int(width) > limit for width in _NUMBERS.findall(pattern))
        ):
            raise InvalidQuery(
                f"{name}: the format must be a string whose widths are numbers up to {limit}"
            )
    position = sql_functions.REPLACEMENT_ARGUMENT.get(lowered)
    if position is not None and position < len(arguments):
        replacement = _constant(arguments[position])
        if not (isinstance(replacement, str) and len(replacement) <= limit):
            raise InvalidQuery(
                f"{name}: the replacement must be a string of up to {limit} characters"
            )


_NESTED_FIELD = re.compile(r"\{[^{}]*\{")
_NUMBERS = re.compile(r"\d+")


def _constant(expression: Any) -> int | str | None:
    """An integer or string literal's value; None for anything else."""
    if not isinstance(expression, dict) or expression.get("class") != "CONSTANT":
        return None
    literal = expression.get("literal") or {}
    text = literal.get("text")
    if not isinstance(text, str):
        return None
    if literal.get("kind") == "STRING":
        return text
    try:
        return int(text)
    except ValueError:
        return None


def _check_table(
    node: dict[str, Any],
    scope: frozenset[str],
    relations: dict[str, str],
    readable: str,
    rewrite: bool,
) -> None:
    name = str(node.get("table_name", ""))
    path = (node.get("qualified_name") or {}).get("path") or [name]
    if node.get("schema_name") or node.get("catalog_name") or len(path) != 1:
        shown = ".".join(str(p) for p in path)
        raise InvalidQuery(f"unknown table {shown!r}: a query can read only {readable}")
    if node.get("at_clause"):
        raise InvalidQuery("AT (VERSION ...) is not supported in queries")
    lowered = name.lower()
    if str(path[0]).lower() != lowered:
        raise InvalidQuery(f"unknown table {name!r}: a query can read only {readable}")
    if lowered in scope:
        return  # one of the query's own CTEs, visible here
    view = relations.get(lowered)
    if view is None:
        raise InvalidQuery(f"unknown table {name!r}: a query can read only {readable}")
    if rewrite:
        if view.lower() in scope:
            # One of the query's CTEs has the engine's name for this relation: renamed, the
            # reference would read that CTE instead (a wrong answer, never a leak).
            raise InvalidQuery(
                f"the name {view!r} is reserved: Headwater reads {name!r} through it; "
                "call the CTE something else"
            )
        if not node.get("alias"):
            node["alias"] = name  # keep `table.column` references working after the rename
        node["table_name"] = view
        if "qualified_name" in node:
            node["qualified_name"] = {**node["qualified_name"], "path": [view]}


def _qualified(node: dict[str, Any], name: str = "function_name") -> str:
    parts = [node.get("catalog"), node.get("schema"), node.get(name)]
    return ".".join(str(p) for p in parts if p)


def _words(kind: object) -> str:
    return str(kind).replace("_", " ").lower()
