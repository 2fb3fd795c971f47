"""The Headwater Python client: sync and async, over HTTP, importing no server code.

    from headwater.client import Client

    with Client("http://127.0.0.1:8080", token="...") as hw:
        for dataset in hw.datasets.list():
            print(dataset.name, dataset.row_count)

See docs/client.md.
"""

from headwater.client._client import AsyncClient, Client
from headwater.client._exceptions import (
    APIError,
    BadData,
    BadRequest,
    Conflict,
    ExecutionFailed,
    Forbidden,
    Gone,
    HeadwaterError,
    InvalidQuery,
    NotFound,
    PipelineTimeout,
    RateLimited,
    RequestError,
    RequestTimeout,
    ServerError,
    Unauthenticated,
    UploadIncomplete,
    WaitTimeout,
)
from headwater.client._models import (
    Account,
    Check,
    CheckResult,
    Checks,
    Column,
    ConfigEntry,
    Connector,
    Dataset,
    Execution,
    Group,
    HistoryEntry,
    IssuedOAuthClient,
    IssuedToken,
    OAuthClient,
    Part,
    Permission,
    QueryResult,
    Stream,
    Token,
    UploadResult,
    User,
    Version,
)
from headwater.client._pipeline_models import (
    ConnectorStats,
    Pipeline,
    PipelineStats,
    PipelineTable,
)
from headwater.client._retry import RetryConfig
from headwater.client._uploads import UploadProgress

__all__ = [
    "APIError",
    "Account",
    "AsyncClient",
    "BadData",
    "BadRequest",
    "Check",
    "CheckResult",
    "Checks",
    "Client",
    "Column",
    "ConfigEntry",
    "Conflict",
    "Connector",
    "ConnectorStats",
    "Dataset",
    "Execution",
    "ExecutionFailed",
    "Forbidden",
    "Gone",
    "Group",
    "HeadwaterError",
    "HistoryEntry",
    "InvalidQuery",
    "IssuedOAuthClient",
    "IssuedToken",
    "NotFound",
    "OAuthClient",
    "Part",
    "Permission",
    "Pipeline",
    "PipelineStats",
    "PipelineTable",
    "PipelineTimeout",
    "QueryResult",
    "RateLimited",
    "RequestError",
    "RequestTimeout",
    "RetryConfig",
    "ServerError",
    "Stream",
    "Token",
    "Unauthenticated",
    "UploadIncomplete",
    "UploadProgress",
    "UploadResult",
    "User",
    "Version",
    "WaitTimeout",
]
