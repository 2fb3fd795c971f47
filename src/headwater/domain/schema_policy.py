"""Schema evolution: what a load does when its columns differ from the dataset's.

A stream chooses a `SchemaPolicy` (EVOLVE by default); `plan` compares the dataset's columns
with the columns a load brings and decides, once and for every kind of load (connector runs,
uploads, pipeline outputs), the dataset's columns after the load and what changed on the way:

- EVOLVE: a new column is added (nullable; the rows already there read NULL in it); a column
  whose type the load widens is widened (LONG → DOUBLE, DATE → DATETIME, a DECIMAL to one
  that holds it, `decimal_holds`), keeping its values exactly. A column the load lacks is
  filled with NULL.
- STRICT: a new column, a missing one, or a column the load widens fails the load naming
  the columns; nothing is committed.
- IGNORE_NEW: the dataset's columns stay as they are: a new column is dropped, a missing one
  filled with NULL, a wider type cast into the column's (a value that does not fit fails).

Any other type a load brings for a column (a STRING where a LONG is, a DOUBLE into a DECIMAL
column) is cast into the column's own type under every policy, as loads always were, since
sources such as CSV files infer their types; a value that does not cast fails the load naming
the column. The dataset's type never narrows and never turns into STRING. Every change lands
in `SchemaChanges`, which the execution keeps: never silent. A key column (UPSERT) is never
filled with NULL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from headwater.domain.columns import Column, ColumnType, decimal_holds
from headwater.domain.errors import BadData, InvalidInput

__all__ = [
    "SchemaChanges",
    "SchemaPlan",
    "SchemaPolicy",
    "evolves",
    "parse_schema_policy",
    "plan",
    "widens_to",
]


class SchemaPolicy(Enum):
    EVOLVE = "EVOLVE"
    STRICT = "STRICT"
    IGNORE_NEW = "IGNORE_NEW"


DEFAULT_POLICY = SchemaPolicy.EVOLVE


def parse_schema_policy(raw: Any, *, field_name: str = "schemaPolicy") -> SchemaPolicy | None:
    """None for a missing value (the stream's, or the default); a 400 naming the choices."""
    if raw is None or raw == "":
        return None
    try:
        return SchemaPolicy(str(raw).strip().upper())
    except ValueError:
        choices = ", ".join(p.value for p in SchemaPolicy)
        raise InvalidInput(
            f"unknown schemaPolicy {raw!r}; use one of {choices}", field=field_name
        ) from None


@dataclass(frozen=True)
class Widened:
    column: str
    before: str  # the column's type text before the load (`LONG`, `DECIMAL(10,2)`)
    after: str


@dataclass(frozen=True)
class SchemaChanges:
    """What a load did to the dataset's columns (added, widened) and to its own (dropped:
    the load's columns left out; null_filled: the dataset's columns it lacked)."""

    added: tuple[str, ...] = ()
    widened: tuple[Widened, ...] = ()
    dropped: tuple[str, ...] = ()
    null_filled: tuple[str, ...] = ()

    @property
    def alters_dataset(self) -> bool:
        """Whether the dataset's schema changes (so its existing rows are rewritten)."""
        return bool(self.added or self.widened)

    def __bool__(self) -> bool:
        return bool(self.added or self.widened or self.dropped or self.null_filled)

    def merged(self, other: SchemaChanges) -> SchemaChanges:
        """Both loads' changes (the parts of one upload), each name once, in order."""
        return SchemaChanges(
            _union(self.added, other.added),
            tuple({w.column.lower(): w for w in (*self.widened, *other.widened)}.values()),
            _union(self.dropped, other.dropped),
            _union(self.null_filled, other.null_filled),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "widened": [
                {"column": w.column, "from": w.before, "to": w.after} for w in self.widened
            ],
            "dropped": list(self.dropped),
            "nullFilled": list(self.null_filled),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SchemaChanges:
        return cls(
            tuple(raw.get("added", ())),
            tuple(Widened(w["column"], w["from"], w["to"]) for w in raw.get("widened", ())),
            tuple(raw.get("dropped", ())),
            tuple(raw.get("nullFilled", ())),
        )


@dataclass(frozen=True)
class SchemaPlan:
    columns: tuple[Column, ...]  # the dataset's columns after the load, in order
    changes: SchemaChanges = field(default_factory=SchemaChanges)


_WIDENINGS = {(ColumnType.LONG, ColumnType.DOUBLE), (ColumnType.DATE, ColumnType.DATETIME)}


def widens_to(narrow: Column, wide: Column) -> bool:
    """Whether `wide` holds every value of `narrow` exactly: one of the listed widenings."""
    if narrow.type is ColumnType.DECIMAL and wide.type is ColumnType.DECIMAL:
        return narrow.decimal_size != wide.decimal_size and decimal_holds(
            wide.decimal_size, narrow.decimal_size
        )
    return (narrow.type, wide.type) in _WIDENINGS


def evolves(old: Sequence[Column] | None, new: Sequence[Column]) -> bool:
    """Whether `new` is what EVOLVE may make of `old`: every column kept, by name, with its
    type or a widening of it (new columns anywhere)."""
    if old is None:
        return False
    by_name = {c.name.lower(): c for c in new}
    for column in old:
        kept = by_name.get(column.name.lower())
        if kept is None:
            return False
        same = (kept.type, kept.precision, kept.scale) == (
            column.type,
            column.precision,
            column.scale,
        )
        if not same and not widens_to(column, kept):
            return False
    return True


@dataclass(frozen=True)
class Incoming:
    """A column a load brings: its name, the dataset column type that would hold it (None
    when no column type can), and whether it holds nothing but NULLs (any column takes it)."""

    name: str
    column: Column | None
    all_null: bool = False


def plan(
    current: Sequence[Column] | None,
    incoming: Sequence[Incoming],
    policy: SchemaPolicy,
    key_columns: Sequence[str] = (),
) -> SchemaPlan:
    """The dataset's columns after a load of `incoming`, or a BadData naming the columns the
    policy refuses. A dataset without columns yet takes the load's."""
    if current is None:
        return SchemaPlan(tuple(_first_schema(incoming)))
    by_name = {c.name.lower(): c for c in incoming}
    dataset_names = {c.name.lower() for c in current}
    new = [c for c in incoming if c.name.lower() not in dataset_names]
    missing = [c.name for c in current if c.name.lower() not in by_name]
    retyped = [
        (column, arriving)
        for column in current
        if (arriving := by_name.get(column.name.lower())) is not None
        and arriving.column is not None
        and not arriving.all_null
        and widens_to(column, arriving.column)
    ]
    keys = {k.lower() for k in key_columns}
    missing_keys = [name for name in missing if name.lower() in keys]
    if missing_keys:
        raise BadData(
            f"the load has no key column {_names(missing_keys)}; a key is never filled with NULL",
            column=missing_keys[0],
        )
    if policy is SchemaPolicy.STRICT:
        _strict(new, missing, retyped)
        return SchemaPlan(tuple(current))
    if policy is SchemaPolicy.IGNORE_NEW:
        return SchemaPlan(
            tuple(current),
            SchemaChanges(dropped=tuple(c.name for c in new), null_filled=tuple(missing)),
        )
    return _evolved(current, new, missing, retyped)


def _evolved(
    current: Sequence[Column],
    new: list[Incoming],
    missing: list[str],
    retyped: list[tuple[Column, Incoming]],
) -> SchemaPlan:
    unholdable = [c.name for c in new if c.column is None and not c.all_null]
    if unholdable:
        raise BadData(
            f"new column {_names(unholdable)} has a type no dataset column can hold",
            column=unholdable[0],
        )
    widened, wider = [], {}
    for column, arriving in retyped:
        assert arriving.column is not None  # a widening: see `plan`
        to = arriving.column
        widened.append(Widened(column.name, column.type_text, to.type_text))
        wider[column.name.lower()] = Column(column.name, to.type, to.precision, to.scale)
    columns = [wider.get(c.name.lower(), c) for c in current]
    # A new column of nothing but NULLs has no type to go by: STRING holds anything later.
    columns += [
        Column(c.name, c.column.type, c.column.precision, c.column.scale)
        if c.column is not None and not c.all_null
        else Column(c.name, ColumnType.STRING)
        for c in new
    ]
    return SchemaPlan(
        tuple(columns),
        SchemaChanges(
            added=tuple(c.name for c in new),
            widened=tuple(widened),
            null_filled=tuple(missing),
        ),
    )


def _strict(
    new: list[Incoming], missing: list[str], retyped: list[tuple[Column, Incoming]]
) -> None:
    problems = []
    if new:
        problems.append(f"new column {_names([c.name for c in new])}")
    if missing:
        problems.append(f"missing column {_names(missing)}")
    for column, arriving in retyped:
        assert arriving.column is not None  # a widening: see `plan`
        problems.append(
            f"column {column.name!r} is {column.type_text}, the load brings "
            f"{arriving.column.type_text}"
        )
    if problems:
        first = new[0].name if new else missing[0] if missing else retyped[0][0].name
        raise BadData(
            "the stream's schemaPolicy is STRICT and the load's columns differ from the "
            f"dataset's: {'; '.join(problems)}; nothing was committed",
            column=first,
        )


def _first_schema(incoming: Sequence[Incoming]) -> list[Column]:
    unholdable = [c.name for c in incoming if c.column is None and not c.all_null]
    if unholdable:
        raise BadData(
            f"column {_names(unholdable)} has a type no dataset column can hold",
            column=unholdable[0],
        )
    return [c.column or Column(c.name, ColumnType.STRING) for c in incoming]


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    seen = {n.lower(): n for n in (*first, *second)}
    return tuple(seen.values())
