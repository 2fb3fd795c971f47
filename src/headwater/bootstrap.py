"""The composition root: the one place where settings, adapters and services meet."""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy.engine import Engine, make_url

from headwater.adapters.datasets.check_engine import DuckDBCheckEngine
from headwater.adapters.datasets.delta_store import DeltaDatasetStore
from headwater.adapters.datasets.duckdb_engine import DuckDBQueryEngine
from headwater.adapters.datasets.part_staging import ParquetPartStaging
from headwater.adapters.metadata.database import create_metadata_engine, migrate
from headwater.adapters.metadata.unit_of_work import SqlUnitOfWorkFactory
from headwater.adapters.secrets.fernet_box import FernetSecretBox
from headwater.adapters.secrets.jwt_signer import JwtSigner
from headwater.api.app import create_app
from headwater.connectors import egress
from headwater.connectors.registry import ConnectorRegistry
from headwater.domain.egress import EgressPolicy
from headwater.domain.errors import HeadwaterError, NotFound
from headwater.domain.ports.engines import CheckEngine
from headwater.domain.ports.identity import TokenSigner
from headwater.domain.ports.ingest import PartStaging
from headwater.domain.ports.storage import DatasetStore
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.retries import RetryPolicy
from headwater.runtime.executor import ThreadExecutor
from headwater.runtime.liveness import LIVENESS, liveness_loop
from headwater.runtime.loop import Loop
from headwater.runtime.scheduler import scheduler_loop
from headwater.runtime.supervisor import Supervisor
from headwater.services.clock import SystemClock
from headwater.services.container import (
    DatasetServices,
    IdentityServices,
    IngestServices,
    PipelineServices,
    Services,
)
from headwater.services.datasets.access import DatasetAccess
from headwater.services.datasets.catalog import Datasets
from headwater.services.datasets.checks import DatasetChecks
from headwater.services.datasets.policies import Policies
from headwater.services.datasets.positions import Positions
from headwater.services.datasets.quality_gate import QualityGate
from headwater.services.datasets.query import Query
from headwater.services.datasets.table_commits import TableCommits
from headwater.services.identity.auth import Auth
from headwater.services.identity.groups import Groups
from headwater.services.identity.oauth import OAuth
from headwater.services.identity.tokens import Tokens
from headwater.services.identity.users import Users
from headwater.services.ingest.accounts import Accounts
from headwater.services.ingest.committer import Committer
from headwater.services.ingest.connector_runs import ConnectorRuns
from headwater.services.ingest.executions import CancelSignals, Executions
from headwater.services.ingest.recovery import Recovery
from headwater.services.ingest.retries import ScheduledRetries
from headwater.services.ingest.scheduler import Scheduler, SchedulerLimits
from headwater.services.ingest.streams import Streams
from headwater.services.ingest.uploads import Uploads
from headwater.services.ingest.versions import Versions
from headwater.services.pipelines.catalog import Pipelines
from headwater.services.pipelines.commits import PipelineCommits
from headwater.services.pipelines.ingress import PipelineIngress
from headwater.services.pipelines.query import PipelineQuery
from headwater.services.pipelines.runs import PipelineRuns
from headwater.services.runners import Runners
from headwater.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ports:
    """The adapters the services are built over: what `compose` takes, so a test (or another
    deployment) can hand it others."""

    metadata: Engine  # the metadata database: migrated by `Runtime.open`, disposed at close
    uow: UnitOfWorkFactory
    store: DatasetStore
    staging: PartStaging
    query_engine: DuckDBQueryEngine
    check_engine: CheckEngine
    signer: TokenSigner
    clock: Clock
    registry: ConnectorRegistry
    egress: EgressPolicy


@dataclass
class Runtime:
    settings: Settings
    services: Services
    ports: Ports
    executor: ThreadExecutor
    runners: Runners
    recovery: Recovery
    loops: list[Loop] = field(default_factory=list)  # background services, run by start()
    supervisor: Supervisor | None = None
    opened: bool = False

    @property
    def registry(self) -> ConnectorRegistry:
        return self.ports.registry

    @property
    def engine(self) -> Engine:
        return self.ports.metadata

    def open(self) -> None:
        """The start step, before anything is served: bring the metadata database to the
        newest schema, register this process as a runner, and settle what a dead process
        left (executions mid-commit, staged parts nobody will commit). Once per runtime."""
        if self.opened:
            return
        use_jemalloc()
        egress.install_audit_hook()
        migrate(self.ports.metadata)
        self.runners.register()
        self.recovery.run()
        self.opened = True

    def start(self, background: bool = True) -> None:
        """Open, then start the background services: the liveness heartbeat, the scheduler
        and the supervisor of continuous connectors. `background=False` starts the heartbeat
        only: a request worker of `headwater serve --workers N`, whose scheduler and
        supervisor run in the serving parent process once for all workers."""
        self.open()
        for loop in self.loops:
            if background or loop.name == LIVENESS:
                loop.start()
        if background and self.supervisor is not None and self.settings.pipelines.enabled:
            self.supervisor.start()

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()  # commits what connectors buffered, releases leases
        for loop in self.loops:
            loop.stop()
        self.executor.shutdown(wait=True)
        if self.opened:
            self.runners.retire()
        self.ports.query_engine.close()
        self.ports.metadata.dispose()


