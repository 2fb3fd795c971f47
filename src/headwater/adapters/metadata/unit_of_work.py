"""One metadata transaction per use case; repositories share its connection."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from headwater.adapters.metadata.accounts import SqlAccountRepository
from headwater.adapters.metadata.checks import SqlCheckRepository
from headwater.adapters.metadata.datasets import SqlDatasetRepository
from headwater.adapters.metadata.executions import SqlExecutionRepository
from headwater.adapters.metadata.oauth_clients import SqlOAuthClientRepository
from headwater.adapters.metadata.pipelines import SqlPipelineRepository
from headwater.adapters.metadata.policies import SqlPolicyRepository
from headwater.adapters.metadata.positions import SqlPositionRepository
from headwater.adapters.metadata.runners import SqlRunnerRepository
from headwater.adapters.metadata.streams import SqlStreamRepository
from headwater.adapters.metadata.ticks import SqlTickRepository
from headwater.adapters.metadata.tokens import SqlTokenRepository
from headwater.adapters.metadata.users import SqlGroupRepository, SqlUserRepository
from headwater.domain.accounts import SecretBox


class SqlUnitOfWork:
    users: SqlUserRepository
    groups: SqlGroupRepository
    tokens: SqlTokenRepository
    datasets: SqlDatasetRepository
    streams: SqlStreamRepository
    executions: SqlExecutionRepository
    accounts: SqlAccountRepository
    ticks: SqlTickRepository
    runners: SqlRunnerRepository
    oauth_clients: SqlOAuthClientRepository
    policies: SqlPolicyRepository
    pipelines: SqlPipelineRepository
    checks: SqlCheckRepository
    positions: SqlPositionRepository

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        self._connection: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._connection = self._engine.connect()
        self._connection.begin()
        self.users = SqlUserRepository(self._connection)
        self.groups = SqlGroupRepository(self._connection)
        self.tokens = SqlTokenRepository(self._connection)
        self.datasets = SqlDatasetRepository(self._connection)
        self.streams = SqlStreamRepository(self._connection)
        self.executions = SqlExecutionRepository(self._connection)
        self.accounts = SqlAccountRepository(self._connection, self._box)
        self.ticks = SqlTickRepository(self._connection)
        self.runners = SqlRunnerRepository(self._connection)
        self.oauth_clients = SqlOAuthClientRepository(self._connection)
        self.policies = SqlPolicyRepository(self._connection)
        self.pipelines = SqlPipelineRepository(self._connection, lambda: datetime.now(UTC))
        self.checks = SqlCheckRepository(self._connection)
        self.positions = SqlPositionRepository(self._connection, lambda: datetime.now(UTC))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        try:
            self._connection.rollback()  # a no-op after commit()
        finally:
            self._connection.close()
            self._connection = None

    def commit(self) -> None:
        assert self._connection is not None
        self._connection.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self._box = box

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._box)
