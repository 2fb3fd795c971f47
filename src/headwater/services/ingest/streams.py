"""Streams: create (with a new or existing dataset), read, list, update, delete, search.

A stream that uses an account takes from it every field the connector's spec marks secret or
target (`connectors.targets`): setting one on the stream is a 400 naming it. Creating such a
stream, or changing one in any way, needs access to the account (CAN_VIEW, the level that lets
a user use an account in streams of their own): since the account decides where its secret
goes, using it can only send the secret there. Whoever last sets a stream's account or
configuration is its `configured_by`, whom the egress policy's admin exemption follows.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from headwater.connectors.config import secret_fields
from headwater.connectors.registry import ConnectorRegistry
from headwater.connectors.targets import destinations, merged
from headwater.domain import access
from headwater.domain.access import AccessLevel, effective_level
from headwater.domain.accounts import STREAM_SECRET_NAME, Account, keep_masked, masked
from headwater.domain.datasets import Column, Dataset, UpdateMethod, validate_columns
from headwater.domain.egress import EgressPolicy
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.executions import Execution
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.retries import RetryPolicy
from headwater.domain.schema_policy import SchemaPolicy
from headwater.domain.streams import (
    ConfigEntry,
    Stream,
    Transport,
    check_schedulable,
    timetable_of,
)
from headwater.domain.users import Principal
from headwater.services.datasets.access import authorize
from headwater.services.datasets.checks import for_reader

# What PUT may change: seed 002's list, and the schedule (to pause, resume or retime it).
UPDATABLE = {
    "dataSource",
    "account",
    "configuration",
    "streamConfiguration",
    "schemaDefinition",
    "schedule",
    "advancedScheduleJson",
    "scheduleActive",
    "retryPolicy",
    "schemaPolicy",
}
MAX_PAGE = 500


@dataclass(frozen=True)
class NewDataset:
    name: str
    description: str = ""
    columns: list[Column] | None = None


@dataclass(frozen=True)
class StreamSpec:
    transport: Transport
    update_method: UpdateMethod = UpdateMethod.REPLACE
    data_provider_key: str | None = None
    account_id: int | None = None
    configuration: list[ConfigEntry] = field(default_factory=list)
    key_columns: list[str] = field(default_factory=list)
    dataset_id: str | None = None
    new_dataset: NewDataset | None = None
    schedule: dict[str, Any] | None = None
    advanced_schedule_json: str | None = None
    schedule_active: bool = True
    retry_policy: RetryPolicy | None = None
    schema_policy: SchemaPolicy | None = None


@dataclass(frozen=True)
class StreamChanges:
    dataset_id: str | None = None
    dataset_name: str | None = None
    dataset_description: str | None = None
    account_id: int | None = None
    configuration: list[ConfigEntry] | None = None
    columns: list[Column] | None = None
    update_method: UpdateMethod | None = None
    key_columns: list[str] | None = None
    schedule_active: bool | None = None
    # For the schedule, None leaves it as it is; {} and "" remove it.
    schedule: dict[str, Any] | None = None
    advanced_schedule_json: str | None = None
    retry_policy: RetryPolicy | None = None
    reset_retry_policy: bool = False
    schema_policy: SchemaPolicy | None = None  # None leaves it as it is


@dataclass(frozen=True)
class StreamView:
    stream: Stream
    dataset: Dataset
    account: Account | None
    owner_name: str
    level: AccessLevel
    last_execution: Execution | None
    secret_names: frozenset[str] = frozenset()  # what the connector's spec marks secret

    def masked_configuration(self) -> list[ConfigEntry]:
        """The stream's own configuration as responses show it: secrets masked, as on
        accounts (a dataset viewer sees the stream, never a password in it)."""
        return masked(self.stream.configuration, self.secret_names, STREAM_SECRET_NAME)


class Streams:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        connectors: ConnectorRegistry | None = None,
        egress: EgressPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._connectors = connectors or ConnectorRegistry()
        self._egress = egress or EgressPolicy()

    # -- create -------------------------------------------------------------------------
    def create(self, actor: Principal, spec: StreamSpec) -> StreamView:
        now = self._clock.now()
        with self._uow() as uow:
            if spec.dataset_id is not None:
                dataset, _ = authorize(uow, actor, spec.dataset_id, access.EDIT)
                if uow.streams.find_by_dataset(dataset.id) is not None:
                    raise Conflict(
                        f"dataset {dataset.id} already has a stream", code="STREAM_EXISTS"
                    )
            elif spec.new_dataset is not None:
                if not actor.user.role.can_create_datasets:
                    raise PermissionDenied("Participants cannot create datasets")
                if not spec.new_dataset.name.strip():
                    raise InvalidInput("dataSource.name must not be empty", field="dataSource.name")
                columns = spec.new_dataset.columns
                dataset = Dataset(
                    id=str(uuid.uuid4()),
                    name=spec.new_dataset.name.strip(),
                    description=spec.new_dataset.description,
                    owner_id=actor.id,
                    created_at=now,
                    updated_at=now,
                    columns=validate_columns(columns) if columns is not None else None,
                )
                uow.datasets.add(dataset)
            else:
                raise InvalidInput(
                    "dataSource is required: {name, description} or {id}", field="dataSource"
                )
            account = None
            if spec.account_id is not None:
                account = _usable_account(uow, actor, spec.account_id)
            _check_keys(spec.update_method, spec.key_columns, dataset.columns)
            provider = spec.data_provider_key or _default_provider(spec.transport)
            self._check_configuration(
                uow, actor, spec.transport, provider, account, spec.configuration
            )
            check_schedulable(
                spec.transport, timetable_of(spec.schedule, spec.advanced_schedule_json)
            )
            stream = Stream(
                id=0,
                dataset_id=dataset.id,
                owner_id=actor.id,
                transport=spec.transport,
                update_method=spec.update_method,
                created_at=now,
                modified_at=now,
                created_by=actor.id,
                modified_by=actor.id,
                configured_by=actor.id,
                data_provider_key=provider,
                account_id=spec.account_id,
                configuration=list(spec.configuration),
                key_columns=list(spec.key_columns),
                schedule=spec.schedule,
                advanced_schedule_json=spec.advanced_schedule_json,
                schedule_active=spec.schedule_active,
                retry_policy=spec.retry_policy,
                schema_policy=spec.schema_policy,
            )
            stream.next_run_at = stream.next_run_after(now)
            stream = uow.streams.add(stream)
            dataset.stream_id = stream.id
            uow.datasets.update(dataset)
            uow.commit()
            return self._view(uow, actor, stream)

    # -- read ---------------------------------------------------------------------------
    def get(self, actor: Principal, stream_id: int) -> StreamView:
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.VIEW)
            return self._view(uow, actor, stream)

    def page(self, actor: Principal, limit: int, offset: int) -> list[StreamView]:
        limit = max(0, min(limit, MAX_PAGE))
        with self._uow() as uow:
            visible = None if actor.is_admin else _visible_dataset_ids(uow, actor)
            return [self._view(uow, actor, s) for s in uow.streams.page(visible, limit, offset)]

    def search(self, actor: Principal, query: str) -> list[StreamView]:
        """`field:value` with the five fields of seed 002; `dataSource.name` takes * and ?."""
        name, sep, value = query.partition(":")
        if not sep:
            raise InvalidInput("q must be field:value, e.g. dataSource.id:<id>", field="q")
        matchers: dict[str, Callable[[str, StreamView], bool]] = {
            "account.configurations.value": self._by_account_value,
            "datasource.id": lambda v, view: view.dataset.id == v,
            # Without * or ? this is an exact, case-insensitive match.
            "datasource.name": lambda v, view: fnmatch.fnmatchcase(
                view.dataset.name.lower(), v.lower()
            ),
            "datasource.owner.id": lambda v, view: str(view.dataset.owner_id) == v,
            "transport.type": lambda v, view: view.stream.transport.type.upper() == v.upper(),
        }
        matcher = matchers.get(name.strip().lower())
        if matcher is None:
            allowed = ", ".join(
                [
                    "account.configurations.value",
                    "dataSource.id",
                    "dataSource.name",
                    "dataSource.owner.id",
                    "transport.type",
                ]
            )
            raise InvalidInput(f"cannot search by {name!r}; use one of {allowed}", field="q")
        value = value.strip()
        return [view for view in self.page(actor, MAX_PAGE * 20, 0) if matcher(value, view)]

    @staticmethod
    def _by_account_value(value: str, view: StreamView) -> bool:
        if view.account is None:
            return False
        # Only values the caller could read count: a secret is not searchable.
        return any(str(e.value) == value for e in view.account.masked_configuration())

    # -- update and delete --------------------------------------------------------------
    def update(self, actor: Principal, stream_id: int, changes: StreamChanges) -> StreamView:
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.EDIT)
            if stream.account_id is not None:
                _require_account_access(uow, actor, stream.account_id)
            dataset = uow.datasets.find(stream.dataset_id)
            assert dataset is not None
            if changes.dataset_id is not None and changes.dataset_id != stream.dataset_id:
                target, _ = authorize(uow, actor, changes.dataset_id, access.EDIT)
                if uow.streams.find_by_dataset(target.id) is not None:
                    raise Conflict(
                        f"dataset {target.id} already has a stream", code="STREAM_EXISTS"
                    )
                dataset.stream_id = None
                uow.datasets.update(dataset)
                stream.dataset_id, dataset = target.id, target
                dataset.stream_id = stream.id
            if changes.dataset_name is not None:
                if not changes.dataset_name.strip():
                    raise InvalidInput("dataSource.name must not be empty", field="dataSource.name")
                dataset.name = changes.dataset_name.strip()
            if changes.dataset_description is not None:
                dataset.description = changes.dataset_description
            if changes.columns is not None and changes.columns != dataset.columns:
                if dataset.data_version is not None:
                    raise Conflict(
                        "the dataset has data, so its schema cannot change in place",
                        code="SCHEMA_LOCKED",
                    )
                dataset.columns = validate_columns(changes.columns)
            if changes.account_id is not None:
                _usable_account(uow, actor, changes.account_id)
                stream.account_id = changes.account_id
            if changes.configuration is not None:
                stream.configuration = keep_masked(
                    list(changes.configuration),
                    stream.configuration,
                    self._secret_names(stream.data_provider_key),
                    STREAM_SECRET_NAME,
                )
            if changes.account_id is not None or changes.configuration is not None:
                account = uow.accounts.find(stream.account_id) if stream.account_id else None
                self._check_configuration(
                    uow,
                    actor,
                    stream.transport,
                    stream.data_provider_key,
                    account,
                    stream.configuration,
                )
                stream.configured_by = actor.id
            if changes.update_method is not None:
                stream.update_method = changes.update_method
            if changes.key_columns is not None:
                stream.key_columns = list(changes.key_columns)
            if changes.schema_policy is not None:
                stream.schema_policy = changes.schema_policy
            retimed = self._apply_schedule(stream, changes)
            _check_keys(stream.update_method, stream.key_columns, dataset.columns)
            now = self._clock.now()
            if retimed:
                check_schedulable(stream.transport, stream.timetable())
                stream.next_run_at = stream.next_run_after(now)
                uow.streams.set_next_run(stream.id, stream.next_run_at)
                if not stream.schedule_active and stream.retry_of is not None:
                    uow.streams.set_retry(stream.id, None, None, expected_of=stream.retry_of)
                    stream.retry_of = stream.retry_due_at = None
            stream.modified_at, stream.modified_by = now, actor.id
            dataset.updated_at = now
            uow.datasets.update(dataset)
            uow.streams.update(stream)
            uow.commit()
            return self._view(uow, actor, stream)

    @staticmethod
    def _apply_schedule(stream: Stream, changes: StreamChanges) -> bool:
        """Apply the schedule changes; whether the next run must be worked out again (a new
        timetable, a pause, a resume — the ticks missed while paused are not caught up)."""
        retimed = False
        if changes.schedule is not None:
            stream.schedule = changes.schedule or None
            retimed = True
        if changes.advanced_schedule_json is not None:
            stream.advanced_schedule_json = changes.advanced_schedule_json or None
            retimed = True
        if changes.schedule_active is not None:
            retimed = retimed or changes.schedule_active != stream.schedule_active
            stream.schedule_active = changes.schedule_active
        if changes.reset_retry_policy:
            stream.retry_policy = None
        elif changes.retry_policy is not None:
            stream.retry_policy = changes.retry_policy
        return retimed

    def _view(self, uow: UnitOfWork, actor: Principal, stream: Stream) -> StreamView:
        return _view(uow, actor, stream, self._secret_names(stream.data_provider_key))

    def _secret_names(self, provider: str) -> frozenset[str]:
        if not self._connectors.knows(provider):
            return frozenset()
        return frozenset(secret_fields(self._connectors.get(provider).spec()))

    def _check_configuration(
        self,
        uow: UnitOfWork,
        actor: Principal,
        transport: Transport,
        provider: str,
        account: Account | None,
        configuration: list[ConfigEntry],
    ) -> None:
        """A connector stream's configuration (with its account's values) must satisfy the
        connector's spec, take no field its account owns, and name no destination the egress
        policy refuses whatever DNS says. A provider that is not installed here is not
        checked: streams may be defined before their plug-in is installed, and their runs
        then check the same (and fail saying why)."""
        if transport.is_upload or not self._connectors.knows(provider):
            return
        spec = self._connectors.get(provider).spec()
        values = merged(
            provider,
            spec,
            account.values() if account else None,
            {e.name: e.value for e in configuration},
        )
        self._connectors.prepare(provider, values)
        if account is None:
            exempt = actor.is_admin
        else:
            chooser = uow.users.find(account.chooser)
            exempt = chooser is not None and chooser.is_admin
        for name, host, port in destinations(spec, values):
            self._egress.check_literal(host, port, exempt=exempt, field=f"configuration.{name}")

    def delete(self, actor: Principal, stream_id: int) -> None:
        """Delete the stream and its executions; the dataset stays, without a stream."""
        with self._uow() as uow:
            stream = authorize_stream(uow, actor, stream_id, access.DELETE)
            active = uow.executions.active_for_stream(stream_id)
            if active is not None:
                raise Conflict(
                    f"execution {active.id} is still ACTIVE; abort it first",
                    code="EXECUTION_ACTIVE",
                    executionId=active.id,
                )
            dataset = uow.datasets.find(stream.dataset_id)
            if dataset is not None:
                dataset.stream_id = None
                uow.datasets.update(dataset)
            uow.streams.delete(stream_id)
            uow.commit()


# -- shared by the execution and upload use cases --------------------------------------
def authorize_stream(
    uow: UnitOfWork, actor: Principal, stream_id: int, needed: AccessLevel
) -> Stream:
    """The stream, if the actor holds `needed` on its dataset; NotFound if they see neither."""
    stream = uow.streams.find(stream_id)
    if stream is None:
        raise NotFound(f"no stream {stream_id}")
    try:
        authorize(uow, actor, stream.dataset_id, needed)
    except NotFound:
        raise NotFound(f"no stream {stream_id}") from None
    return stream


def _view(
    uow: UnitOfWork, actor: Principal, stream: Stream, secret_names: frozenset[str]
) -> StreamView:
    dataset = uow.datasets.find(stream.dataset_id)
    if dataset is None:
        raise NotFound(f"stream {stream.id} has lost its dataset")
    level = effective_level(actor, dataset.owner_id, uow.datasets.grants(dataset.id))
    account = uow.accounts.find(stream.account_id) if stream.account_id is not None else None
    owner = uow.users.find(stream.owner_id)
    history = for_reader(uow, actor, dataset.id, uow.executions.list_for_stream(stream.id, 1, 0))
    return StreamView(
        stream,
        dataset,
        account,
        owner.display_name if owner else "",
        level or AccessLevel.CAN_VIEW,
        history[0] if history else None,
        secret_names,
    )


def _visible_dataset_ids(uow: UnitOfWork, actor: Principal) -> list[str]:
    ids: list[str] = []
    offset = 0
    while page := uow.datasets.list_visible(actor.id, actor.group_ids, 1000, offset):
        ids.extend(d.id for d in page)
        offset += len(page)
    return ids


def _usable_account(uow: UnitOfWork, actor: Principal, account_id: int) -> Account:
    account = uow.accounts.find(account_id)
    level = None
    if account is not None:
        level = effective_level(actor, account.owner_id, uow.accounts.grants(account_id))
    if account is None or level is None:
        raise InvalidInput(f"no account {account_id} shared with you", field="account.id")
    return account


def _require_account_access(uow: UnitOfWork, actor: Principal, account_id: int) -> None:
    """Changing a stream that uses an account needs access to that account."""
    account = uow.accounts.find(account_id)
    if account is None:
        return  # deleted since: the stream no longer sends anyone's secret
    if effective_level(actor, account.owner_id, uow.accounts.grants(account_id)) is None:
        raise PermissionDenied(
            f"this stream uses account {account_id}, which is not shared with you: "
            "changing the stream needs access to that account"
        )


def _check_keys(method: UpdateMethod, keys: list[str], columns: list[Column] | None) -> None:
    if method is not UpdateMethod.UPSERT:
        return
    if not keys:
        raise InvalidInput("UPSERT needs keyColumnNames", field="keyColumnNames")
    if columns is not None:
        names = {c.name for c in columns}
        unknown = [k for k in keys if k not in names]
        if unknown:
            raise InvalidInput(
                f"keyColumnNames name unknown columns: {', '.join(unknown)}", field="keyColumnNames"
            )


def _default_provider(transport: Transport) -> str:
    return "api" if transport.is_upload else transport.type.lower()


def schedule_json(raw: Any) -> str | None:
    """`advancedScheduleJson` arrives as a JSON string (or an object); store it as text."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"advancedScheduleJson is not JSON: {exc.msg}", field="advancedScheduleJson"
            ) from None
        return raw
    return json.dumps(raw)
