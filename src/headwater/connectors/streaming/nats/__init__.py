"""`nats_input`: see `source.py` (the source) and `spec.py` (its `transport.config`)."""

from headwater.connectors.streaming.nats.source import NatsSource

__all__ = ["NatsSource"]
