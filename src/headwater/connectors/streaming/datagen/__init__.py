"""`datagen`: see `source.py` (the source) and `spec.py` (its `transport.config`)."""

from headwater.connectors.streaming.datagen.source import DatagenSource

__all__ = ["DatagenSource"]
