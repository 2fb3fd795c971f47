"""A connector run: read batches → check against the dataset schema → stage → one commit.

Runs on a worker thread (see `headwater.runtime.executor`). Memory stays bounded: batches go
to a staged Parquet file as they arrive and the commit streams them from disk. An abort stops
the read at the next batch and writes nothing. Transient connector errors are retried with
exponential backoff, counted in `retryCount`; terminal ones end the run in ERROR.

Incremental state travels with the data: the last `Checkpoint` a run saw is written into the
metadata of the very Delta commit that lands its rows, and the next run starts from the state
of the newest commit its stream made. A run that dies before its commit leaves both the rows
and the state as they were, so the rerun reads the same rows again, exactly once.

The connector's configuration is the stream's with its account's on top; a stream value that
the account owns (a secret, a target) fails the run (`connectors.targets`). The connector's
code runs under an egress guard (`connectors.egress`), exempt only if an admin chose the
destination: the account's `configured_by` when the stream uses one, else the stream's. A
refused connection fails the run at once, naming the host and the rule, however the
connector's libraries wrapped the refusal.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from threading import Event
from typing import Any

import pyarrow as pa

from headwater.connectors import egress
from headwater.connectors.config import prepare_config
from headwater.connectors.registry import ConnectorRegistry
from headwater.connectors.sdk import Checkpoint, Notice, TerminalError, TransientError
from headwater.connectors.targets import merged
from headwater.domain.datasets import UpdateMethod
from headwater.domain.egress import EgressPolicy
from headwater.domain.errors import Conflict, HeadwaterError
from headwater.domain.executions import Execution, ExecutionState, Phase
from headwater.domain.ports.ingest import PartStaging
from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.positions import STREAM_TAG, PositionKey
from headwater.domain.retries import RetryPolicy
from headwater.services.datasets.positions import Positions
from headwater.services.ingest.committer import Committer
from headwater.services.ingest.executions import CancelSignals

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5
STREAM_KEY = STREAM_TAG  # commit metadata: which stream's run made this commit
STATE_KEY = "headwater.state"  # commit metadata: the connector state after this commit


class Aborted(Exception):
    """The execution was aborted while reading."""


@contextmanager
def _refusals_unwrapped(guard: egress.EgressGuard) -> Iterator[None]:
    """An egress refusal, as itself (terminal), whatever a library wrapped it in."""
    try:
        yield
    except (Aborted, egress.EgressRefused):
        raise
    except Exception as exc:
        refused = guard.refused or egress.refusal_in(exc)
        if refused is not None:
            raise refused from None
        raise


@dataclass
class _Seen:
    """The state of the last checkpoint a read has handed over, and its notices."""

    state: dict[str, Any]
    notices: list[str]


class ConnectorRuns:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        staging: PartStaging,
        store: DatasetStore,
        committer: Committer,
        registry: ConnectorRegistry,
        cancels: CancelSignals,
        retry: RetryPolicy,
        pause_after_batch: float = 0.0,
        egress_policy: EgressPolicy | None = None,
        positions: Positions | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staging = staging
        self._store = store
        self._committer = committer
        self._registry = registry
        self._cancels = cancels
        self._retry = retry
        self._pause_after_batch = pause_after_batch  # fault injection for crash tests only
        self._egress = egress_policy or EgressPolicy()
        self._positions = positions or Positions(uow, store)

    def run(self, execution_id: int) -> Execution | None:
        cancel = self._cancels.event(execution_id)
        try:
            return self._run(execution_id, cancel)
        finally:
            self._cancels.forget(execution_id)
            self._staging.discard_execution(execution_id)

    def _run(self, execution_id: int, cancel: Event) -> Execution | None:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
            if execution is None or execution.finished:
                return execution
            stream = uow.streams.find(execution.stream_id)
            dataset = uow.datasets.find(execution.dataset_id)
            account = uow.accounts.find(stream.account_id) if stream and stream.account_id else None
            chooser = None
            if stream is not None:
                chooser = uow.users.find(account.chooser if account else stream.chooser)
        if stream is None or dataset is None:
            return self._fail(execution_id, "the stream or its dataset was deleted")
        exempt = chooser is not None and chooser.is_admin
        keys = stream.key_columns if execution.update_method is UpdateMethod.UPSERT else []
        previous = self.state_of(dataset.id, stream.id)
        attempt = 0
        while True:
            seen = _Seen(dict(previous), [])
            guard = egress.EgressGuard(self._egress, exempt)
            try:
                connector = self._registry.get(stream.data_provider_key)
                spec = connector.spec()
                values = merged(
                    stream.data_provider_key,
                    spec,
                    account.values() if account else None,
                    stream.config_dict(),
                )
                config = prepare_config(spec, values)
                with _refusals_unwrapped(guard), egress.active(guard):
                    items = connector.read(config, previous)
                with _refusals_unwrapped(guard):
                    staged = self._staging.stage_batches(
                        execution_id,
                        0,
                        self._watched(execution_id, egress.guarded(guard, items), cancel, seen),
                        dataset.columns,
                        stream.policy,
                        keys,
                    )
                break
            except Aborted:
                return None
            except TransientError as exc:
                attempt += 1
                if self._retry.gives_up(attempt):
                    return self._fail(execution_id, f"gave up after {attempt - 1} retries: {exc}")
                self._note_retry(execution_id, attempt)
                self._staging.discard_execution(execution_id)
                if cancel.wait(self._retry.delay_after(exc, attempt)):
                    return None
            except (TerminalError, HeadwaterError) as exc:
                return self._fail(execution_id, str(exc))
            except Exception as exc:
                log.exception("connector run %s failed", execution_id)
                return self._fail(execution_id, f"{type(exc).__name__}: {exc}")
        try:
            execution = self._committer.begin(execution_id)
        except Conflict:
            return None  # aborted between the last batch and the commit
        columns = staged.columns or dataset.columns
        if not columns:  # a first run that found nothing: no schema yet, nothing to commit
            return self._committer.end(execution_id, ExecutionState.SUCCESS, warnings=seen.notices)
        return self._committer.land(
            execution,
            [(staged.path, staged.rows)],
            columns,
            execution.update_method,
            stream.key_columns,
            bytes_in=staged.bytes_received,
            metadata={STREAM_KEY: str(stream.id), STATE_KEY: json.dumps(seen.state)},
            schema_changes=staged.schema_changes,
            position=(stream_position(dataset.id, stream.id), seen.state),
            warnings=seen.notices,
        )

    def state_of(self, dataset_id: str, stream_id: int) -> dict[str, Any]:
        """The state the stream's newest commit on the dataset recorded ({} if none), found
        through its durable position (`services.datasets.positions`)."""
        state = self._positions.current(stream_position(dataset_id, stream_id), STATE_KEY)
        return state if isinstance(state, dict) else {}

    def _watched(
        self,
        execution_id: int,
        items: Iterator[pa.RecordBatch | Checkpoint | Notice],
        cancel: Event,
        seen: _Seen,
    ) -> Iterator[pa.RecordBatch]:
        """Pass batches through, checking for an abort and publishing progress as they go;
        note each checkpoint's state in `seen`."""
        rows = nbytes = 0
        peak = pa.total_allocated_bytes()
        last = time.monotonic()
        for item in items:
            if cancel.is_set():
                raise Aborted
            if isinstance(item, Checkpoint):
                seen.state = dict(item.state)
                continue
            if isinstance(item, Notice):
                seen.notices.append(item.message)
                continue
            rows += item.num_rows
            nbytes += item.nbytes
            peak = max(peak, pa.total_allocated_bytes())
            yield item
            if self._pause_after_batch and cancel.wait(self._pause_after_batch):
                raise Aborted
            if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
                if self._aborted(execution_id):  # by another process, which cannot signal us
                    raise Aborted
                self._progress(execution_id, rows, nbytes, peak)
                rows = nbytes = 0
                last = time.monotonic()
        self._progress(execution_id, rows, nbytes, peak)
        if cancel.is_set():
            raise Aborted

    def _aborted(self, execution_id: int) -> bool:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
        return execution is None or execution.state is not ExecutionState.ACTIVE

    def _progress(self, execution_id: int, rows: int, nbytes: int, peak: int) -> None:
        with self._uow() as uow:
            uow.executions.add_progress(execution_id, rows, nbytes)
            execution = uow.executions.find(execution_id)
            if execution is not None and (execution.peak_memory_bytes or 0) < peak:
                execution.peak_memory_bytes = peak
                uow.executions.update(execution, expect_state=ExecutionState.ACTIVE)
            uow.commit()

    def _note_retry(self, execution_id: int, attempt: int) -> None:
        with self._uow() as uow:
            execution = uow.executions.find(execution_id)
            if execution is None:
                return
            # A scheduled retry starts counting where the run it retries left off.
            execution.retry_count = execution.attempt - 1 + attempt
            execution.rows_inserted = execution.bytes_inserted = 0
            uow.executions.update(
                execution, expect_state=ExecutionState.ACTIVE, expect_phase=Phase.UPLOADING
            )
            uow.commit()

    def _fail(self, execution_id: int, message: str) -> Execution | None:
        try:
            return self._committer.end(execution_id, ExecutionState.ERROR, error=message)
        except Conflict:
            return None  # aborted meanwhile: ABORTED stands


def stream_position(dataset_id: str, stream_id: int) -> PositionKey:
    """Where a stream's durable position is kept."""
    return PositionKey(dataset_id, STREAM_TAG, str(stream_id))
