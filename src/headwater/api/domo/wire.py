"""Small serialization helpers shared by the Domo routers."""

from __future__ import annotations

from datetime import datetime


def epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)
