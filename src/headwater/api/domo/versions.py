"""A dataset's data versions: `GET .../versions` and `POST .../versions/{n}/restore`.

Reading an old version is `dataVersion` on the query (`api/domo/query.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.executions_wire import execution_json
from headwater.api.domo.responses import DomoRestored, DomoVersion
from headwater.api.openapi_responses import typed
from headwater.api.ranges import VersionNumber
from headwater.api.shared.paging import PageDep
from headwater.services.ingest.versions import VersionView

router = APIRouter(tags=["datasets"])

# Statuses no rule derives (see `api.openapi_errors`): a version past the retention horizon.
GONE: dict[int | str, dict[str, Any]] = {
    410: {"description": "The version is past the retention horizon (VERSION_EXPIRED)."}
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def version_json(view: VersionView) -> dict[str, Any]:
    v = view.version
    return {
        "version": v.version,
        "time": iso(v.committed_at),
        "operation": v.operation.value,
        "deltaOperation": v.storage_operation,
        "rowsAdded": v.rows_added,
        "rowsRemoved": v.rows_removed,
        "rowCount": v.row_count,
        "executionId": view.execution_id,
        "streamId": view.stream_id,
        "user": None if view.user_id is None else {"id": view.user_id, "name": view.user_name},
        "restoredFrom": v.restored_from,
        "current": view.current,
        "expired": v.expired,
    }


@router.get("/api/data/v3/datasources/{dataset_id}/versions", responses=typed(list[DomoVersion]))
def list_versions(
    dataset_id: str, caller: Caller, services: ServicesDep, page: PageDep
) -> list[dict[str, Any]]:
    """Newest first. `expired` versions are listed (the history stays auditable) but can no
    longer be read or restored."""
    views = services.ingest.versions.page(caller, dataset_id, page.limit, page.offset)
    return [version_json(v) for v in views]


@router.post(
    "/api/data/v3/datasources/{dataset_id}/versions/{version}/restore",
    responses={**typed(DomoRestored), **GONE},
)
def restore_version(
    dataset_id: str, version: VersionNumber, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    """Make version `version` the current data, as a new version written by an execution of
    the dataset's stream (CAN_EDIT)."""
    execution = services.ingest.versions.restore(caller, dataset_id, version)
    return {
        "dataSourceId": dataset_id,
        "restoredVersion": version,
        "rowCount": execution.rows_inserted,
        **execution_json(execution),
    }