def use_jemalloc() -> None:
    """Arrow's jemalloc pool returns freed buffers to the system sooner than the default
    mimalloc: in `make bench`, upload peak RSS 533 MB instead of 649 MB at the same speed."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc: keep the default
        log.info("pyarrow has no jemalloc pool; keeping %s", pa.default_memory_pool().backend_name)


def egress_policy(settings: Settings) -> EgressPolicy:
    """The operator's ALLOW and DENY entries, and what the defaults protect of this server:
    its own port, and its metadata database (by name, and by the addresses it has now)."""
    protected: list[str] = []
    url = make_url(settings.metadata_url)
    if url.host:
        port = url.port or {"postgresql": 5432, "mysql": 3306}.get(url.get_backend_name())
        hosts = {url.host}
        with contextlib.suppress(OSError):  # not resolvable now: its name is still protected
            hosts |= {str(a[4][0]) for a in socket.getaddrinfo(url.host, port or None)}
        protected = [f"[{h}]:{port}" if port else f"[{h}]" for h in sorted(hosts)]
    return EgressPolicy.build(
        allow=settings.egress.allow,
        deny=settings.egress.deny,
        own_ports=[settings.port],
        protected=protected,
        is_own_address=egress.is_own_address,
    )


def open_ports(
    settings: Settings, registry: ConnectorRegistry | None = None, clock: Clock | None = None
) -> Ports:
    """The adapters over the settings: the data directories, the metadata engine (no
    connection yet), the key files (read, or made on a first start), the connectors'
    entry points. `clock` is for tests that move time by hand."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.datasets_dir.mkdir(parents=True, exist_ok=True)
    engine = create_metadata_engine(settings.metadata_url, settings.api_threads)
    box = FernetSecretBox.from_settings(settings.secret_key, settings.data_dir / "secret.key")
    return Ports(
        metadata=engine,
        uow=SqlUnitOfWorkFactory(engine, box),
        store=DeltaDatasetStore(
            settings.datasets_dir,
            settings.faults.pause_before_commit_log,
            settings.faults.pause_after_commit_log,
        ),
        staging=ParquetPartStaging(settings.staging_dir, settings.upload_decode_slots),
        query_engine=DuckDBQueryEngine(
            settings.query, settings.data_dir / "cache", hidden_roots=[settings.data_dir]
        ),
        check_engine=DuckDBCheckEngine(settings.query, settings.checks.time_limit_seconds),
        signer=JwtSigner.from_settings(
            settings.oauth_signing_key, settings.data_dir / "oauth-signing.key"
        ),
        clock=clock or SystemClock(),
        registry=registry
        or ConnectorRegistry.from_entry_points(options=settings.options_for_connectors()),
        egress=egress_policy(settings),
    )


