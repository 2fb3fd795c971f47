"""What a pipeline table's new declaration changes: what EVOLVE may keep, and why not."""

from __future__ import annotations

from headwater.domain.columns import Column, ColumnType
from headwater.domain.table_evolution import compare

ID = Column("id", ColumnType.LONG)
N = Column("n", ColumnType.LONG)
DAY = Column("day", ColumnType.DATE)
PRICE = Column("price", ColumnType.DECIMAL, 10, 2)


def test_the_same_declaration_is_no_change() -> None:
    assert compare([ID, N], ["id"], [ID, N], ["id"]) is None


def test_new_columns_and_widenings_evolve() -> None:
    wider = [
        ID,
        Column("n", ColumnType.DOUBLE),
        Column("day", ColumnType.DATETIME),
        Column("price", ColumnType.DECIMAL, 12, 3),
        Column("note", ColumnType.STRING),
    ]
    change = compare([ID, N, DAY, PRICE], [], wider, [])
    assert change is not None
    assert change.evolvable
    assert change.added == ("note",)
    assert [(w.column, w.before, w.after) for w in change.widened] == [
        ("n", "LONG", "DOUBLE"),
        ("day", "DATE", "DATETIME"),
        ("price", "DECIMAL(10,2)", "DECIMAL(12,3)"),
    ]
    assert not change.reordered
    assert change.columns == ("n", "day", "price", "note")


def test_drops_renames_narrowings_and_keys_do_not_evolve() -> None:
    dropped = compare([ID, N], [], [ID], [])
    assert dropped is not None
    assert dropped.not_evolvable == ("column 'n' was dropped or renamed",)
    renamed = compare([ID, N], [], [ID, Column("N", ColumnType.LONG)], [])
    assert renamed is not None
    assert not renamed.evolvable  # names compare exactly
    narrowed = compare([ID, Column("n", ColumnType.DOUBLE)], [], [ID, N], [])
    assert narrowed is not None
    assert "not a widening" in narrowed.not_evolvable[0]
    smaller = compare([PRICE], [], [Column("price", ColumnType.DECIMAL, 12, 1)], [])
    assert smaller is not None
    assert not smaller.evolvable  # one digit fewer after the point
    keyed = compare([ID, N], ["id"], [ID, N], ["id", "n"])
    assert keyed is not None
    assert keyed.not_evolvable == ("the primary key changed from (id) to (id, n)",)


def test_a_new_order_is_an_evolution_that_says_so() -> None:
    change = compare([ID, N], [], [N, ID], [])
    assert change is not None
    assert change.evolvable
    assert change.evolved_json() == {"added": [], "widened": [], "reordered": True}
