"""All use cases, built once by `headwater.bootstrap` and handed to the API and runtime."""

from __future__ import annotations

from dataclasses import dataclass

from headwater.connectors.registry import ConnectorRegistry
from headwater.services.accounts import Accounts
from headwater.services.auth import Auth
from headwater.services.checks import DatasetChecks
from headwater.services.committer import Committer
from headwater.services.connector_runs import ConnectorRuns
from headwater.services.dataset_access import DatasetAccess
from headwater.services.datasets import Datasets
from headwater.services.executions import Executions
from headwater.services.groups import Groups
from headwater.services.oauth import OAuth
from headwater.services.pipeline_ingress import PipelineIngress
from headwater.services.pipeline_query import PipelineQuery
from headwater.services.pipelines import Pipelines
from headwater.services.policies import Policies
from headwater.services.query import Query
from headwater.services.scheduler import Scheduler
from headwater.services.streams import Streams
from headwater.services.tokens import Tokens
from headwater.services.uploads import Uploads
from headwater.services.users import Users
from headwater.services.versions import Versions


@dataclass(frozen=True)
class Services:
    auth: Auth
    users: Users
    groups: Groups
    tokens: Tokens
    datasets: Datasets
    dataset_access: DatasetAccess
    query: Query
    accounts: Accounts
    streams: Streams
    executions: Executions
    uploads: Uploads
    versions: Versions
    committer: Committer
    connector_runs: ConnectorRuns
    connectors: ConnectorRegistry
    scheduler: Scheduler
    oauth: OAuth
    policies: Policies
    pipelines: Pipelines
    pipeline_ingress: PipelineIngress
    pipeline_query: PipelineQuery
    checks: DatasetChecks
