"""Ports: what the services need from the outside world, implemented by `headwater.adapters`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from headwater.domain.access import Grant, PrincipalType
from headwater.domain.accounts import Account
from headwater.domain.check_results import Measures
from headwater.domain.checks import Check, CheckSet
from headwater.domain.datasets import Column, Dataset, UpdateMethod
from headwater.domain.executions import Execution, ExecutionState, Phase
from headwater.domain.oauth import OAuthClient
from headwater.domain.parts import Part
from headwater.domain.pipelines import ConnectorState, Pipeline, RuntimeStatus
from headwater.domain.policies import Policy, RowFilter
from headwater.domain.positions import PositionKey, SavedPosition
from headwater.domain.runners import Runner
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaChanges, SchemaPolicy
from headwater.domain.streams import Stream
from headwater.domain.ticks import Tick
from headwater.domain.tokens import AccessToken, TokenHolder
from headwater.domain.users import Group, User
from headwater.domain.versions import DataVersion, VersionSnapshot


class UserRepository(Protocol):
    def add(self, display_name: str, email: str, role: int, now: datetime) -> User: ...
    def find(self, user_id: int) -> User | None: ...
    def find_by_email(self, email: str) -> User | None: ...
    def page(self, limit: int, offset: int) -> list[User]: ...
    def count(self) -> int: ...
    def update(self, user: User) -> None: ...
    def delete(self, user_id: int) -> None: ...
    def lock_admins(self) -> list[int]:
        """The admins' ids, locked until the transaction ends (PostgreSQL: their rows;
        SQLite: the database's one write lock), so that changes which could take the last
        admin's access wait for each other instead of both passing a check."""
        ...


class GroupRepository(Protocol):
    def add(self, name: str, description: str, now: datetime) -> Group: ...
    def find(self, group_id: int) -> Group | None: ...
    def find_by_name(self, name: str) -> Group | None: ...
    def page(self, limit: int, offset: int) -> list[Group]: ...
    def update(self, group: Group) -> None: ...
    def delete(self, group_id: int) -> None: ...
    def add_member(self, group_id: int, user_id: int) -> None: ...
    def remove_member(self, group_id: int, user_id: int) -> None: ...
    def groups_of(self, user_id: int) -> frozenset[int]: ...


class TokenRepository(Protocol):
    def add(
        self, user_id: int, name: str, token_hash: str, now: datetime, expires_at: datetime | None
    ) -> AccessToken: ...
    def find(self, token_id: int) -> AccessToken | None: ...
    def find_holder(self, token_hash: str) -> TokenHolder | None: ...
    def for_user(self, user_id: int | None) -> list[AccessToken]: ...
    def revoke(self, token_id: int, now: datetime) -> None: ...
    def count_usable(self, user_ids: Sequence[int], now: datetime, lasting: bool = False) -> int:
        """How many tokens of these users are neither revoked nor expired at `now` (with
        `lasting`, nor set to expire at all)."""
        ...


class DatasetRepository(Protocol):
    def add(self, dataset: Dataset) -> None: ...
    def find(self, dataset_id: str) -> Dataset | None: ...
    def list_visible(
        self,
        user_id: int | None,
        group_ids: frozenset[int],
        limit: int,
        offset: int,
        name_like: str | None = None,
        sort: str | None = None,
    ) -> list[Dataset]: ...
    def update(self, dataset: Dataset) -> None:
        """Write the dataset's definition; its data version and row count are written only by
        `record_version`, so an edit racing a commit never rewinds them."""
        ...

    def record_version(
        self,
        dataset_id: str,
        version: int,
        row_count: int,
        at: datetime,
        columns: list[Column] | None = None,
    ) -> bool:
        """Record a committed data version (and the first schema, if given) unless a newer
        version is recorded already; False when it is, or the dataset is gone."""
        ...

    def delete(self, dataset_id: str) -> None: ...
    def grants(self, dataset_id: str) -> list[Grant]: ...
    def grants_to(
        self, principal_type: PrincipalType, principal_id: int
    ) -> list[tuple[str, int, Grant]]:
        """Every grant this user or group holds directly: (dataset id, owner id, grant)."""
        ...

    def remove_grants_of(self, principal_type: PrincipalType, principal_id: int) -> None:
        """Drop every grant of a user or group that is being deleted: ids may be reused
        (SQLite), and a newcomer must not inherit them."""
        ...

    def set_grant(self, dataset_id: str, grant: Grant) -> None: ...
    def remove_grant(
        self, dataset_id: str, principal_type: PrincipalType, principal_id: int
    ) -> bool: ...


