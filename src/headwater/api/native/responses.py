"""What Headwater's own paths answer, for the OpenAPI document."""

from __future__ import annotations

from headwater.api.shared.wire_model import WireModel


class Health(WireModel):
    status: str = "ok"
    version: str
