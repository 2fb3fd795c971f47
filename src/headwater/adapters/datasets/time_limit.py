"""A wall-clock limit on the work one DuckDB connection does for one job.

A timer thread calls `interrupt()` on the connection when the limit passes; DuckDB stops the
statement running then at its next check. An interrupt that comes between two statements
would be lost (DuckDB clears it when the next one starts), so `check()` is called before each
statement and between the batches of a streamed result: past the limit, no more work starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb


class TimeLimit:
    def __init__(self, connection: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self._connection = connection
        self.seconds = seconds
        self.expired = threading.Event()

    def _expire(self) -> None:
        self.expired.set()
        self._connection.interrupt()

    def check(self) -> None:
        """Raise `TimeLimitPassed` once the limit has passed."""
        if self.expired.is_set():
            raise TimeLimitPassed(self.seconds)


class TimeLimitPassed(Exception):
    """The job ran past its limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"stopped after the {seconds:g} s time limit")
        self.seconds = seconds


@contextmanager
def time_limited(
    connection: duckdb.DuckDBPyConnection, seconds: float
) -> Iterator[Callable[[], None]]:
    """Run the block under the limit; yields `check`. Any error the interrupt caused in the
    block (DuckDB's, or Arrow's while a result streams) comes out as `TimeLimitPassed`."""
    limit = TimeLimit(connection, seconds)
    timer = threading.Timer(seconds, limit._expire)
    timer.daemon = True
    timer.start()
    try:
        yield limit.check
    except TimeLimitPassed:
        raise
    except Exception as exc:
        if limit.expired.is_set():
            raise TimeLimitPassed(seconds) from exc
        raise
    finally:
        timer.cancel()
