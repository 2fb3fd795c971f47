"""What replacing a pipeline's program does to a table that already has a dataset.

`compare` sets the dataset's columns (and the table's primary key as it was declared) beside
the table's new declaration. The table's schema policy then decides (see
`services/pipelines/catalog.py`):

- EVOLVE and IGNORE_NEW (the program is the user's own declaration): a change that only adds
  columns (nullable: a pipeline table's columns always are) and/or widens types the way
  `schema_policy.widens_to` allows keeps the dataset, rewritten to the new columns; any other
  change (a column dropped or renamed, a type narrowed or changed, a new primary key) makes a
  new dataset for the table, and says why.
- STRICT: any change is refused, naming the table and the columns.

Names are compared exactly: a column whose name changed case is a rename.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from headwater.domain.columns import Column
from headwater.domain.schema_policy import Widened, widens_to

__all__ = ["TableChange", "compare"]


@dataclass(frozen=True)
class TableChange:
    """How a table's new declaration differs from its dataset's columns."""

    added: tuple[str, ...] = ()
    widened: tuple[Widened, ...] = ()
    reordered: bool = False
    # Why the dataset cannot be kept (empty: EVOLVE keeps it); each names its column.
    not_evolvable: tuple[str, ...] = ()
    # Every column named by a change, for a STRICT refusal.
    columns: tuple[str, ...] = ()

    @property
    def evolvable(self) -> bool:
        return not self.not_evolvable

    def describe(self) -> str:
        """Every change in words: `column 'note' added; column 'n' widened from LONG to
        DOUBLE`."""
        parts = [f"column {name!r} added" for name in self.added]
        parts += [f"column {w.column!r} widened from {w.before} to {w.after}" for w in self.widened]
        parts += list(self.not_evolvable)
        if self.reordered:
            parts.append("columns reordered")
        return "; ".join(parts)

    def evolved_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "added": list(self.added),
            "widened": [
                {"column": w.column, "from": w.before, "to": w.after} for w in self.widened
            ],
        }
        if self.reordered:
            body["reordered"] = True
        return body


def compare(
    old_columns: Sequence[Column],
    old_key: Sequence[str],
    new_columns: Sequence[Column],
    new_key: Sequence[str],
) -> TableChange | None:
    """None when nothing changed; else what did, and whether EVOLVE may keep the dataset."""
    if tuple(old_columns) == tuple(new_columns) and tuple(old_key) == tuple(new_key):
        return None
    new_by_name = {c.name: c for c in new_columns}
    old_names = {c.name for c in old_columns}
    problems: list[str] = []
    named: list[str] = []
    widened: list[Widened] = []
    for column in old_columns:
        kept = new_by_name.get(column.name)
        if kept is None:
            problems.append(f"column {column.name!r} was dropped or renamed")
            named.append(column.name)
        elif kept == column:
            continue
        elif widens_to(column, kept):
            widened.append(Widened(column.name, column.type_text, kept.type_text))
            named.append(column.name)
        else:
            problems.append(
                f"column {column.name!r} changed from {column.type_text} to {kept.type_text}, "
                "which is not a widening"
            )
            named.append(column.name)
    added = tuple(c.name for c in new_columns if c.name not in old_names)
    named.extend(added)
    if tuple(old_key) != tuple(new_key):
        problems.append(f"the primary key changed from {_key(old_key)} to {_key(new_key)}")
        named.extend(k for k in (*old_key, *new_key) if k not in named)
    kept_order = [c.name for c in new_columns if c.name in old_names]
    reordered = kept_order != [c.name for c in old_columns if c.name in new_by_name]
    return TableChange(added, tuple(widened), reordered, tuple(problems), tuple(named))


def _key(columns: Sequence[str]) -> str:
    return "(" + ", ".join(columns) + ")" if columns else "none"
