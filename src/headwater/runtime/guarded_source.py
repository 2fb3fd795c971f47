"""A continuous source whose every step runs under the pipeline's egress guard.

The connector worker makes and drives sources through this wrapper, so whatever a transport
connects to while it is made, opened, fetched, paused or resumed passes the egress policy
(`headwater.connectors.egress`). A refusal stops the connector for good (TerminalError
naming the host and the rule), however the transport's client library wrapped it: retrying a
destination the policy refuses would only be refused again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from headwater.connectors import egress
from headwater.connectors.sdk import Fetched, Source, SourceContext, SourceFactory, TerminalError
from headwater.domain.errors import Terminal

T = TypeVar("T")


def guarded_factory(
    factory: SourceFactory, guard: egress.EgressGuard
) -> Callable[[SourceContext], Source]:
    def make(context: SourceContext) -> Source:
        return GuardedSource(_step(guard, lambda: factory(context)), guard)

    return make


class GuardedSource:
    def __init__(self, inner: Source, guard: egress.EgressGuard) -> None:
        self._inner = inner
        self._guard = guard

    def open(self, position: dict[str, Any] | None) -> None:
        _step(self._guard, lambda: self._inner.open(position))

    def fetch(self, max_records: int, timeout: float) -> Fetched:
        return _step(self._guard, lambda: self._inner.fetch(max_records, timeout))

    def ack(self, position: dict[str, Any] | None) -> None:
        _step(self._guard, lambda: self._inner.ack(position))

    def pause(self) -> Fetched | None:
        return _step(self._guard, self._inner.pause)

    def resume(self) -> None:
        _step(self._guard, self._inner.resume)

    def close(self) -> None:
        _step(self._guard, self._inner.close)


def _step(guard: egress.EgressGuard, call: Callable[[], T]) -> T:
    with _refusal_is_fatal(guard), egress.active(guard):
        return call()


@contextmanager
def _refusal_is_fatal(guard: egress.EgressGuard) -> Iterator[None]:
    try:
        yield
    except Terminal:
        raise
    except Exception as exc:
        refused = guard.refused or egress.refusal_in(exc)
        if refused is not None:
            raise TerminalError(str(refused)) from None
        raise
