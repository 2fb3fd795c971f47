"""One metadata transaction over every repository, and the clock the services read time from."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from headwater.domain.ports.datasets import (
    CheckRepository,
    DatasetRepository,
    PolicyRepository,
    PositionRepository,
)
from headwater.domain.ports.identity import (
    GroupRepository,
    OAuthClientRepository,
    TokenRepository,
    UserRepository,
)
from headwater.domain.ports.ingest import (
    AccountRepository,
    ExecutionRepository,
    RunnerRepository,
    StreamRepository,
    TickRepository,
)
from headwater.domain.ports.pipelines import PipelineRepository


class UnitOfWork(Protocol):
    """One metadata transaction. Leaving the block without `commit()` rolls back."""

    # Read-only properties, so an adapter may hold narrower repository types.
    @property
    def users(self) -> UserRepository: ...
    @property
    def groups(self) -> GroupRepository: ...
    @property
    def tokens(self) -> TokenRepository: ...
    @property
    def datasets(self) -> DatasetRepository: ...
    @property
    def streams(self) -> StreamRepository: ...
    @property
    def executions(self) -> ExecutionRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def ticks(self) -> TickRepository: ...
    @property
    def runners(self) -> RunnerRepository: ...
    @property
    def oauth_clients(self) -> OAuthClientRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def pipelines(self) -> PipelineRepository: ...
    @property
    def checks(self) -> CheckRepository: ...
    @property
    def positions(self) -> PositionRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractContextManager[UnitOfWork]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
