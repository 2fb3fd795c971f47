"""What a load's quality checks found, as both dialects show it on an execution."""

from __future__ import annotations

from typing import Any

from headwater.domain.check_results import CheckReport


def check_results_json(report: CheckReport | None) -> list[dict[str, Any]]:
    return [] if report is None else [r.as_dict() for r in report.results]


def quarantine_json(report: CheckReport | None) -> dict[str, Any] | None:
    if report is None or report.quarantine_dataset_id is None:
        return None
    return {"datasetId": report.quarantine_dataset_id, "rows": report.quarantined_rows}
