"""One input connector of a running pipeline, on its own thread: fetch → buffer → commit → ack.

The worker fetches only while it is active (pipeline and connector both Running). It buffers
at most `max_queued_records` and commits a micro-batch when it holds `max_batch_records` or
its oldest record waited `commit_interval_seconds`, in one Delta commit that also records the
source position; only then does it acknowledge the source. Paused, it commits what it holds
and stops fetching at the source. A transient source error drops the uncommitted buffer and
reopens the source at the committed position, so nothing is lost and nothing doubled.

Errors: one that is `Terminal` (the SDK's `TerminalError`, an egress refusal) stops the
connector, its message the `fatal_error`; any other is transient: counted, then retried after
the reconnect policy's delay (`domain.retries.RECONNECTS`, at least a `TransientError`'s
`retry_after`).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from headwater.connectors.sdk import Fetched, Source, SourceContext
from headwater.domain.errors import Terminal
from headwater.domain.pipelines import ConnectorDef, ConnectorState, Pipeline, TableDef
from headwater.domain.retries import RECONNECTS, RetryPolicy
from headwater.services.pipelines.commits import PipelineCommits
from headwater.settings import PipelineSettings
from headwater.tabular.record_formats import Changes, RecordFormat
from headwater.tabular.types import arrow_schema

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """This process no longer holds the pipeline's lease: another may be running it."""