class StreamRepository(Protocol):
    def add(self, stream: Stream) -> Stream: ...
    def find(self, stream_id: int) -> Stream | None: ...
    def find_by_dataset(self, dataset_id: str) -> Stream | None: ...
    def page(self, dataset_ids: list[str] | None, limit: int, offset: int) -> list[Stream]: ...
    def update(self, stream: Stream) -> None:
        """Write the stream's definition; the scheduler's state (next run, pending retry) is
        written only by the methods below, so a concurrent edit never rewinds it."""
        ...

    def delete(self, stream_id: int) -> None: ...
    def due(self, now: datetime, limit: int) -> list[Stream]:
        """Streams whose next tick or pending retry is at or before `now`, earliest first."""
        ...

    def earliest_due(self) -> datetime | None:
        """The soonest next tick or pending retry of any stream."""
        ...

    def set_next_run(self, stream_id: int, at: datetime | None) -> None:
        """A new timetable (or a pause or resume): the next tick, whatever it was."""
        ...

    def move_next_run(self, stream_id: int, expected: datetime, new: datetime | None) -> bool:
        """Set the next tick to `new` only if it is still `expected` (a compare-and-set)."""
        ...

    def set_retry(
        self, stream_id: int, due_at: datetime | None, of: int | None, *, expected_of: int | None
    ) -> bool:
        """Set or clear the pending retry, only if it is still for `expected_of`."""
        ...


class TickRepository(Protocol):
    def add(self, tick: Tick) -> bool:
        """Record a claimed tick; False if that (stream, due moment) was claimed already."""
        ...

    def page(self, stream_id: int, limit: int, offset: int) -> list[Tick]: ...
    def prune(self, stream_id: int, keep: int) -> int:
        """Forget all but the newest `keep` ticks of a stream; how many went."""
        ...


class RunnerRepository(Protocol):
    def add(self, runner: Runner) -> None: ...
    def find(self, runner_id: str) -> Runner | None: ...
    def all(self) -> list[Runner]: ...
    def heartbeat(self, runner_id: str, now: datetime) -> bool: ...
    def delete(self, runner_id: str) -> None: ...


class ExecutionRepository(Protocol):
    def add(self, execution: Execution) -> Execution: ...
    def find(self, execution_id: int) -> Execution | None: ...
    def active_for_stream(self, stream_id: int) -> Execution | None: ...
    def list_for_stream(self, stream_id: int, limit: int, offset: int) -> list[Execution]: ...
    def list_by_phase(self, phase: Phase) -> list[Execution]: ...
    def list_finished_with_parts(self) -> list[int]: ...
    def update(
        self,
        execution: Execution,
        *,
        expect_state: ExecutionState | None = None,
        expect_phase: Phase | None = None,
    ) -> bool: ...
    def add_progress(self, execution_id: int, rows: int, nbytes: int) -> None: ...
    def delete(self, execution_id: int) -> None: ...
    def put_part(self, part: Part) -> Part | None: ...
    def find_part(self, execution_id: int, part_id: int) -> Part | None: ...
    def parts(self, execution_id: int) -> list[Part]: ...
    def delete_parts(self, execution_id: int) -> None: ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> Account: ...
    def find(self, account_id: int) -> Account | None: ...
    def all(self) -> list[Account]: ...
    def update(self, account: Account) -> None: ...
    def delete(self, account_id: int) -> None: ...
    def grants(self, account_id: int) -> list[Grant]: ...
    def grants_to(
        self, principal_type: PrincipalType, principal_id: int
    ) -> list[tuple[int, int, Grant]]:
        """Every grant this user or group holds directly: (account id, owner id, grant)."""
        ...

    def remove_grants_of(self, principal_type: PrincipalType, principal_id: int) -> None: ...
    def set_grant(self, account_id: int, grant: Grant) -> None: ...
    def remove_grant(
        self, account_id: int, principal_type: PrincipalType, principal_id: int
    ) -> bool: ...


class OAuthClientRepository(Protocol):
    def add(self, client: OAuthClient) -> None: ...
    def find(self, client_id: str) -> OAuthClient | None: ...
    def for_user(self, user_id: int | None) -> list[OAuthClient]: ...
    def revoke(self, client_id: str, now: datetime) -> None: ...


class PolicyRepository(Protocol):
    def add(self, policy: Policy) -> Policy: ...
    def find(self, policy_id: int) -> Policy | None: ...
    def for_dataset(self, dataset_id: str) -> list[Policy]: ...
    def update(self, policy: Policy) -> None: ...
    def delete(self, policy_id: int) -> None: ...
    def forget(self, principal_type: PrincipalType, principal_id: int) -> None:
        """Take a user or group that is being deleted off every policy (ids may be reused)."""
        ...


