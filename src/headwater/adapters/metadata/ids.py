"""The id the database gave a row just inserted."""

from __future__ import annotations

from typing import Any


def inserted_id(result: Any) -> int:
    key = result.inserted_primary_key
    if not key or key[0] is None:
        raise RuntimeError("the database returned no id for the inserted row")
    return int(key[0])
