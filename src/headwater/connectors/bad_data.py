"""Input a connector cannot decode fails its run for good: `tabular`'s `BadData` (a malformed
file, an unknown format) becomes the connector contract's `TerminalError`, never retried."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from headwater.connectors.sdk import TerminalError
from headwater.domain.errors import BadData


@contextmanager
def bad_data_is_terminal() -> Iterator[None]:
    try:
        yield
    except BadData as exc:
        raise TerminalError(exc.message) from None
