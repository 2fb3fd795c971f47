"""Connectors: the SDK (`sdk`: a batch `Connector` and a streaming `Source`, one error tree),
the registry that finds them through entry points, the built-in batch connectors (`builtin`)
and streaming sources (`streaming`), and the egress policy every connection passes."""

from headwater.connectors.sdk import (
    Checkpoint,
    Connector,
    ConnectorError,
    Fetched,
    Notice,
    Source,
    SourceContext,
    SourceFactory,
    TerminalError,
    TransientError,
)

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
