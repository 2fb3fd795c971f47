"""How failed work is tried again: exponential backoff with a cap, and a budget of retries.

The same policy shape serves two levels: the transient errors inside one connector run (set
by the operator, `HEADWATER_CONNECTOR_MAX_RETRIES`), and the re-executions of a failed
scheduled run (per stream, `retryPolicy`, with the operator's default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headwater.domain.errors import InvalidInput


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 60.0

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds before retry number `attempt` (1-based): doubling from the first delay, or
        longer if the source asked (Retry-After), never past the cap."""
        backoff = self.first_delay_seconds * 2 ** (attempt - 1)
        return float(min(max(backoff, asked or 0.0), self.max_delay_seconds))

    def to_json(self) -> dict[str, Any]:
        return {
            "maxRetries": self.max_retries,
            "delaySeconds": self.first_delay_seconds,
            "maxDelaySeconds": self.max_delay_seconds,
        }


def parse_retry_policy(raw: Any, default: RetryPolicy | None = None) -> RetryPolicy | None:
    """A stream's `retryPolicy`: `{maxRetries, delaySeconds, maxDelaySeconds}`, each optional
    (missing ones come from `default`). None stays None: the operator's default applies."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("retryPolicy must be an object", field="retryPolicy")
    base = default or RetryPolicy()
    unknown = sorted(set(raw) - {"maxRetries", "delaySeconds", "maxDelaySeconds"})
    if unknown:
        raise InvalidInput(
            f"retryPolicy has unknown fields {', '.join(unknown)}; use maxRetries, "
            "delaySeconds, maxDelaySeconds",
            field=f"retryPolicy.{unknown[0]}",
        )
    retries = _number(raw, "maxRetries", base.max_retries, integer=True)
    delay = _number(raw, "delaySeconds", base.first_delay_seconds)
    cap = _number(raw, "maxDelaySeconds", max(base.max_delay_seconds, delay))
    if cap < delay:
        raise InvalidInput(
            "retryPolicy.maxDelaySeconds must not be below delaySeconds",
            field="retryPolicy.maxDelaySeconds",
        )
    return RetryPolicy(int(retries), float(delay), float(cap))


def _number(raw: dict[str, Any], name: str, default: float, *, integer: bool = False) -> float:
    value = raw.get(name, default)
    wrong = isinstance(value, bool) or not isinstance(value, int | float)
    if not wrong and integer and not float(value).is_integer():
        wrong = True
    if wrong or value < 0:
        kind = "a whole number" if integer else "a number"
        raise InvalidInput(
            f"retryPolicy.{name} must be {kind} >= 0, not {value!r}", field=f"retryPolicy.{name}"
        )
    return float(value)
