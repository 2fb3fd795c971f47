"""Continuous transports, one module each with the same shape: a class taking a
`SourceContext` and implementing `Source` (see `source.py`)."""

from __future__ import annotations

from headwater.runtime.continuous.datagen import DatagenSource
from headwater.runtime.continuous.file import FileSource
from headwater.runtime.continuous.mqtt import MqttSource
from headwater.runtime.continuous.nats import NatsSource
from headwater.runtime.continuous.source import SourceFactory
from headwater.runtime.continuous.url import UrlSource


def transports() -> dict[str, SourceFactory]:
    """Feldera's transport names to their sources."""
    return {
        "datagen": DatagenSource,
        "nats_input": NatsSource,
        "mqtt_input": MqttSource,
        "file_input": FileSource,
        "url_input": UrlSource,
    }
