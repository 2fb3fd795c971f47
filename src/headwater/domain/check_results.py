"""What a dataset's quality checks found in one load: a verdict per check, and the report
kept on the execution (`Execution.check_report`).

The engine measures (`Measures`: failing rows per row check, samples, the newest value per
freshness column); `judge` turns that into results with their words. A report *blocks the
commit* when a check failed under FAIL or a load check failed (it singles out no row); it
*quarantines* when only row checks failed under QUARANTINE.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from headwater.domain.checks import Check, CheckKind, OnFailure

MAX_SAMPLES = 10
SAMPLE_TEXT_CHARS = 200  # a longer text value in a sample row is cut (the row is evidence)
SAMPLE_BYTES = 256 * 1024  # all sample rows of one execution, as JSON: past it, no more


class CheckStatus(Enum):
    PASSED = "PASSED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Measures:
    """What the engine found in the staged load: its rows; for each row check (by index in
    the list) the rows failing it and up to `MAX_SAMPLES` of them; for each freshness check
    the newest value (None if the column holds none)."""

    rows: int
    failing: Mapping[int, int] = field(default_factory=dict)
    samples: Mapping[int, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    newest: Mapping[int, datetime | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: CheckKind
    status: CheckStatus
    failing_rows: int | None  # a row check's failing rows; None for a load check
    message: str = ""
    samples: tuple[dict[str, Any], ...] = ()

    @property
    def failed(self) -> bool:
        return self.status is CheckStatus.FAILED

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind.value,
            "status": self.status.value,
            "failingRows": self.failing_rows,
            "message": self.message,
            "samples": [dict(s) for s in self.samples],
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> CheckResult:
        return cls(
            name=body["name"],
            kind=CheckKind(body["type"]),
            status=CheckStatus(body["status"]),
            failing_rows=body.get("failingRows"),
            message=body.get("message", ""),
            samples=tuple(dict(s) for s in body.get("samples") or ()),
        )


@dataclass(frozen=True)
class CheckReport:
    """What the checks of one execution found, and where its failing rows went."""

    on_failure: OnFailure
    results: tuple[CheckResult, ...]
    quarantine_dataset_id: str | None = None  # set before the quarantine commit is tried
    quarantined_rows: int = 0

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.failed]

    @property
    def blocks_commit(self) -> bool:
        """Nothing may be committed: a check failed under FAIL, or a load check failed."""
        return any(
            r.failed and (self.on_failure is OnFailure.FAIL or not r.kind.per_row)
            for r in self.results
        )

    @property
    def quarantines(self) -> bool:
        return not self.blocks_commit and bool(self.failed)

    def error_message(self) -> str:
        """The execution's error: each failed check and what it found. The sample rows stay in
        `checkResults`, shown only to callers who may read every row of the dataset."""
        found = "; ".join(f"quality check {r.name!r} failed: {r.message}" for r in self.failed)
        return f"{found} (nothing was committed; see checkResults)"

    def taken_back(self) -> CheckReport:
        """The report once the quarantined rows left the quarantine dataset again."""
        return CheckReport(self.on_failure, self.results)

    def without_samples(self) -> CheckReport:
        results = tuple(
            CheckResult(r.name, r.kind, r.status, r.failing_rows, r.message) for r in self.results
        )
        return CheckReport(
            self.on_failure, results, self.quarantine_dataset_id, self.quarantined_rows
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "onFailure": self.on_failure.value,
            "results": [r.as_dict() for r in self.results],
            "quarantineDatasetId": self.quarantine_dataset_id,
            "quarantinedRows": self.quarantined_rows,
        }

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> CheckReport:
        return cls(
            on_failure=OnFailure(body["onFailure"]),
            results=tuple(CheckResult.from_dict(r) for r in body.get("results") or ()),
            quarantine_dataset_id=body.get("quarantineDatasetId"),
            quarantined_rows=int(body.get("quarantinedRows") or 0),
        )


def judge(
    checks: Sequence[Check], measures: Measures, on_failure: OnFailure, load_time: datetime
) -> CheckReport:
    """Turn what the engine measured into a verdict per check. Sample rows are kept while
    they fit `SAMPLE_BYTES` together, so a report stays small whatever the rows hold."""
    results = []
    room = SAMPLE_BYTES
    for index, check in enumerate(checks):
        if check.kind.per_row:
            failing = measures.failing.get(index, 0)
            kept = []
            for row in measures.samples.get(index, ())[:MAX_SAMPLES]:
                sample = {k: json_value(v) for k, v in row.items()}
                room -= len(json.dumps(sample, ensure_ascii=False))
                if room < 0:
                    break
                kept.append(sample)
            samples = tuple(kept)
            status = CheckStatus.FAILED if failing else CheckStatus.PASSED
            message = _row_message(check, failing, measures.rows) if failing else ""
            results.append(CheckResult(check.name, check.kind, status, failing, message, samples))
        elif check.kind is CheckKind.ROW_COUNT:
            results.append(_row_count(check, measures.rows))
        elif measures.rows == 0:  # nothing to judge (ROW_COUNT is the check for emptiness)
            results.append(CheckResult(check.name, check.kind, CheckStatus.PASSED, None))
        else:
            results.append(_freshness(check, measures.newest.get(index), load_time))
    return CheckReport(on_failure, tuple(results))


def _row_message(check: Check, failing: int, rows: int) -> str:
    of = f"{failing} of {rows} rows"
    if check.kind is CheckKind.NOT_NULL:
        return f"{of} have no value in {check.column!r}"
    if check.kind is CheckKind.UNIQUE:
        keys = ", ".join(check.columns)
        return f"{of} share their ({keys}) with another row"
    if check.kind is CheckKind.ACCEPTED_VALUES:
        return f"{of} have {check.column!r} outside the accepted values"
    if check.kind is CheckKind.RANGE:
        return f"{of} have {check.column!r} outside {_range_text(check)}"
    return f"{of} have {check.column!r} not matching {check.pattern!r}"


def _range_text(check: Check) -> str:
    if check.min is None:
        return f"(at most {check.max})"
    if check.max is None:
        return f"(at least {check.min})"
    return f"[{check.min}, {check.max}]"


def _row_count(check: Check, rows: int) -> CheckResult:
    too_few = check.min is not None and rows < int(check.min)
    too_many = check.max is not None and rows > int(check.max)
    if not (too_few or too_many):
        return CheckResult(check.name, check.kind, CheckStatus.PASSED, None)
    bound = f"at least {check.min}" if too_few else f"at most {check.max}"
    message = f"the load has {rows} rows; {bound} expected"
    return CheckResult(check.name, check.kind, CheckStatus.FAILED, None, message)


def _freshness(check: Check, newest: datetime | None, load_time: datetime) -> CheckResult:
    hours = float(check.max_age_hours or 0)
    if newest is None:
        message = f"{check.column!r} holds no value in any row of the load"
        return CheckResult(check.name, check.kind, CheckStatus.FAILED, None, message)
    moment = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
    age = load_time - moment
    if age <= timedelta(hours=hours):
        return CheckResult(check.name, check.kind, CheckStatus.PASSED, None)
    # The newest value is a row's value: it goes where samples go (withheld from callers a
    # row policy restricts), never into the message, which every reader sees.
    message = (
        f"the newest {check.column!r} is more than {hours:g} hours before the load "
        "(the newest value is in samples)"
    )
    newest_value = {check.column: moment.replace(tzinfo=None).isoformat(sep=" ")}
    return CheckResult(check.name, check.kind, CheckStatus.FAILED, None, message, (newest_value,))


def json_value(value: Any) -> Any:
    """A sample's value as JSON can carry it and every database's JSON column can store it."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = value.hex() if isinstance(value, bytes) else str(value)
    if len(text) > SAMPLE_TEXT_CHARS:
        return text[:SAMPLE_TEXT_CHARS] + "…"
    return text