class PipelineRepository(Protocol):
    def add(self, pipeline: Pipeline) -> None: ...
    def find(self, pipeline_id: str) -> Pipeline | None: ...
    def find_by_name(self, name: str) -> Pipeline | None: ...
    def all(self) -> list[Pipeline]: ...
    def update(self, pipeline: Pipeline) -> None:
        """Save what the API changes (definition, desired status...); not the lease."""
        ...

    def delete(self, pipeline_id: str) -> None: ...
    def take_lease(self, pipeline_id: str, owner: str, now: datetime, until: datetime) -> bool:
        """Hold or renew the lease if it is free, lapsed or already `owner`'s."""
        ...

    def release_lease(self, pipeline_id: str, owner: str) -> None: ...
    def report_runtime(self, pipeline_id: str, owner: str, status: RuntimeStatus) -> bool:
        """The lease holder's runtime status; False if `owner` no longer holds the lease."""
        ...

    def connectors(self, pipeline_id: str) -> list[ConnectorState]: ...
    def put_connector(self, state: ConnectorState) -> None: ...
    def delete_connectors(self, pipeline_id: str) -> None: ...
    def set_connector_flags(
        self, pipeline_id: str, table: str, name: str, *, paused: bool, waiting: bool
    ) -> bool: ...
    def save_connector_progress(self, state: ConnectorState) -> None:
        """Stats and end of input, as the lease holder counted them; not the flags."""
        ...


class CheckRepository(Protocol):
    def find(self, dataset_id: str) -> CheckSet | None: ...
    def put(self, check_set: CheckSet) -> None:
        """Store the dataset's checks and on-failure policy, replacing what was there."""
        ...

    def set_quarantine(self, dataset_id: str, quarantine_dataset_id: str) -> None: ...


class PositionRepository(Protocol):
    def find(self, key: PositionKey) -> SavedPosition | None: ...
    def save(self, saved: SavedPosition) -> None:
        """Keep `saved` unless the row holds a newer version already (positions only move
        forward in versions; a restore is a newer version too)."""
        ...

    def delete(self, key: PositionKey) -> None: ...


class UnitOfWork(Protocol):
    """One metadata transaction. Leaving the block without `commit()` rolls back."""

    # Read-only properties, so an adapter may hold narrower repository types.
    @property
    def users(self) -> UserRepository: ...
    @property
    def groups(self) -> GroupRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def datasets(self) -> DatasetRepository: ...
    @property
    def streams(self) -> StreamRepository: ...
    @property
    def executions(self) -> ExecutionRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def ticks(self) -> TickRepository: ...
    @property
    def runners(self) -> RunnerRepository: ...
    @property
    def oauth_clients(self) -> OAuthClientRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def pipelines(self) -> PipelineRepository: ...
    @property
    def checks(self) -> CheckRepository: ...
    @property
    def positions(self) -> PositionRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractContextManager[UnitOfWork]: ...


@dataclass(frozen=True)
class StagedFile:
    path: str
    rows: int
    name: str  # the file's name once it joins the table


@dataclass(frozen=True)
class CommitResult:
    version: int
    row_count: int
    rows_written: int
    bytes_written: int


@dataclass(frozen=True)
class TaggedCommit:
    version: int
    metadata: dict[str, str]  # the commit's string metadata


