"""Ports of the engines that read datasets: SQL queries, and quality checks over staged files."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from headwater.domain.check_results import Measures
from headwater.domain.checks import Check
from headwater.domain.datasets import Column
from headwater.domain.policies import RowFilter
from headwater.domain.ports.storage import StagedFile


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class QueryTable:
    """A table a multi-table query may read: its committed files, its columns, and the rows
    the caller may see of it (row-level policies; None for all)."""

    name: str
    files: list[str] | None
    columns: Sequence[Column]
    row_filter: RowFilter | None = None


@dataclass(frozen=True)
class QueryView:
    """A view over the query's tables (and earlier views), checked like the query itself."""

    name: str
    sql: str


class QueryEngine(Protocol):
    def query(
        self,
        sql: str,
        files: list[str] | None,
        columns: Sequence[Column],
        table_names: set[str],
        row_filter: RowFilter | None = None,
    ) -> QueryResult:
        """Run `sql` over the dataset. With a `row_filter`, the dataset the SQL reads is
        already filtered: nothing the SQL says reaches the rows it excludes."""
        ...

    def export_csv(
        self,
        files: list[str] | None,
        columns: Sequence[Column],
        include_header: bool,
        row_filter: RowFilter | None = None,
    ) -> Iterator[bytes]:
        """The dataset (filtered) as CSV, produced chunk by chunk: bounded memory."""
        ...

    def query_relations(
        self, sql: str, tables: Sequence[QueryTable], views: Sequence[QueryView] = ()
    ) -> QueryResult: ...

    def check_views(self, tables: Sequence[str], views: Sequence[QueryView]) -> None:
        """`InvalidQuery` naming the first view whose SQL the sandbox refuses (each view may
        read the tables and the views before it)."""
        ...


@dataclass(frozen=True)
class CheckJob:
    """A load to check: its staged Parquet files (exactly the dataset's schema), and the
    dataset's current files that UNIQUE checks also compare against (APPEND)."""

    files: Sequence[str]
    columns: Sequence[Column]
    checks: Sequence[Check]
    existing_files: Sequence[str] = ()


@dataclass(frozen=True)
class SplitLoad:
    """A load split by its row checks: the passing rows (the dataset's schema) and the
    failing ones (the quarantine schema: the reasons and the execution added)."""

    good: StagedFile
    bad: StagedFile


class CheckEngine(Protocol):
    """Runs quality checks over staged files, reading those files and nothing else."""

    def measure(self, job: CheckJob) -> Measures: ...
    def split(self, job: CheckJob, execution_id: int, into: str) -> SplitLoad:
        """Write the load's passing and failing rows as two Parquet files in the folder
        `into`, named after the execution."""
        ...

    def pattern_error(self, pattern: str) -> str | None:
        """Why the engine's regular expressions refuse `pattern`, or None."""
        ...
