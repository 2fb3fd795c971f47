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
from headwater.domain.ports import Clock
from headwater.domain.retries import RetryPolicy
from headwater.runtime.executor import ThreadExecutor
from headwater.runtime.liveness import LIVENESS, liveness_loop
from headwater.runtime.loop import Loop
from headwater.runtime.scheduler import scheduler_loop
from headwater.runtime.supervisor import Supervisor
from headwater.services.accounts import Accounts
from headwater.services.auth import Auth
from headwater.services.checks import DatasetChecks
from headwater.services.clock import SystemClock
from headwater.services.committer import Committer
from headwater.services.connector_runs import ConnectorRuns
from headwater.services.container import Services
from headwater.services.dataset_access import DatasetAccess
from headwater.services.datasets import Datasets
from headwater.services.executions import CancelSignals, Executions
from headwater.services.groups import Groups
from headwater.services.oauth import OAuth
from headwater.services.pipeline_commits import PipelineCommits
from headwater.services.pipeline_ingress import PipelineIngress
from headwater.services.pipeline_query import PipelineQuery
from headwater.services.pipeline_runs import PipelineRuns
from headwater.services.pipelines import Pipelines
from headwater.services.policies import Policies
from headwater.services.positions import Positions
from headwater.services.quality_gate import QualityGate
from headwater.services.query import Query
from headwater.services.recovery import Recovery
from headwater.services.retries import ScheduledRetries
from headwater.services.runners import Runners
from headwater.services.scheduler import Scheduler, SchedulerLimits
from headwater.services.streams import Streams
from headwater.services.tokens import Tokens
from headwater.services.uploads import Uploads
from headwater.services.users import Users
from headwater.services.versions import Versions
from headwater.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: Engine
    executor: ThreadExecutor
    runners: Runners
    registry: ConnectorRegistry = field(default_factory=ConnectorRegistry)
    loops: list[Loop] = field(default_factory=list)  # background services, run by start()
    supervisor: Supervisor | None = None
    query_engine: DuckDBQueryEngine | None = None  # its cached databases close with the runtime

    def start(self, background: bool = True) -> None:
        """Start the background services: the liveness heartbeat, the scheduler and the
        supervisor of continuous connectors. `background=False` starts the heartbeat only:
        a request worker of `headwater serve --workers N`, whose scheduler and supervisor
        run in the serving parent process once for all workers."""
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
        self.runners.retire()
        if self.query_engine is not None:
            self.query_engine.close()
        self.engine.dispose()


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


def build_runtime(
    settings: Settings, registry: ConnectorRegistry | None = None, clock: Clock | None = None
) -> Runtime:
    """Create the data dir, migrate the metadata, wire every service, settle interrupted work.
    `clock` is for tests that move time by hand; the scheduler loop always sleeps real time."""
    use_jemalloc()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.datasets_dir.mkdir(parents=True, exist_ok=True)
    engine = create_metadata_engine(settings.metadata_url, settings.api_threads)
    migrate(engine)
    box = FernetSecretBox.from_settings(settings.secret_key, settings.data_dir / "secret.key")
    uow = SqlUnitOfWorkFactory(engine, box)
    clock = clock or SystemClock()
    store = DeltaDatasetStore(
        settings.datasets_dir,
        settings.faults.pause_before_commit_log,
        settings.faults.pause_after_commit_log,
    )
    staging = ParquetPartStaging(settings.staging_dir, settings.upload_decode_slots)
    registry = registry or ConnectorRegistry.from_entry_points(
        options=settings.options_for_connectors()
    )
    policy = egress_policy(settings)
    egress.install_audit_hook()
    runners = Runners(uow, clock, timedelta(seconds=settings.runner.lease_seconds))
    runners.register()
    me = runners.me.id
    cancels = CancelSignals()
    datasets = Datasets(uow, store, clock)
    retries = ScheduledRetries(
        RetryPolicy(
            max_retries=settings.scheduler.retry_max,
            first_delay_seconds=settings.scheduler.retry_delay_seconds,
            max_delay_seconds=settings.scheduler.retry_max_delay_seconds,
        )
    )
    check_engine = DuckDBCheckEngine(settings.query, settings.checks.time_limit_seconds)
    gate = QualityGate(uow, store, check_engine, clock, datasets)
    positions = Positions(uow, store)
    committer = Committer(uow, store, clock, datasets, me, retries, gate, positions)
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
    query_engine = DuckDBQueryEngine(
        settings.query, settings.data_dir / "cache", hidden_roots=[settings.data_dir]
    )
    pipeline_commits = PipelineCommits(store, datasets, positions)
    supervisor = Supervisor(
        PipelineRuns(uow, clock),
        pipeline_commits,
        registry.sources(),
        settings.pipelines,
        tuple(settings.options_for_connectors()["file"]["allowed_dirs"]),
        policy,
    )
    executions.dispatcher = executor
    scheduler = Scheduler(
        uow, clock, me, executor, SchedulerLimits(keep_ticks=settings.scheduler.keep_ticks)
    )
    uploads = Uploads(uow, clock, staging, committer, executions)
    services = Services(
        auth=Auth(uow, clock),
        users=Users(uow, clock),
        groups=Groups(uow, clock),
        tokens=Tokens(uow, clock),
        datasets=datasets,
        dataset_access=DatasetAccess(uow),
        query=Query(uow, store, query_engine),
        accounts=Accounts(uow, clock, registry, policy),
        streams=Streams(uow, clock, registry, policy),
        executions=executions,
        uploads=uploads,
        versions=Versions(uow, store, clock, committer, uploads, me, positions),
        committer=committer,
        connector_runs=runs,
        connectors=registry,
        scheduler=scheduler,
        oauth=OAuth(
            uow,
            clock,
            JwtSigner.from_settings(
                settings.oauth_signing_key, settings.data_dir / "oauth-signing.key"
            ),
            settings.oauth_token_ttl_seconds,
        ),
        policies=Policies(uow),
        pipelines=Pipelines(uow, clock, query_engine, store, registry),
        pipeline_ingress=PipelineIngress(
            uow, pipeline_commits, settings.pipelines.ingress_wait_seconds
        ),
        pipeline_query=PipelineQuery(uow, store, query_engine),
        checks=DatasetChecks(uow, clock, check_engine),
    )
    recovery = Recovery(uow, clock, staging, committer, runners)
    recovery.run()
    loops = [liveness_loop(runners, recovery, settings.runner.heartbeat_seconds)]
    if settings.scheduler.enabled:
        loops.append(scheduler_loop(scheduler, settings.scheduler.poll_seconds))
    return Runtime(
        settings=settings,
        services=services,
        engine=engine,
        executor=executor,
        runners=runners,
        registry=registry,
        loops=loops,
        supervisor=supervisor,
        query_engine=query_engine,
    )


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
