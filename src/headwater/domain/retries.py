"""How failed work is tried again: exponential backoff with a cap, and a budget of retries.

`RetryPolicy` is the one source of retry delays. It serves three levels:

- the transient errors inside one batch connector run (set by the operator,
  `HEADWATER_CONNECTOR_MAX_RETRIES` and `HEADWATER_CONNECTOR_RETRY_DELAY_SECONDS`: 1 s
  doubling, up to 60 s, 3 retries by default; `services.ingest.connector_runs`);
- the re-executions of a failed scheduled run (per stream, `retryPolicy`, with the operator's
  default `HEADWATER_SCHEDULER__RETRY_*`: 60 s doubling; `services.ingest.retries`);
- a pipeline's streaming source reconnecting after a transient error, or a commit tried again
  (`RECONNECTS`: 0.5 s doubling up to 10 s, for as long as the pipeline runs;
  `runtime.connector_worker`).

What is worth retrying is the error's to say: `domain.errors.Transient` (with its
`retry_after`, the source's own wish) or `domain.errors.Terminal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from headwater.domain.errors import InvalidInput, Transient


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int | None = 3  # None: never gives up (a source retries while its pipeline runs)
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 60.0

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds before retry number `attempt` (1-based): doubling from the first delay, or
        longer if the source asked (Retry-After), never past the cap."""
        backoff = self.first_delay_seconds * 2 ** (attempt - 1)
        return float(min(max(backoff, asked or 0.0), self.max_delay_seconds))

    def delay_after(self, error: BaseException, attempt: int) -> float:
        """`delay(attempt)`, at least what a transient `error` asked for (its retry_after)."""
        asked = error.retry_after if isinstance(error, Transient) else None
        return self.delay(attempt, asked)

    def gives_up(self, attempt: int) -> bool:
        """Is retry number `attempt` (1-based) past the budget?"""
        return self.max_retries is not None and attempt > self.max_retries

    def to_json(self) -> dict[str, Any]:
        return {
            "maxRetries": self.max_retries,
            "delaySeconds": self.first_delay_seconds,
            "maxDelaySeconds": self.max_delay_seconds,
        }


# A pipeline's streaming source: reconnects (and commits tried again) wait 0.5, 1, 2, 4, 8,
# then 10 s each, for as long as the pipeline runs. Until issue 17 the worker had its own
# table (0.5, 1, 2, 5, 10): the same start and cap, now doubling like every other retry.
RECONNECTS = RetryPolicy(max_retries=None, first_delay_seconds=0.5, max_delay_seconds=10.0)


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
    # a stream's policy always has a budget (only RECONNECTS has none, and it is no default)
    retries = _number(raw, "maxRetries", base.max_retries or 0, integer=True)
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
