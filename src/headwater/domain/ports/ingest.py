"""Ports of ingestion: streams, their schedules' ticks, executions, accounts, runners, staged upload
parts and where runs are dispatched."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from headwater.domain.access import Grant, PrincipalType
from headwater.domain.accounts import Account
from headwater.domain.datasets import Column
from headwater.domain.executions import Execution, ExecutionState, Phase
from headwater.domain.parts import Part
from headwater.domain.runners import Runner
from headwater.domain.schema_policy import DEFAULT_POLICY, SchemaChanges, SchemaPolicy
from headwater.domain.streams import Stream
from headwater.domain.ticks import Tick


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
