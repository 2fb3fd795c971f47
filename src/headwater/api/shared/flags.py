"""Yes/no query parameters as Domo clients send them."""

from __future__ import annotations

from headwater.domain.errors import InvalidInput


def parse_flag(raw: str | None, name: str) -> bool:
    """pydomo sends Python's `str(bool)`: True/False; others send true/false, 1/0."""
    if raw is None or raw == "":
        return False
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false, not {raw!r}", field=name)
