"""A PDP row filter as a DuckDB predicate.

Values come from stored policies, never from a query's SQL, and each one enters the predicate
as a quoted string literal (`'` doubled; DuckDB gives backslashes no meaning in '...'), cast
to the column's type with TRY_CAST. A value that no longer fits its column becomes NULL, and
NULL passes no filter: the predicate fails closed.
"""

from __future__ import annotations

from collections.abc import Sequence

from headwater.adapters.datasets.sql_text import SQL_TYPES, quote_identifier, string_literal
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.policies import Operator, PolicyFilter, RowFilter

COMPARISONS = {
    Operator.GREATER_THAN: ">",
    Operator.LESS_THAN: "<",
    Operator.GREATER_THAN_EQUAL: ">=",
    Operator.LESS_THAN_EQUAL: "<=",
}


def predicate(row_filter: RowFilter, columns: Sequence[Column]) -> str:
    """`TRUE` for every row, `FALSE` for none, else an OR of ANDs of the filters."""
    if row_filter.clauses is None:
        return "TRUE"
    if not row_filter.clauses:
        return "FALSE"
    types = {c.name: c.type for c in columns}
    ors = []
    for clause in row_filter.clauses:
        ands = [_filter(f, types) for f in clause]
        ors.append("(" + (" AND ".join(ands) if ands else "TRUE") + ")")
    return "(" + " OR ".join(ors) + ")"


def _filter(f: PolicyFilter, types: dict[str, ColumnType]) -> str:
    column_type = types.get(f.column)
    if column_type is None:
        return "FALSE"  # the column is gone: nobody passes a filter on it
    column = quote_identifier(f.column)
    expression = _test(f, column, column_type)
    # NULL passes no filter, negated or not: COALESCE closes the NOT NULL = NULL hole.
    if f.negate:
        return f"COALESCE(NOT ({expression}), FALSE)"
    return f"COALESCE(({expression}), FALSE)"


def _test(f: PolicyFilter, column: str, column_type: ColumnType) -> str:
    if f.operator.on_text:
        text = f"CAST({column} AS VARCHAR)"
        tests = [_text_test(f.operator, text, string_literal(v)) for v in f.values]
        return " OR ".join(tests)
    typed = [f"TRY_CAST({string_literal(v.strip())} AS {SQL_TYPES[column_type]})" for v in f.values]
    if f.operator is Operator.EQUALS:
        return f"{column} IN ({', '.join(typed)})"
    if f.operator is Operator.BETWEEN:
        return f"{column} BETWEEN {typed[0]} AND {typed[1]}"
    return f"{column} {COMPARISONS[f.operator]} {typed[0]}"


def _text_test(operator: Operator, text: str, literal: str) -> str:
    if operator is Operator.LIKE:
        return f"{text} LIKE {literal}"
    if operator is Operator.BEGINS_WITH:
        return f"starts_with({text}, {literal})"
    if operator is Operator.ENDS_WITH:
        return f"suffix({text}, {literal})"
    return f"contains({text}, {literal})"