class CommitFailed(Exception):
    """The table did not take the batch (storage trouble): kept, and tried again."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ConnectorWorker:
    def __init__(
        self,
        pipeline: Pipeline,
        table: TableDef,
        connector: ConnectorDef,
        state: ConnectorState,
        factory: Callable[[SourceContext], Source],
        commits: PipelineCommits,
        settings: PipelineSettings,
        lease_ok: Callable[[], bool],
        allowed_dirs: tuple[str, ...] = (),
        retry: RetryPolicy = RECONNECTS,
    ) -> None:
        self.pipeline = pipeline
        self._retry = retry
        self.table = table
        self.connector = connector
        self._state = state
        self._factory = factory
        self._commits = commits
        self._settings = settings
        self._lease_ok = lease_ok
        self._context = SourceContext(
            pipeline.name,
            table.name,
            connector.name,
            connector.transport_config,
            table.columns,
            pipeline.table_datasets[table.name],
            allowed_dirs,
            connector.max_queued_records,
        )
        self._format: RecordFormat | None = None
        self._schema = arrow_schema(table.columns)
        self._lock = threading.Lock()  # guards _state between this thread and snapshots
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flush_on_stop = True
        self._pipeline_running = False
        self.opened = threading.Event()
        self.lease_lost = False
        self._thread = threading.Thread(
            target=self._run, name=f"connector {pipeline.name}/{state.endpoint}", daemon=True
        )
        # the micro-batch being gathered
        self._payloads: list[bytes] = []
        self._rows: list[pa.Table] = []
        self._buffered = 0
        self._buffered_since: float | None = None
        self._position: dict[str, Any] | None = None
        self._committed_position: dict[str, Any] | None = None
        self._source: Source

    # -- control (from the pipeline worker) ----------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def update(self, pipeline_running: bool, state: ConnectorState) -> None:
        with self._lock:
            changed = (
                pipeline_running != self._pipeline_running or state.paused != self._state.paused
            )
            self._pipeline_running = pipeline_running
            self._state.paused = state.paused
            self._state.waiting = state.waiting
        if changed:
            self._wake.set()

    def stop(self, flush: bool = True) -> None:
        self._flush_on_stop = flush
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def snapshot(self) -> ConnectorState:
        with self._lock:
            return copy.deepcopy(self._state)

    @property
    def active(self) -> bool:
        with self._lock:
            return self._pipeline_running and not self._state.paused

    # -- the loop ------------------------------------------------------------------------
    def _run(self) -> None:
        source = self._open_until_stopped()
        self.opened.set()
        if source is None:
            return
        self._source = source
        try:
            self._loop()
            if self._flush_on_stop:
                self._commit(self._source)
        except LeaseLost:
            self.lease_lost = True
            log.warning("%s: lease lost; stopping without committing", self._state.endpoint)
        except Terminal as exc:
            self._fatal(str(exc))
        except Exception as exc:
            log.exception("connector %s failed", self._state.endpoint)
            self._fatal(f"{type(exc).__name__}: {exc}")
        finally:
            try:
                self._source.close()
            except Exception:
                log.exception("closing %s", self._state.endpoint)

    def _open_until_stopped(self) -> Source | None:
        attempt = 0
        while not self._stop.is_set():
            try:
                self._format = (
                    RecordFormat(
                        self.table.columns,
                        self.connector.format,
                        self.table.primary_key,
                        self.table.case_sensitive,
                        self.table.schema_policy,
                    )
                    if self.connector.transport != "datagen"
                    else None
                )
                self._committed_position = self._commits.position(
                    self.pipeline, self.table.name, self.connector.name
                )
                self._position = self._committed_position
                source = self._factory(self._context)
                source.open(self._committed_position)
                self._healthy()
                return source
            except Terminal as exc:
                self._fatal(str(exc))
                return None
            except Exception as exc:  # the source is unreachable for now
                self._transport_error(f"cannot open the source: {exc}")
                attempt += 1
                self._stop.wait(self._retry.delay_after(exc, attempt))
        return None

    def _loop(self) -> None:
        fetching = True
        self._set_fetching(True)
        attempt = 0
        while not self._stop.is_set():
            try:
                fetching, attempt = self._step(fetching, attempt)
            except CommitFailed:  # the buffer is kept; the next turn commits it again
                attempt += 1
                self._stop.wait(self._retry.delay(attempt))

    def _step(self, fetching: bool, attempt: int) -> tuple[bool, int]:
        """One turn: commit and stop fetching while inactive, else fetch and maybe commit."""
        source = self._source
        with self._lock:
            finished = self._state.end_of_input
        if not self.active or finished:
            self._commit(source)
            if fetching and not finished:
                on_its_way = source.pause()  # stop at the source, not just here
                fetching = False
                if on_its_way is not None:  # read as it stopped: committed before resting
                    self._take(on_its_way)
                    self._commit(source)
                self._set_fetching(False)  # settled: nothing more arrives until resumed
            self._wake.wait(self._settings.poll_seconds)
            self._wake.clear()
            return fetching, attempt
        if not fetching:
            source.resume()
            fetching = True
            self._set_fetching(True)
        room = self.connector.max_queued_records - self._buffered
        if room <= 0:
            self._commit(source)
            return fetching, attempt
        try:
            fetched = source.fetch(
                min(room, self._settings.max_batch_records), self._fetch_timeout()
            )
        except Terminal:
            raise
        except Exception as exc:
            attempt += 1
            self._transport_error(str(exc))
            self._stop.wait(self._retry.delay_after(exc, attempt))
            self._source = self._reopen(source)
            return fetching, attempt
        if attempt:
            self._healthy()
        self._take(fetched)
        if fetched.end_of_input:
            self._commit(source)
            with self._lock:
                self._state.end_of_input = True
        elif self._due() or (fetched.idle and self._buffered):
            self._commit(source)
        return fetching, 0

    def _set_fetching(self, fetching: bool) -> None:
        with self._lock:
            self._state.stats.fetching = fetching

    def _reopen(self, source: Source) -> Source:
        """Start over from the committed position: the uncommitted buffer is read again."""
        self._drop_buffer()
        try:
            source.close()
        except Exception:
            log.debug("closing a failed source", exc_info=True)
        fresh = self._factory(self._context)
        try:
            fresh.open(self._committed_position)
            self._healthy()
        except Terminal:
            raise
        except Exception as exc:
            self._transport_error(f"cannot reopen the source: {exc}")
        return fresh

    def _fetch_timeout(self) -> float:
        interval = self._settings.commit_interval_seconds
        if self._buffered_since is None:
            return min(interval, self._settings.poll_seconds)
        left = interval - (time.monotonic() - self._buffered_since)
        return max(0.005, min(left, interval))

    def _due(self) -> bool:
        if not self._buffered:
            return False
        if self._buffered >= self._settings.max_batch_records:
            return True
        assert self._buffered_since is not None
        return time.monotonic() - self._buffered_since >= self._settings.commit_interval_seconds

    def _take(self, fetched: Fetched) -> None:
        if fetched.position is not None:
            self._position = fetched.position
        if fetched.duplicates:
            with self._lock:
                self._state.stats.num_duplicates_dropped += fetched.duplicates
        for notice in fetched.notices:
            with self._lock:
                self._state.stats.note_warning({"timestamp": _now(), "message": notice})
        if not fetched.records:
            return
        if fetched.rows is not None:
            self._rows.append(fetched.rows)
        else:
            self._payloads.extend(fetched.payloads)
        self._buffered += fetched.records
        if self._buffered_since is None:
            self._buffered_since = time.monotonic()
        with self._lock:
            self._state.stats.total_records += fetched.records
            self._state.stats.total_bytes += fetched.nbytes
            self._state.stats.buffered_records = self._buffered

    # -- commit --------------------------------------------------------------------------
    def _commit(self, source: Source) -> None:
        if not self._buffered and self._position == self._committed_position:
            return
        if not self._lease_ok():
            raise LeaseLost
        started = time.monotonic()
        changes = self._changes()
        if not changes.empty:
            try:
                self._commits.commit(
                    self.pipeline, self.table, changes, self.connector.name, self._position
                )
            except Exception as exc:
                log.exception("%s: commit failed", self._state.endpoint)
                self._transport_error(f"commit failed (kept, retrying): {exc}")
                raise CommitFailed from exc
            self._committed_position = self._position
        source.ack(self._position)  # parse errors only: acknowledged, never to land
        latency = (time.monotonic() - (self._buffered_since or started)) * 1000
        with self._lock:
            for error in changes.errors:
                self._state.stats.note_parse_error(
                    {
                        "timestamp": _now(),
                        "index": error.index,
                        "tag": None,
                        "message": error.description(),
                    }
                )
            if changes.unknown_field_records:
                self._state.stats.note_unknown_fields(
                    changes.unknown_field_records, changes.unknown_fields
                )
            self._state.stats.buffered_records = 0
            if changes.records:
                self._state.stats.last_commit_latency_ms = round(latency, 1)
        self._drop_buffer()

    def _changes(self) -> Changes:
        """The buffer as one batch: payloads decode together, so a batch's operations on
        one key net out before they reach the table."""
        first_index = self.snapshot().stats.total_records - self._buffered
        decoded = (
            self._format.decode(self._payloads, first_index)
            if self._format is not None and self._payloads
            else None
        )
        tables = [*self._rows, *([decoded.inserts] if decoded else [])]
        inserts = (
            pa.concat_tables([t.cast(self._schema) for t in tables])
            if tables
            else self._schema.empty_table()
        )
        deletes = decoded.deletes if decoded else self._schema.empty_table()
        records = sum(t.num_rows for t in self._rows) + (decoded.records if decoded else 0)
        if decoded is None:
            return Changes(inserts, deletes, records)
        return Changes(
            inserts,
            deletes,
            records,
            decoded.errors,
            decoded.unknown_field_records,
            decoded.unknown_fields,
        )

    def _drop_buffer(self) -> None:
        self._payloads, self._rows = [], []
        self._buffered = 0
        self._buffered_since = None
        with self._lock:
            self._state.stats.buffered_records = 0

    # -- health --------------------------------------------------------------------------
    def _transport_error(self, message: str) -> None:
        log.warning("%s: %s", self._state.endpoint, message)
        with self._lock:
            self._state.stats.note_transport_error(
                {"timestamp": _now(), "index": 0, "tag": None, "message": message}
            )
            self._state.stats.problem = message

    def _healthy(self) -> None:
        with self._lock:
            self._state.stats.fatal_error = None
            self._state.stats.problem = None

    def _fatal(self, message: str) -> None:
        log.error("%s stopped: %s", self._state.endpoint, message)
        with self._lock:
            self._state.stats.fatal_error = message
