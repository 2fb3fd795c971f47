"""The connector SDK: one import for both shapes of connector, and the errors both raise.

Batch (`Connector`, run by a stream's execution, registered under the entry-point group
`headwater.connectors`):

    spec()               the JSON Schema of its configuration (secrets marked "secret": true,
                         the fields saying where they go "target": see `targets`)
    check(config)        can it reach the source with this configuration? raise if not
    discover(config)     the columns it will produce
    read(config, state)  Arrow record batches, and `Checkpoint(state)` after the batches it covers;
                         `Notice(message)` for what the run should report without failing

Streaming (`Source`, run continuously by a pipeline's connector, registered under
`headwater.sources` by Feldera's transport name): its class has `spec()` (the JSON Schema of
`transport.config`) and is called with a `SourceContext`; the source then has

    open(position)       start reading after the committed position (None: from the start)
    fetch(max, timeout)  `Fetched`: payloads (or Arrow rows), the position after them
    ack(position)        everything up to `position` is committed: acknowledge the source
    pause() / resume()   stop / start reading at the source itself
    close()

Errors are one tree under `HeadwaterError`: `TransientError` is retried with backoff (the one
`RetryPolicy`), `TerminalError` fails the run or stops the source. Connections go through
`egress` (and `egress_http` for httpx), which apply the egress policy.
"""

from headwater.connectors.connector import Checkpoint, Connector, Notice
from headwater.connectors.errors import ConnectorError, TerminalError, TransientError
from headwater.connectors.source import Fetched, Source, SourceContext, SourceFactory

__all__ = [
    "Checkpoint",
    "Connector",
    "ConnectorError",
    "Fetched",
    "Notice",
    "Source",
    "SourceContext",
    "SourceFactory",
    "TerminalError",
    "TransientError",
]
