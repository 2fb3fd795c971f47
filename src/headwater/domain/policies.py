"""Personalized data permissions (PDP): which rows of a dataset each user may read.

A policy names users and groups and holds filters (`column operator values`, optionally
negated); a row passes a policy when it passes every one of its filters. A caller sees the
rows that pass at least one policy naming them (directly or through a group). A dataset is
PDP-enabled once it holds a policy other than "All Rows"; then a caller no policy names sees
no rows at all. Admins, the owner and co-owners, and whoever the "All Rows" policy names, see
everything. NULL never passes a filter, negated or not: a filter fails closed.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from headwater.domain.access import AccessLevel
from headwater.domain.columns import decimal_problem
from headwater.domain.datasets import Column, ColumnType
from headwater.domain.errors import InvalidInput
from headwater.domain.users import Principal

ALL_ROWS_NAME = "All Rows"


class PolicyType(Enum):
    USER = "user"
    SYSTEM = "system"
    OPEN = "open"  # the "All Rows" policy: whoever it names sees everything

    @classmethod
    def parse(cls, raw: object) -> PolicyType:
        try:
            return cls(str(raw).strip().lower())
        except ValueError:
            raise InvalidInput(
                f"unknown policy type {raw!r}; use user or system", field="type"
            ) from None


class Operator(Enum):
    EQUALS = "EQUALS"
    LIKE = "LIKE"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN_EQUAL = "GREATER_THAN_EQUAL"
    LESS_THAN_EQUAL = "LESS_THAN_EQUAL"
    BETWEEN = "BETWEEN"
    BEGINS_WITH = "BEGINS_WITH"
    ENDS_WITH = "ENDS_WITH"
    CONTAINS = "CONTAINS"

    @classmethod
    def parse(cls, raw: object, field_name: str) -> Operator:
        try:
            return cls(str(raw).strip().upper())
        except ValueError:
            allowed = ", ".join(o.value for o in cls)
            raise InvalidInput(
                f"unknown operator {raw!r}; use one of {allowed}", field=field_name
            ) from None

    @property
    def on_text(self) -> bool:
        """Text operators compare the column's text form, whatever its type."""
        return self in TEXT_OPERATORS


TEXT_OPERATORS = frozenset(
    {Operator.LIKE, Operator.BEGINS_WITH, Operator.ENDS_WITH, Operator.CONTAINS}
)
SINGLE_VALUE = frozenset(
    {
        Operator.GREATER_THAN,
        Operator.LESS_THAN,
        Operator.GREATER_THAN_EQUAL,
        Operator.LESS_THAN_EQUAL,
    }
)


@dataclass(frozen=True)
class PolicyFilter:
    column: str
    operator: Operator
    values: tuple[str, ...]
    negate: bool = False


@dataclass
class Policy:
    id: int
    dataset_id: str
    name: str
    type: PolicyType
    filters: list[PolicyFilter] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    virtual_user_ids: list[str] = field(default_factory=list)

    def names(self, principal: Principal) -> bool:
        return principal.id in self.user_ids or any(
            g in principal.group_ids for g in self.group_ids
        )


@dataclass(frozen=True)
class RowFilter:
    """The rows one caller may read: those passing every filter of at least one clause.

    `clauses is None` means every row; an empty tuple means no row. Build a query's predicate
    from it (see `headwater.adapters.datasets.row_filter_sql`); never from user input."""

    clauses: tuple[tuple[PolicyFilter, ...], ...] | None

    @property
    def everything(self) -> bool:
        return self.clauses is None

    @property
    def nothing(self) -> bool:
        return self.clauses == ()


ALL = RowFilter(None)
NOTHING = RowFilter(())


def pdp_enabled(policies: Iterable[Policy]) -> bool:
    return any(p.type is not PolicyType.OPEN for p in policies)


def row_filter_for(
    principal: Principal, owner_id: int, level: AccessLevel, policies: Sequence[Policy]
) -> RowFilter:
    if principal.is_admin or principal.id == owner_id or level.allows(AccessLevel.CO_OWNER):
        return ALL
    if not pdp_enabled(policies):
        return ALL
    naming = [p for p in policies if p.names(principal)]
    if any(p.type is PolicyType.OPEN for p in naming):
        return ALL
    return RowFilter(tuple(tuple(p.filters) for p in naming))


# -- checking a policy against the dataset's columns ---------------------------------------
def check_filters(filters: Sequence[PolicyFilter], columns: Sequence[Column]) -> list[PolicyFilter]:
    """Filters with column names spelled as the schema spells them; each value must fit its
    column's type (text operators take any text). A problem is a 400 naming the field."""
    by_name = {c.name.lower(): c for c in columns}
    checked = []
    for index, f in enumerate(filters):
        where = f"filters[{index}]"
        column = by_name.get(f.column.strip().lower())
        if column is None:
            known = ", ".join(c.name for c in columns) or "none"
            raise InvalidInput(
                f"{where}.column {f.column!r} is not a column of the dataset (columns: {known})",
                field=f"{where}.column",
            )
        _check_count(f, where)
        for v_index, value in enumerate(f.values):
            if "\x00" in value:
                raise InvalidInput(
                    "a value may not hold a NUL character", field=f"{where}.values[{v_index}]"
                )
            if not f.operator.on_text:
                _check_value(value, column, f"{where}.values[{v_index}]")
        checked.append(PolicyFilter(column.name, f.operator, f.values, f.negate))
    return checked


def _check_count(f: PolicyFilter, where: str) -> None:
    count = len(f.values)
    if f.operator is Operator.BETWEEN and count != 2:
        raise InvalidInput(
            f"BETWEEN takes two values (low, high), not {count}", field=f"{where}.values"
        )
    if f.operator in SINGLE_VALUE and count != 1:
        raise InvalidInput(
            f"{f.operator.value} takes one value, not {count}", field=f"{where}.values"
        )
    if count == 0:
        raise InvalidInput(f"{f.operator.value} needs at least one value", field=f"{where}.values")


BOOLEAN_TEXT = {"true", "false", "1", "0", "t", "f", "yes", "no"}


def _check_value(value: str, column: Column, field_name: str) -> None:
    text = value.strip()
    column_type = column.type
    try:
        if column_type is ColumnType.LONG:
            int(text)
        elif column_type is ColumnType.DOUBLE:
            float(text)
        elif column_type is ColumnType.DECIMAL:
            problem = decimal_problem(decimal.Decimal(text), *column.decimal_size)
            if problem is not None:  # a rounded bound would show or hide rows it should not
                raise InvalidInput(f"{value!r} {problem}", field=field_name)
        elif column_type is ColumnType.DATE:
            dt.date.fromisoformat(text)
        elif column_type is ColumnType.DATETIME:
            dt.datetime.fromisoformat(text)
        elif column_type is ColumnType.BOOLEAN and text.lower() not in BOOLEAN_TEXT:
            raise ValueError(text)
    except (ValueError, decimal.InvalidOperation):
        raise InvalidInput(f"{value!r} is not a {column.type_text}", field=field_name) from None