def compose(settings: Settings, ports: Ports) -> Runtime:
    """Every service, wired over `ports`: no I/O here (nothing is read, written or
    connected); `Runtime.open` is the step that touches the database."""
    uow, store, clock, staging = ports.uow, ports.store, ports.clock, ports.staging
    registry, policy = ports.registry, ports.egress
    runners = Runners(uow, clock, timedelta(seconds=settings.runner.lease_seconds))
    me = runners.me.id
    cancels = CancelSignals()
    positions = Positions(uow, store)
    tables = TableCommits(uow, store, clock, positions)
    datasets = Datasets(uow, store, clock, tables)
    retries = ScheduledRetries(
        RetryPolicy(
            max_retries=settings.scheduler.retry_max,
            first_delay_seconds=settings.scheduler.retry_delay_seconds,
            max_delay_seconds=settings.scheduler.retry_max_delay_seconds,
        )
    )
    gate = QualityGate(uow, store, ports.check_engine, clock, tables)
    committer = Committer(uow, store, clock, tables, me, retries, gate)
    executions = Executions(uow, clock, staging, None, cancels, me)
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
        policy,
        positions,
    )
    executor = ThreadExecutor(runs, workers=settings.executor_workers)
    executions.dispatcher = executor
    pipeline_commits = PipelineCommits(store, tables, positions)
    supervisor = Supervisor(
        PipelineRuns(uow, clock),
        pipeline_commits,
        registry.sources(),
        settings.pipelines,
        tuple(settings.options_for_connectors()["file"]["allowed_dirs"]),
        policy,
    )
    scheduler = Scheduler(
        uow, clock, me, executor, SchedulerLimits(keep_ticks=settings.scheduler.keep_ticks)
    )
    uploads = Uploads(uow, clock, staging, committer, executions)
    query_engine = ports.query_engine
    services = Services(
        identity=IdentityServices(
            auth=Auth(uow, clock),
            users=Users(uow, clock),
            groups=Groups(uow, clock),
            tokens=Tokens(uow, clock),
            oauth=OAuth(uow, clock, ports.signer, settings.oauth_token_ttl_seconds),
        ),
        datasets=DatasetServices(
            catalog=datasets,
            access=DatasetAccess(uow),
            query=Query(uow, store, query_engine),
            policies=Policies(uow),
            checks=DatasetChecks(uow, clock, ports.check_engine),
        ),
        ingest=IngestServices(
            accounts=Accounts(uow, clock, registry, policy),
            streams=Streams(uow, clock, registry, policy),
            executions=executions,
            uploads=uploads,
            committer=committer,
            connector_runs=runs,
            connectors=registry,
            scheduler=scheduler,
            versions=Versions(uow, store, clock, committer, uploads, tables, me),
        ),
        pipelines=PipelineServices(
            catalog=Pipelines(uow, clock, query_engine, store, registry),
            ingress=PipelineIngress(uow, pipeline_commits, settings.pipelines.ingress_wait_seconds),
            query=PipelineQuery(uow, store, query_engine),
        ),
    )
    recovery = Recovery(uow, clock, staging, committer, runners)
    loops = [liveness_loop(runners, recovery, settings.runner.heartbeat_seconds)]
    if settings.scheduler.enabled:
        loops.append(scheduler_loop(scheduler, settings.scheduler.poll_seconds))
    return Runtime(
        settings=settings,
        services=services,
        ports=ports,
        executor=executor,
        runners=runners,
        recovery=recovery,
        loops=loops,
        supervisor=supervisor,
    )


def build_runtime(
    settings: Settings, registry: ConnectorRegistry | None = None, clock: Clock | None = None
) -> Runtime:
    """`compose` over `open_ports`, opened: migrated, registered, recovered; the background
    services start with `Runtime.start`."""
    runtime = compose(settings, open_ports(settings, registry, clock))
    runtime.open()
    return runtime


@contextmanager
def admin_auth(settings: Settings) -> Iterator[Auth]:
    """`Auth` over the metadata database alone, for `headwater admin` on the server: no
    runtime, no runner, no migration, nothing created. A data dir or URL that holds no
    Headwater metadata is refused rather than given a fresh, empty database."""
    url = sa.engine.make_url(settings.metadata_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise NotFound(
            f"no Headwater database at {url.database}: give the data dir `headwater serve` "
            "uses (--data-dir or HEADWATER_DATA_DIR), or its HEADWATER_DATABASE_URL"
        )
    engine = create_metadata_engine(settings.metadata_url, threads=1)
    try:
        try:
            has_users = sa.inspect(engine).has_table("users")
        except sa.exc.DBAPIError as exc:
            raise HeadwaterError(
                f"cannot reach the metadata database {url.render_as_string()}: {exc.orig}",
                code="DATABASE",
            ) from None
        if not has_users:
            raise NotFound(f"no Headwater metadata in {url.render_as_string()}")
        # Users and tokens need no account secret: a throwaway key, so the key file is
        # neither read nor created.
        uow = SqlUnitOfWorkFactory(engine, FernetSecretBox(Fernet.generate_key()))
        yield Auth(uow, SystemClock())
    finally:
        engine.dispose()


def build_app(runtime: Runtime, close_runtime: bool = False) -> FastAPI:
    """The app over the runtime's services; `close_runtime` closes the runtime when the
    server shuts the app down (a worker process, which owns its runtime)."""
    return create_app(
        runtime.services,
        telemetry=runtime.settings.telemetry,
        on_close=runtime.close if close_runtime else None,
        threads=runtime.settings.api_threads,
        limits=runtime.settings.limits,
    )
