"""The composition root: the one place where settings, adapters and services meet."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pyarrow as pa
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.adapters.datasets.duckdb_engine import DuckDBQueryEngine
from headwater.adapters.datasets.part_staging import ParquetPartStaging
from headwater.adapters.metadata.database import create_metadata_engine, migrate
from headwater.adapters.metadata.unit_of_work import SqlUnitOfWorkFactory
from headwater.adapters.secrets.fernet_box import FernetSecretBox
from headwater.api.app import create_app
from headwater.connectors.registry import ConnectorRegistry
from headwater.runtime.continuous import transports
from headwater.runtime.executor import ThreadExecutor
from headwater.runtime.supervisor import Supervisor
from headwater.services.accounts import Accounts
from headwater.services.auth import Auth
from headwater.services.clock import SystemClock
from headwater.services.committer import Committer
from headwater.services.connector_runs import ConnectorRuns, RetryPolicy
from headwater.services.container import Services
from headwater.services.dataset_access import DatasetAccess
from headwater.services.datasets import Datasets
from headwater.services.executions import CancelSignals, Executions
from headwater.services.groups import Groups
from headwater.services.pipeline_commits import PipelineCommits
from headwater.services.pipeline_ingress import PipelineIngress
from headwater.services.pipeline_query import PipelineQuery
from headwater.services.pipeline_runs import PipelineRuns
from headwater.services.pipelines import Pipelines
from headwater.services.query import Query
from headwater.services.recovery import Recovery
from headwater.services.streams import Streams
from headwater.services.tokens import Tokens
from headwater.services.uploads import Uploads
from headwater.services.users import Users
from headwater.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: Engine
    executor: ThreadExecutor
    registry: ConnectorRegistry = field(default_factory=ConnectorRegistry)
    supervisor: Supervisor | None = None

    def start(self) -> None:
        """Start the background machinery (the supervisor of continuous connectors)."""
        if self.supervisor is not None and self.settings.pipelines.enabled:
            self.supervisor.start()

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()  # commits what connectors buffered, releases leases
        self.executor.shutdown(wait=True)
        self.engine.dispose()


def use_jemalloc() -> None:
    """Arrow's jemalloc pool returns freed buffers to the system sooner than the default
    mimalloc: in `make bench`, upload peak RSS 533 MB instead of 649 MB at the same speed."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc: keep the default
        log.info("pyarrow has no jemalloc pool; keeping %s", pa.default_memory_pool().backend_name)


def build_runtime(settings: Settings, registry: ConnectorRegistry | None = None) -> Runtime:
    """Create the data dir, migrate the metadata, wire every service, settle interrupted work."""
    use_jemalloc()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.datasets_dir.mkdir(parents=True, exist_ok=True)
    engine = create_metadata_engine(settings.metadata_url)
    migrate(engine)
    box = FernetSecretBox.from_settings(settings.secret_key, settings.data_dir / "secret.key")
    uow = SqlUnitOfWorkFactory(engine, box)
    clock = SystemClock()
    store = DeltaDatasetStore(settings.datasets_dir, settings.faults.pause_before_commit_log)
    staging = ParquetPartStaging(settings.staging_dir, settings.upload_decode_slots)
    registry = registry or ConnectorRegistry.from_entry_points(
        options=settings.options_for_connectors()
    )
    cancels = CancelSignals()
    datasets = Datasets(uow, store, clock)
    committer = Committer(uow, store, clock, datasets)
    executions = Executions(uow, clock, staging, None, cancels)
    runs = ConnectorRuns(
        uow,
        clock,
        staging,
        store,
        committer,
        registry,
        cancels,
        RetryPolicy(
            max_retries=settings.connector_max_retries,
            first_delay_seconds=settings.connector_retry_delay_seconds,
        ),
        settings.faults.pause_after_batch,
    )
    executor = ThreadExecutor(runs, workers=settings.executor_workers)
    query_engine = DuckDBQueryEngine(settings.query)
    pipeline_commits = PipelineCommits(store, datasets)
    supervisor = Supervisor(
        PipelineRuns(uow, clock),
        pipeline_commits,
        transports(),
        settings.pipelines,
        tuple(settings.options_for_connectors()["file"]["allowed_dirs"]),
    )
    executions.dispatcher = executor
    services = Services(
        auth=Auth(uow, clock),
        users=Users(uow, clock),
        groups=Groups(uow, clock),
        tokens=Tokens(uow, clock),
        datasets=datasets,
        dataset_access=DatasetAccess(uow),
        query=Query(uow, store, query_engine),
        accounts=Accounts(uow, clock),
        streams=Streams(uow, clock, registry),
        executions=executions,
        uploads=Uploads(uow, clock, staging, committer, executions),
        committer=committer,
        connector_runs=runs,
        connectors=registry,
        pipelines=Pipelines(uow, clock),
        pipeline_ingress=PipelineIngress(
            uow, pipeline_commits, settings.pipelines.ingress_wait_seconds
        ),
        pipeline_query=PipelineQuery(uow, store, query_engine),
    )
    Recovery(uow, clock, staging, committer).run()
    return Runtime(
        settings=settings,
        services=services,
        engine=engine,
        executor=executor,
        registry=registry,
        supervisor=supervisor,
    )


def build_app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.services)
