"""Who sees which rows (domain), and the predicate the engine applies (rendering)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from headwater.adapters.datasets.row_filter_sql import predicate
from headwater.adapters.datasets.sql_text import string_literal
from headwater.domain.access import AccessLevel
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.policies import (
    ALL,
    NOTHING,
    Operator,
    Policy,
    PolicyFilter,
    PolicyType,
    RowFilter,
    row_filter_for,
)
from headwater.domain.users import Principal, Role, User

NORTH = PolicyFilter("region", Operator.EQUALS, ("north",))


def principal(user_id: int, role: Role = Role.PARTICIPANT, groups: set[int] | None = None):
    user = User(user_id, f"u{user_id}", f"u{user_id}@x", role, datetime.now(UTC))
    return Principal(user, frozenset(groups or set()))


def policies(*extra: Policy) -> list[Policy]:
    return [Policy(1, "d", "All Rows", PolicyType.OPEN, user_ids=[1]), *extra]


def test_without_user_policies_everyone_sees_everything() -> None:
    assert row_filter_for(principal(5), 1, AccessLevel.CAN_VIEW, policies()) is ALL


def test_a_named_user_and_a_group_member_get_their_filters() -> None:
    rules = policies(
        Policy(2, "d", "n", PolicyType.USER, [NORTH], user_ids=[5]),
        Policy(3, "d", "g", PolicyType.USER, [NORTH], group_ids=[9]),
    )
    assert row_filter_for(principal(5), 1, AccessLevel.CAN_VIEW, rules) == RowFilter(((NORTH,),))
    assert row_filter_for(principal(6, groups={9}), 1, AccessLevel.CAN_EDIT, rules).clauses == (
        (NORTH,),
    )
    assert row_filter_for(principal(7), 1, AccessLevel.CAN_VIEW, rules) == NOTHING


def test_owners_co_owners_admins_and_all_rows_see_everything() -> None:
    rules = policies(Policy(2, "d", "n", PolicyType.USER, [NORTH], user_ids=[5, 1]))
    assert row_filter_for(principal(1), 1, AccessLevel.OWNER, rules) is ALL
    assert row_filter_for(principal(8), 1, AccessLevel.CO_OWNER, rules) is ALL
    assert row_filter_for(principal(9, Role.ADMIN), 1, AccessLevel.OWNER, rules) is ALL
    rules[0].user_ids.append(5)
    assert row_filter_for(principal(5), 1, AccessLevel.CAN_VIEW, rules) is ALL


COLUMNS = [Column("region", ColumnType.STRING), Column("n", ColumnType.LONG)]


def test_predicates_quote_every_value() -> None:
    nasty = PolicyFilter("region", Operator.EQUALS, ("x' OR '1'='1", "back\\slash"))
    text = predicate(RowFilter(((nasty,),)), COLUMNS)
    assert "'x'' OR ''1''=''1'" in text
    assert "'back\\slash'" in text
    assert predicate(ALL, COLUMNS) == "TRUE"
    assert predicate(NOTHING, COLUMNS) == "FALSE"
    gone = PolicyFilter("dropped", Operator.EQUALS, ("x",))
    assert predicate(RowFilter(((gone,),)), COLUMNS) == "((FALSE))"
    with pytest.raises(ValueError, match="NUL"):
        string_literal("a\x00b")


def test_predicates_cast_values_to_the_column_type() -> None:
    between = PolicyFilter("n", Operator.BETWEEN, ("2", "6"), negate=True)
    text = predicate(RowFilter(((between,), ())), COLUMNS)
    assert "TRY_CAST('2' AS BIGINT)" in text
    assert text.startswith('((COALESCE(NOT ("n" BETWEEN')
    assert text.endswith("OR (TRUE))")  # a policy without filters passes every row
