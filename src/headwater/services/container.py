"""All use cases, by area, built once by `headwater.bootstrap` and handed to the API and
runtime: `services.identity.users`, `services.ingest.streams`, `services.pipelines.catalog`..."""

from __future__ import annotations

from dataclasses import dataclass

from headwater.connectors.registry import ConnectorRegistry
from headwater.services.datasets.access import DatasetAccess
from headwater.services.datasets.catalog import Datasets
from headwater.services.datasets.checks import DatasetChecks
from headwater.services.datasets.policies import Policies
from headwater.services.datasets.query import Query
from headwater.services.identity.auth import Auth
from headwater.services.identity.groups import Groups
from headwater.services.identity.oauth import OAuth
from headwater.services.identity.tokens import Tokens
from headwater.services.identity.users import Users
from headwater.services.ingest.accounts import Accounts
from headwater.services.ingest.committer import Committer
from headwater.services.ingest.connector_runs import ConnectorRuns
from headwater.services.ingest.executions import Executions
from headwater.services.ingest.scheduler import Scheduler
from headwater.services.ingest.streams import Streams
from headwater.services.ingest.uploads import Uploads
from headwater.services.ingest.versions import Versions
from headwater.services.pipelines.catalog import Pipelines
from headwater.services.pipelines.ingress import PipelineIngress
from headwater.services.pipelines.query import PipelineQuery


@dataclass(frozen=True)
class IdentityServices:
    """Who is calling, and who may do what."""

    auth: Auth
    users: Users
    groups: Groups
    tokens: Tokens
    oauth: OAuth


@dataclass(frozen=True)
class DatasetServices:
    """Datasets: their metadata, permissions, row policies, queries and quality checks."""

    catalog: Datasets
    access: DatasetAccess
    query: Query
    policies: Policies
    checks: DatasetChecks


@dataclass(frozen=True)
class IngestServices:
    """Data in by executions: accounts, streams, uploads, connector runs, the scheduler, and
    restores of older versions."""

    accounts: Accounts
    streams: Streams
    executions: Executions
    uploads: Uploads
    committer: Committer
    connector_runs: ConnectorRuns
    connectors: ConnectorRegistry
    scheduler: Scheduler
    versions: Versions  # the list, and restores (a restore is an execution)


@dataclass(frozen=True)
class PipelineServices:
    """Feldera-style pipelines: their definitions, ingress and ad-hoc queries."""

    catalog: Pipelines
    ingress: PipelineIngress
    query: PipelineQuery


@dataclass(frozen=True)
class Services:
    identity: IdentityServices
    datasets: DatasetServices
    ingest: IngestServices
    pipelines: PipelineServices
