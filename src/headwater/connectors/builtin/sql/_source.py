"""What the drivers share: what to read, how to name it in SQL, and the driver contract.

Every read is one SELECT over `hw_src`, the table or the user's query as a derived table:

    SELECT <columns> FROM <table or (query)> AS hw_src
    [WHERE hw_src.<cursor> > <parameter> | WHERE hw_src.<cursor> IS NOT NULL]
    [ORDER BY hw_src.<cursor>]

Identifiers are always quoted by the driver's rules and values always bound as parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from headwater.connectors.sdk import TerminalError

ALIAS = "hw_src"


@dataclass(frozen=True)
class Relation:
    """A table (name parts, e.g. ("sales", "orders")) or a query: what hw_src stands for."""

    table: tuple[str, ...] = ()
    query: str = ""

    @property
    def label(self) -> str:
        return ".".join(self.table) if self.table else "the query"


@dataclass(frozen=True)
class Chunk:
    """Rows in dataset types, and the JSON cursor values of its first and last row."""

    batch: pa.RecordBatch
    first: Any = None
    last: Any = None


@dataclass(frozen=True)
class Dialect:
    quote_char: str
    placeholder: str

    def quote(self, name: str) -> str:
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def source(self, relation: Relation) -> str:
        """The FROM item: the quoted table, or the query as a derived table."""
        if relation.table:
            return ".".join(self.quote(part) for part in relation.table) + f" AS {ALIAS}"
        # On its own lines, so a trailing `-- comment` in the query ends before the paren.
        return f"(\n{relation.query}\n) AS {ALIAS}"

    def column(self, name: str) -> str:
        return f"{ALIAS}.{self.quote(name)}"

    def select(
        self,
        relation: Relation,
        columns: str = "*",
        cursor: str | None = None,
        after: bool = False,
        placeholder: str | None = None,
    ) -> str:
        """The SELECT of a read; `after` adds `cursor > <placeholder>`."""
        # Identifiers are quoted, values bound; the user's query is meant to run as written.
        sql = f"SELECT {columns} FROM {self.source(relation)}"  # noqa: S608
        if cursor is not None:
            column = self.column(cursor)
            if after:
                sql += f" WHERE {column} > {placeholder or self.placeholder}"
            else:
                sql += f" WHERE {column} IS NOT NULL"
            sql += f" ORDER BY {column}"
        return sql


class Session(Protocol):
    """One open connection to a source."""

    def columns(self, relation: Relation) -> list[pa.Field]:
        """The columns `relation` yields, in dataset types, without reading its rows."""
        ...

    def read(
        self,
        relation: Relation,
        cursor: str | None,
        after: Any,
        chunk_rows: int,
    ) -> Iterator[Chunk]:
        """The rows, in chunks of about `chunk_rows`; with a cursor, those whose cursor is
        greater than `after` (all non-null ones if `after` is None), ordered by it."""
        ...

    def close(self) -> None: ...


def parse_table(text: str, quote_chars: str = '"`') -> tuple[str, ...]:
    """`schema.table` as its parts; a part may be quoted ("my.schema") to hold a dot."""
    parts: list[str] = []
    current = ""
    quote: str | None = None
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote and text[index + 1 : index + 2] == quote:
                current += quote
                index += 1
            elif char == quote:
                quote = None
            else:
                current += char
        elif char in quote_chars and not current.strip():
            quote, quoted, current = char, True, ""
        elif char == ".":
            parts.append(current if quoted else current.strip())
            current, quoted = "", False
        else:
            current += char
        index += 1
    if quote:
        raise TerminalError(f"table {text!r} has an unclosed quote")
    parts.append(current if quoted else current.strip())
    if not all(parts) or len(parts) > 3:
        raise TerminalError(f"table {text!r} is not a name like `table` or `schema.table`")
    return tuple(parts)


def clean_query(text: str) -> str:
    """The query without trailing semicolons, ready to be a derived table."""
    query = text.strip()
    while query.endswith(";"):
        query = query[:-1].rstrip()
    if not query:
        raise TerminalError("the query is empty")
    return query


def resolve_column(name: str, columns: Sequence[pa.Field], relation: Relation) -> str:
    """The real name of column `name` (exact, else the one matching it case-insensitively)."""
    names: list[str] = [field.name for field in columns]
    if name in names:
        return name
    matches = [n for n in names if n.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise TerminalError(
        f"cursor_column {name!r} is not a column of {relation.label} "
        f"(it has {', '.join(names) or 'no columns'})"
    )


def ensure_unique(columns: Sequence[pa.Field], relation: Relation) -> None:
    seen: set[str] = set()
    for field in columns:
        if field.name.lower() in seen:
            raise TerminalError(
                f"{relation.label} returns column {field.name!r} twice; "
                "give one of them another name (AS ...)"
            )
        seen.add(field.name.lower())
