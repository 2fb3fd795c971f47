"""A PDP row filter as a DuckDB predicate.

Values come from stored policies, never from a query's SQL, and each one enters the predicate
as a quoted string literal (`'` doubled; DuckDB gives backslashes no meaning in '...'), cast
to the column's type with TRY_CAST. A value that no longer fits its column becomes NULL, and
NULL passes no filter: the predicate fails closed. A DECIMAL value must fit its column's size
exactly, or it is NULL too: a cast would round it (1.005 to 1.01 in DECIMAL(12,2)) and move
the boundary of what a caller sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from headwater.adapters.datasets.sql_text import quote_identifier, sql_type, string_literal
from headwater.domain.columns import decimal_problem
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
    types = {c.name: c for c in columns}
    ors = []
    for clause in row_filter.clauses:
        ands = [_filter(f, types) for f in clause]
        ors.append("(" + (" AND ".join(ands) if ands else "TRUE") + ")")
    return "(" + " OR ".join(ors) + ")"


def _filter(f: PolicyFilter, types: dict[str, Column]) -> str:
    target = types.get(f.column)
    if target is None:
        return "FALSE"  # the column is gone: nobody passes a filter on it
    column = quote_identifier(f.column)
    expression = _test(f, column, target)
    # NULL passes no filter, negated or not: COALESCE closes the NOT NULL = NULL hole.
    if f.negate:
        return f"COALESCE(NOT ({expression}), FALSE)"
    return f"COALESCE(({expression}), FALSE)"


def _test(f: PolicyFilter, column: str, target: Column) -> str:
    if f.operator.on_text:
        text = f"CAST({column} AS VARCHAR)"
        tests = [_text_test(f.operator, text, string_literal(v)) for v in f.values]
        return " OR ".join(tests)
    typed = [_typed(v.strip(), target) for v in f.values]
    if f.operator is Operator.EQUALS:
        return f"{column} IN ({', '.join(typed)})"
    if f.operator is Operator.BETWEEN:
        return f"{column} BETWEEN {typed[0]} AND {typed[1]}"
    return f"{column} {COMPARISONS[f.operator]} {typed[0]}"


def _typed(value: str, target: Column) -> str:
    if target.type is ColumnType.DECIMAL and not _fits(value, target):
        return "NULL"
    return f"TRY_CAST({string_literal(value)} AS {sql_type(target)})"


def _fits(value: str, target: Column) -> bool:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return decimal_problem(number, *target.decimal_size) is None


def _text_test(operator: Operator, text: str, literal: str) -> str:
    if operator is Operator.LIKE:
        return f"{text} LIKE {literal}"
    if operator is Operator.BEGINS_WITH:
        return f"starts_with({text}, {literal})"
    if operator is Operator.ENDS_WITH:
        return f"suffix({text}, {literal})"
    return f"contains({text}, {literal})"
