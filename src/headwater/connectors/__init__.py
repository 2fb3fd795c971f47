"""The connector SDK: what a connector declares and yields, and the registry that finds them.

A connector is an object with four methods, in the order a run uses them:

    spec()               the JSON Schema of its configuration (secrets marked "secret": true,
                         the fields saying where they go "target": see `targets`)
    check(config)        can it reach the source with this configuration? raise if not
    discover(config)     the columns it will produce
    read(config, state)  Arrow record batches, and `Checkpoint(state)` after the batches it covers;
                         `Notice(message)` for what the run should report without failing

Errors are typed: `TransientError` is retried with backoff, `TerminalError` fails the run.
Connections go through `egress` (and `egress_http` for httpx), which apply the egress policy.
"""

from headwater.connectors.sdk import (
    Checkpoint,
    Connector,
    ConnectorError,
    Notice,
    TerminalError,
    TransientError,
)

__all__ = [
    "Checkpoint",
    "Connector",
    "ConnectorError",
    "Notice",
    "TerminalError",
    "TransientError",
]
