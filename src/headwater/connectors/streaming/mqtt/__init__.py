"""`mqtt_input`: see `source.py` (the source) and `spec.py` (its `transport.config`)."""

from headwater.connectors.streaming.mqtt.source import MqttSource

__all__ = ["MqttSource"]
