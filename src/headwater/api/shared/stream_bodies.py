"""Stream request bodies in every form the seeds and clients send, turned into use-case input.

Bodies vary too much for one pydantic model (configuration alone has three shapes), so they
are read field by field here, each problem a 400 naming its field.
"""

from __future__ import annotations

from typing import Any

from headwater.api.ranges import parse_id
from headwater.domain.columns import parse_column
from headwater.domain.datasets import Column
from headwater.domain.errors import InvalidInput
from headwater.domain.retries import parse_retry_policy
from headwater.domain.schema_policy import parse_schema_policy
from headwater.domain.streams import (
    Transport,
    parse_configuration,
    parse_update_method,
    validate_schedule,
)
from headwater.services.ingest.streams import (
    UPDATABLE,
    NewDataset,
    StreamChanges,
    StreamSpec,
    schedule_json,
)


def _object(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{key} must be an object", field=key)
    return value


def parse_columns(raw: Any, field: str) -> list[Column] | None:
    if raw is None:
        return None
    columns = raw.get("columns") if isinstance(raw, dict) else raw
    if not isinstance(columns, list):
        raise InvalidInput(f"{field} must hold a list of columns", field=field)
    parsed = []
    for index, column in enumerate(columns):
        if not isinstance(column, dict) or "name" not in column or "type" not in column:
            raise InvalidInput(
                f"{field}.columns[{index}] needs a name and a type",
                field=f"{field}.columns[{index}]",
            )
        parsed.append(
            parse_column(
                str(column["name"]),
                str(column["type"]),
                column.get("precision"),
                column.get("scale"),
                field=f"{field}.columns[{index}]",
            )
        )
    return parsed


def _key_columns(body: dict[str, Any]) -> list[str]:
    raw = body.get("keyColumnNames", body.get("keyColumnName"))
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise InvalidInput("keyColumnNames must be a list of column names", field="keyColumnNames")
    return raw


def parse_spec(body: dict[str, Any]) -> StreamSpec:
    transport_raw = _object(body, "transport") or {}
    transport = Transport(
        type=str(transport_raw.get("type") or "API").upper(),
        version=str(transport_raw.get("version") or "1"),
        description=str(transport_raw.get("description") or ""),
    )
    provider = _object(body, "dataProvider") or {}
    account = _object(body, "account")
    configuration = body.get("configuration", body.get("streamConfiguration"))
    if configuration is None and isinstance(transport_raw.get("configurations"), list):
        configuration = transport_raw["configurations"]
    # pydomo calls the dataset "dataSet"; the product API "dataSource".
    source = _object(body, "dataSource") or _object(body, "dataSet")
    if source is None:
        raise InvalidInput(
            "dataSource is required: {name, description} or {id}", field="dataSource"
        )
    schema = source.get("schema") or body.get("schemaDefinition")
    dataset_id = source.get("id")
    new_dataset = None
    if dataset_id is None:
        if not isinstance(source.get("name"), str):
            raise InvalidInput(
                "dataSource.name is required to create a dataset", field="dataSource.name"
            )
        new_dataset = NewDataset(
            str(source["name"]),
            str(source.get("description") or ""),
            parse_columns(schema, "dataSource.schema"),
        )
    schedule = validate_schedule(body.get("schedule"))
    return StreamSpec(
        schedule_active=_schedule_active(body, schedule) is not False,
        retry_policy=parse_retry_policy(body.get("retryPolicy")),
        schema_policy=parse_schema_policy(body.get("schemaPolicy")),
        transport=transport,
        update_method=parse_update_method(body.get("updateMethod")),
        data_provider_key=str(provider["key"]) if provider.get("key") else None,
        account_id=parse_id(account["id"], "account.id") if account and "id" in account else None,
        configuration=parse_configuration(configuration),
        key_columns=_key_columns(body),
        dataset_id=str(dataset_id) if dataset_id is not None else None,
        new_dataset=new_dataset,
        schedule=schedule,
        advanced_schedule_json=schedule_json(body.get("advancedScheduleJson")),
    )


def parse_changes(
    body: dict[str, Any], *, extra_allowed: frozenset[str] = frozenset()
) -> StreamChanges:
    """PUT may change only what seed 002 lists; anything else is named in the 400."""
    allowed = UPDATABLE | extra_allowed
    refused = sorted(k for k in body if k not in allowed and k not in IGNORED_ON_PUT)
    if refused:
        raise InvalidInput(
            f"cannot change {', '.join(refused)}; a stream update may change only "
            f"{', '.join(sorted(allowed))}",
            field=refused[0],
        )
    source = _object(body, "dataSource") or {}
    account = _object(body, "account")
    configuration = body.get("configuration", body.get("streamConfiguration"))
    schedule = validate_schedule(body.get("schedule"))
    return StreamChanges(
        dataset_id=str(source["id"]) if source.get("id") is not None else None,
        dataset_name=str(source["name"]) if "name" in source else None,
        dataset_description=str(source["description"]) if "description" in source else None,
        account_id=parse_id(account["id"], "account.id") if account and "id" in account else None,
        configuration=parse_configuration(configuration) if configuration is not None else None,
        columns=parse_columns(body.get("schemaDefinition"), "schemaDefinition"),
        update_method=parse_update_method(body["updateMethod"])
        if "updateMethod" in extra_allowed and "updateMethod" in body
        else None,
        key_columns=_key_columns(body)
        if "keyColumnNames" in extra_allowed and "keyColumnNames" in body
        else None,
        schedule_active=_schedule_active(body, schedule),
        schedule=(schedule or {}) if "schedule" in body else None,
        advanced_schedule_json=(schedule_json(body["advancedScheduleJson"]) or "")
        if "advancedScheduleJson" in body
        else None,
        retry_policy=parse_retry_policy(body.get("retryPolicy")),
        reset_retry_policy="retryPolicy" in body and body["retryPolicy"] is None,
        schema_policy=parse_schema_policy(body.get("schemaPolicy")),
    )


def _schedule_active(body: dict[str, Any], schedule: dict[str, Any] | None) -> bool | None:
    """`scheduleActive: false` (or `schedule.active: false`) pauses; true resumes."""
    raw = body.get("scheduleActive")
    if raw is None and schedule is not None:
        raw = schedule.get("active")
    if raw is not None and not isinstance(raw, bool):
        raise InvalidInput("scheduleActive must be true or false", field="scheduleActive")
    return raw


# Read-only fields a client may echo back from a GET; they are not changes.
IGNORED_ON_PUT = {
    "id",
    "valid",
    "createdAt",
    "createdBy",
    "modifiedAt",
    "modifiedBy",
    "userId",
    "executions",
    "changes",
    "playbookRegistryId",
    "name",
    "displayName",
    "type",
    "dataProviderType",
    "nextRunAt",
    "scheduleState",
    "pendingRetry",
    "lastExecution",
    "currentExecution",
    "currentExecutionState",
}
