"""The public API's JSON shapes (pydomo 0.3.0.16 and Domo's developer docs).

Times are ISO-8601 in UTC with milliseconds (`2016-02-29T20:56:20.567Z`); schema columns are
`{"type", "name"}` in that key order, because pydomo compares schemas as JSON strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from headwater.api.shared.checks_wire import check_results_json, quarantine_json
from headwater.api.shared.columns_wire import columns_json
from headwater.domain.executions import Execution
from headwater.domain.oauth import OAuthClient
from headwater.domain.policies import Policy
from headwater.domain.users import Group, User
from headwater.services.datasets.catalog import DatasetView
from headwater.services.ingest.streams import StreamView


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dataset_json(
    view: DatasetView, pdp_enabled: bool, policies: list[Policy] | None = None
) -> dict[str, Any]:
    ds = view.dataset
    body: dict[str, Any] = {
        "id": ds.id,
        "name": ds.name,
        "description": ds.description,
        "rows": ds.row_count,
        "columns": ds.column_count,
        "schema": {"columns": columns_json(ds.columns)},
        "owner": {"id": ds.owner_id, "name": view.owner_name},
        "createdAt": iso(ds.created_at),
        "updatedAt": iso(ds.updated_at),
        "dataCurrentAt": iso(ds.updated_at) if ds.data_version is not None else None,
        "pdpEnabled": pdp_enabled,
    }
    if policies is not None:  # only for those who may manage them
        body["policies"] = [policy_json(p) for p in policies]
    return body


def policy_json(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "type": policy.type.value,
        "name": policy.name,
        "filters": [
            {
                "column": f.column,
                "values": list(f.values),
                "operator": f.operator.value,
                "not": f.negate,
            }
            for f in policy.filters
        ],
        "users": list(policy.user_ids),
        "virtualUsers": list(policy.virtual_user_ids),
        "groups": list(policy.group_ids),
    }


def stream_json(view: StreamView, pdp_enabled: bool) -> dict[str, Any]:
    s, ds = view.stream, view.dataset
    return {
        "id": s.id,
        "dataSet": {
            "id": ds.id,
            "name": ds.name,
            "description": ds.description,
            "rows": ds.row_count,
            "columns": ds.column_count,
            "schema": {"columns": columns_json(ds.columns)},
            "owner": {"id": ds.owner_id, "name": view.owner_name},
            "createdAt": iso(ds.created_at),
            "updatedAt": iso(ds.updated_at),
            "pdpEnabled": pdp_enabled,
        },
        "updateMethod": s.update_method.value,
        "keyColumnNames": list(s.key_columns),
        "createdAt": iso(s.created_at),
        "modifiedAt": iso(s.modified_at),
    }


def execution_json(e: Execution) -> dict[str, Any]:
    return {
        "id": e.id,
        "streamId": e.stream_id,
        "startedAt": iso(e.started_at),
        "endedAt": iso(e.ended_at),  # always present: third-party clients read it directly
        "currentState": e.state.value,
        "createdAt": iso(e.started_at),
        "modifiedAt": iso(e.ended_at or e.started_at),
        "updateMethod": e.update_method.value,
        "rows": e.rows_inserted,
        "bytes": e.bytes_inserted,
        "errors": [{"message": message} for message in e.errors],
        "warnings": [{"message": message} for message in e.warnings],
        "checkResults": check_results_json(e.check_report),
        "quarantine": quarantine_json(e.check_report),
        # What the stream's schemaPolicy did: columns added, widened, dropped, filled with NULL.
        "schemaChanges": e.schema_changes.to_dict() if e.schema_changes else None,
    }


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.display_name,
        "email": user.email,
        "role": user.role.label,
        "roleId": int(user.role),
        "createdAt": iso(user.created_at),
        "updatedAt": iso(user.created_at),
    }


def group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "active": True,
        "default": False,
        "memberCount": len(group.member_ids),
    }


def client_json(client: OAuthClient) -> dict[str, Any]:
    return {
        "id": client.client_id,
        "clientId": client.client_id,
        "name": client.name,
        "scope": list(client.scopes),
        "userId": client.user_id,
        "createdAt": iso(client.created_at),
    }