class DatasetStore(Protocol):
    """Dataset data: one versioned table per dataset; each write is one atomic commit."""

    def commit(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        batches: Any,
        method: UpdateMethod,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
    ) -> CommitResult: ...

    def commit_files(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        files: Sequence[StagedFile],
        method: UpdateMethod,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
        rewrite_prefix: str | None = None,
    ) -> CommitResult:
        """Commit staged Parquet files (written with exactly the dataset's Arrow schema).

        APPEND and REPLACE adopt the files as they are: they move into the table and one log
        entry references them, so the commit costs the same whatever the data size. UPSERT
        reads them to merge. `files` are consumed either way.

        `rewrite_prefix` (a load that changed the dataset's columns): in the same commit the
        table takes `columns` as its schema and its rows are rewritten to it (new columns
        NULL, widened ones cast exactly) into files named `rewrite_prefix*`, so every file of
        a version has that version's schema, as readers expect."""
        ...

    def remove_orphans(self, dataset_id: str, prefix: str) -> None:
        """Delete files named `prefix*` that no version references (a commit that died)."""
        ...

    def data_files(self, dataset_id: str) -> list[str] | None: ...
    def version(self, dataset_id: str) -> int | None: ...
    def find_commit(self, dataset_id: str, key: str, value: str) -> CommitResult | None:
        """The commit whose metadata has `key` = `value`, if one landed (crash recovery)."""
        ...

    def tagged_commit(
        self, dataset_id: str, key: str, value: str, after: int = -1
    ) -> TaggedCommit | None:
        """The newest commit newer than version `after` whose metadata `key` is `value`
        (reading only the log entries above `after`); None if none, or no table."""
        ...

    def commit_metadata(self, dataset_id: str, version: int) -> dict[str, str] | None:
        """The metadata of version `version`'s commit; None if its log entry is gone."""
        ...

    def current_version(self, dataset_id: str) -> int | None:
        """The newest version, read cheaply (the table is kept open); None if no table."""
        ...

    def latest_metadata(self, dataset_id: str, key: str, value: str) -> dict[str, str] | None:
        """The metadata of the newest commit whose metadata has `key` = `value`."""
        ...

    def drop(self, dataset_id: str) -> None: ...

    def delete_rows(
        self, dataset_id: str, column: str, value: int, metadata: dict[str, str] | None = None
    ) -> CommitResult | None:
        """One commit removing every row whose `column` equals `value`; None (and no
        commit) when there is no table or no such row."""
        ...

    def apply_changes(
        self,
        dataset_id: str,
        columns: Sequence[Column],
        inserts: Any,
        deletes: Any,
        key_columns: Sequence[str] = (),
        metadata: dict[str, str] | None = None,
    ) -> CommitResult:
        """One commit that deletes rows and inserts (upserts, with keys) others.

        With key columns, an insert replaces the row with its key and a delete removes it;
        without, a delete removes the rows equal to it in every column."""
        ...

    def compact(self, dataset_id: str, min_files: int, retention_hours: float) -> int:
        """Rewrite small files into big ones once there are `min_files`; vacuum files that
        left the table more than `retention_hours` ago. Returns the files removed."""
        ...

    # -- versions ---------------------------------------------------------------------
    def versions(self, dataset_id: str, limit: int, offset: int) -> list[DataVersion]:
        """The table's versions, newest first (`offset` from the current one), with the rows
        each added and removed and whether it expired."""
        ...

    def version_snapshot(self, dataset_id: str, version: int) -> VersionSnapshot:
        """The files and schema of one version: `NotFound` if the table never had it,
        `VersionExpired` if it is past the retention horizon."""
        ...

    def restore(self, dataset_id: str, version: int, metadata: dict[str, str]) -> CommitResult:
        """One commit that makes `version`'s data (and schema) current again, tagged with
        `metadata`. `Conflict` if it is the current version, as `version_snapshot` else."""
        ...

    def metadata_as_of(
        self, dataset_id: str, version: int, key: str, value: str
    ) -> dict[str, str] | None:
        """The metadata of the newest commit at or before `version` whose `key` is `value`."""
        ...


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


class TokenSigner(Protocol):
    """Signs and verifies access tokens (JWTs) of the public API."""

    def sign(self, claims: dict[str, Any]) -> str: ...
    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this signer made and that has not expired; else
        `Unauthenticated`."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class StagedPart:
    path: str
    rows: int
    bytes_received: int
    columns: list[Column]
    # What the schema policy did to reach `columns` (new columns, widenings, drops, NULLs).
    schema_changes: SchemaChanges = field(default_factory=SchemaChanges)


class PartStaging(Protocol):
    """Parts of an upload on disk, validated and converted as they arrive, apart from the table."""

    def stage(
        self,
        execution_id: int,
        part_id: int,
        chunks: Iterable[bytes],
        columns: Sequence[Column] | None,
        gzip_hint: bool,
        header: bool = False,
        policy: SchemaPolicy = DEFAULT_POLICY,
        key_columns: Sequence[str] = (),
    ) -> StagedPart:
        """A CSV part staged against the dataset's `columns`. Headerless, its fields are the
        columns in order; with a `header` line, they are matched by name and `policy`
        decides about the names the dataset lacks, as for `stage_batches`."""
        ...

    def conform_file(self, path: str, columns: Sequence[Column]) -> None:
        """Rewrite a staged file to `columns` (a column it lacks is NULL): the parts of one
        upload whose headers differed, made to agree at commit."""
        ...

    def stage_batches(
        self,
        execution_id: int,
        part_id: int,
        batches: Iterable[Any],
        columns: Sequence[Column] | None,
        policy: SchemaPolicy = DEFAULT_POLICY,
        key_columns: Sequence[str] = (),
    ) -> StagedPart:
        """Batches conformed to the columns `policy` chooses from `columns` (the dataset's)
        and theirs: the part's `columns` and `schema_changes` say what it chose."""
        ...

    def columns_of(self, path: str) -> list[Column]: ...
    def discard(self, path: str) -> None: ...
    def discard_execution(self, execution_id: int) -> None: ...
    def staged_execution_ids(self) -> list[int]: ...


class RunDispatcher(Protocol):
    """Starts connector runs somewhere (a thread here; a worker engine later)."""

    def dispatch(self, execution_id: int) -> None: ...
