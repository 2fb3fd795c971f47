"""Streams in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import streams
from headwater.domain.datasets import UpdateMethod
from headwater.domain.retries import RetryPolicy, parse_retry_policy
from headwater.domain.schema_policy import parse_schema_policy
from headwater.domain.streams import ConfigEntry, Stream, Transport


def _entries_to_json(entries: list[ConfigEntry]) -> list[dict[str, Any]]:
    return [
        {"name": e.name, "value": e.value, "type": e.type, "category": e.category} for e in entries
    ]


def _stream(row: Any) -> Stream:
    return Stream(
        id=row.id,
        dataset_id=row.dataset_id,
        owner_id=row.owner_id,
        transport=Transport(row.transport_type, row.transport_version, row.transport_description),
        update_method=UpdateMethod(row.update_method),
        created_at=row.created_at,
        modified_at=row.modified_at,
        created_by=row.created_by,
        modified_by=row.modified_by,
        configured_by=row.configured_by,
        data_provider_key=row.data_provider_key,
        account_id=row.account_id,
        configuration=[ConfigEntry(**e) for e in row.configuration or []],
        key_columns=list(row.key_columns or []),
        schedule=row.schedule,
        advanced_schedule_json=row.advanced_schedule_json,
        schedule_active=bool(row.schedule_active),
        next_run_at=row.next_run_at,
        retry_policy=parse_retry_policy(row.retry_policy),
        retry_due_at=row.retry_due_at,
        retry_of=row.retry_of,
        schema_policy=parse_schema_policy(row.schema_policy),
    )


def _policy_json(policy: RetryPolicy | None) -> dict[str, Any] | None:
    return policy.to_json() if policy else None


def _values(stream: Stream) -> dict[str, Any]:
    return {
        "dataset_id": stream.dataset_id,
        "owner_id": stream.owner_id,
        "transport_type": stream.transport.type,
        "transport_version": stream.transport.version,
        "transport_description": stream.transport.description,
        "data_provider_key": stream.data_provider_key,
        "account_id": stream.account_id,
        "configuration": _entries_to_json(stream.configuration),
        "update_method": stream.update_method.value,
        "key_columns": list(stream.key_columns),
        "schedule": stream.schedule,
        "advanced_schedule_json": stream.advanced_schedule_json,
        "schedule_active": stream.schedule_active,
        "created_at": stream.created_at,
        "modified_at": stream.modified_at,
        "created_by": stream.created_by,
        "modified_by": stream.modified_by,
        "configured_by": stream.configured_by,
        "retry_policy": _policy_json(stream.retry_policy),
        "schema_policy": stream.schema_policy.value if stream.schema_policy else None,
    }


class SqlStreamRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, stream: Stream) -> Stream:
        result = self._c.execute(
            streams.insert().values(**_values(stream), next_run_at=stream.next_run_at)
        )
        stream_id = inserted_id(result)
        stream.id = stream_id
        return stream

    def find(self, stream_id: int) -> Stream | None:
        row = self._c.execute(streams.select().where(streams.c.id == stream_id)).first()
        return _stream(row) if row else None

    def find_by_dataset(self, dataset_id: str) -> Stream | None:
        row = self._c.execute(streams.select().where(streams.c.dataset_id == dataset_id)).first()
        return _stream(row) if row else None

    def page(self, dataset_ids: list[str] | None, limit: int, offset: int) -> list[Stream]:
        """Streams in id order; only those of `dataset_ids` unless it is None (admin)."""
        query = streams.select()
        if dataset_ids is not None:
            query = query.where(streams.c.dataset_id.in_(dataset_ids))
        query = query.order_by(streams.c.id).limit(limit).offset(offset)
        return [_stream(row) for row in self._c.execute(query)]

    def all_ids(self) -> list[int]:
        return list(self._c.execute(sa.select(streams.c.id).order_by(streams.c.id)).scalars())

    def update(self, stream: Stream) -> None:
        self._c.execute(streams.update().where(streams.c.id == stream.id).values(**_values(stream)))

    def delete(self, stream_id: int) -> None:
        self._c.execute(streams.delete().where(streams.c.id == stream_id))

    # -- the scheduler's state ------------------------------------------------------------
    def due(self, now: datetime, limit: int) -> list[Stream]:
        tick, retry = streams.c.next_run_at, streams.c.retry_due_at
        soonest = sa.case(
            (tick.is_(None), retry), (retry.is_(None), tick), (tick < retry, tick), else_=retry
        )
        query = (
            streams.select()
            .where(sa.or_(streams.c.next_run_at <= now, streams.c.retry_due_at <= now))
            .order_by(soonest)
            .limit(limit)
        )
        return [_stream(row) for row in self._c.execute(query)]

    def earliest_due(self) -> datetime | None:
        ticks = self._c.execute(sa.select(sa.func.min(streams.c.next_run_at))).scalar()
        retries = self._c.execute(sa.select(sa.func.min(streams.c.retry_due_at))).scalar()
        found = [moment for moment in (ticks, retries) if moment is not None]
        return min(found) if found else None

    def set_next_run(self, stream_id: int, at: datetime | None) -> None:
        self._c.execute(streams.update().where(streams.c.id == stream_id).values(next_run_at=at))

    def move_next_run(self, stream_id: int, expected: datetime, new: datetime | None) -> bool:
        result = self._c.execute(
            streams.update()
            .where(streams.c.id == stream_id, streams.c.next_run_at == expected)
            .values(next_run_at=new)
        )
        return bool(result.rowcount)

    def set_retry(
        self, stream_id: int, due_at: datetime | None, of: int | None, *, expected_of: int | None
    ) -> bool:
        query = streams.update().where(streams.c.id == stream_id)
        if expected_of is None:
            query = query.where(streams.c.retry_of.is_(None))
        else:
            query = query.where(streams.c.retry_of == expected_of)
        result = self._c.execute(query.values(retry_due_at=due_at, retry_of=of))
        return bool(result.rowcount)
