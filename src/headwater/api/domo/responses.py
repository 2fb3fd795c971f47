"""What the product API (`/api/...`) answers, as response models for the OpenAPI document.

Field names as on the wire; the handlers build these bodies themselves (see
`api.shared.wire_model`). A field that only some answers carry has a default (it is not
required); `None` in a type means the field is sent as `null`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, RootModel

from headwater.api.shared.responses import (
    CheckResultOut,
    Message,
    QuarantineOut,
    SchemaChangesOut,
    SchemaOut,
)
from headwater.api.shared.wire_model import WireModel

# -- users, tokens, groups ----------------------------------------------------------------


class DomoUserDetail(WireModel):
    email: str


class DomoUser(WireModel):
    id: int
    displayName: str
    userName: str
    emailAddress: str
    roleId: int
    role: str = Field(description="Admin, Privileged, Editor or Participant")
    detail: DomoUserDetail
    created: int | None = Field(description="Epoch milliseconds.")


class DomoToken(WireModel):
    id: int
    name: str
    ownerId: int
    expires: int | None = Field(description="Epoch milliseconds; null for none.")
    created: int | None = Field(description="Epoch milliseconds.")


class DomoTokenCreated(DomoToken):
    token: str = Field(description="The secret: shown in this answer only.")


class DomoGroup(WireModel):
    id: int
    groupId: int
    name: str
    description: str
    groupType: str
    userIds: list[int]
    memberCount: int
    created: int | None = Field(description="Epoch milliseconds.")


# -- datasets ------------------------------------------------------------------------------


class DomoOwner(WireModel):
    id: str
    name: str | None
    type: str
    group: bool


class DomoFormulas(WireModel):
    formulas: dict[str, Any]


class DomoProperties(WireModel):
    formulas: DomoFormulas


class DomoDatasource(WireModel):
    """A dataset as `/api/data/v3/datasources` shows it (docs/api.md, Datasets)."""

    id: str
    name: str
    description: str
    displayType: str
    dataProviderType: str
    type: str
    transportType: str
    owner: DomoOwner
    rowCount: int
    columnCount: int
    schema_: SchemaOut = Field(alias="schema")
    streamId: int | None
    status: str
    state: str
    dataVersion: int | None
    created: int | None = Field(description="Epoch milliseconds.")
    createdAt: int | None = Field(description="Epoch milliseconds.")
    lastUpdated: int | None = Field(description="Epoch milliseconds.")
    lastTouched: int | None = Field(description="Epoch milliseconds.")
    tags: str = Field(description="A JSON-encoded list of strings, as Domo sends it.")
    permissions: str = Field(description="Domo's string for the caller's level.")
    accessLevel: str
    cloudId: str
    hidden: bool
    validConfiguration: bool
    validAccount: bool
    properties: DomoProperties
    permissionLevel: str | None = Field(
        default=None, description="With `part=permission` (or `all`) only."
    )


class DomoDataSourceRef(WireModel):
    dataSourceId: str
    name: str


class DomoDatasourceV2(DomoDatasource):
    """domolibrary's create answer: the dataset, and its id under `dataSource`."""

    dataSource: DomoDataSourceRef


class DomoRowAppended(WireModel):
    """`POST .../uploads` with `values`: the row landed as this version."""

    dataSourceId: str
    dataVersion: int | None
    rowsInserted: int


class DomoUploadOpened(WireModel):
    """`POST .../uploads` without `values`: a multipart upload, as domolibrary opens it."""

    dataSourceId: str
    uploadId: int
    requestedAsOf: int | None = Field(description="Epoch milliseconds.")


class DomoUploadPart(WireModel):
    dataSourceId: str
    uploadId: int
    partId: int


class DomoAccessEntry(WireModel):
    id: str
    type: str = Field(description="USER or GROUP")
    accessLevel: str
    name: str | None


class DomoAccessList(WireModel):
    list_: list[DomoAccessEntry] = Field(alias="list")
    totalUserCount: int
    totalGroupCount: int


class DomoVersionUser(WireModel):
    id: int
    name: str | None


class DomoVersion(WireModel):
    version: int
    time: str = Field(description="ISO 8601, UTC, milliseconds.")
    operation: str
    deltaOperation: str = Field(description="The table format's own name (WRITE, MERGE...).")
    rowsAdded: int | None
    rowsRemoved: int | None
    rowCount: int | None
    executionId: int | None
    streamId: int | None
    user: DomoVersionUser | None
    restoredFrom: int | None
    current: bool
    expired: bool


class DomoCheck(WireModel):
    """One quality check, with only the fields of its type (docs/quality-checks.md)."""

    name: str
    type: str
    column: str | None = None
    columns: list[str] | None = None
    values: list[Any] | None = None
    min: Any = None
    max: Any = None
    pattern: str | None = None
    maxAgeHours: Any = None


class DomoChecks(WireModel):
    datasetId: str
    onFailure: str = Field(description="FAIL or QUARANTINE")
    checks: list[DomoCheck]
    quarantineDatasetId: str | None
    modifiedAt: int | None = Field(description="Epoch milliseconds.")
    modifiedBy: str | None


class DomoQueryRows(RootModel[list[dict[str, Any]]]):
    """The rows, one object each, column → value (docs/api.md, Decimals, for decimals)."""


# -- executions ----------------------------------------------------------------------------


class DomoExecution(WireModel):
    """An execution as the seeds show it: every field present, times in epoch seconds."""

    streamId: int
    executionId: int
    id: int
    toe: str
    startedAt: float | None
    endedAt: float | None
    updateMethod: str
    index: bool
    retryCount: int
    retryExecution: int | None
    containerManagerId: str
    uploadId: int | None
    indexRequestKey: None
    currentState: str
    runType: str
    createdAt: float | None
    modifiedAt: float | None
    latestPhase: str
    currentPhase: str
    removed: bool
    rowsInserted: int | None
    bytesInserted: int | None
    startedBy: str
    cancelledBy: str | None
    dataTag: None
    dataVersion: int | None
    peakMemoryUsedBytes: int | None
    peakMemoryCommittedBytes: None
    exportable: bool
    manualIndex: bool
    attempt: int
    errors: list[Message]
    warnings: list[Message]
    checkResults: list[CheckResultOut]
    quarantine: QuarantineOut | None
    schemaChanges: SchemaChangesOut | None


class DomoUploadCommitted(DomoExecution):
    """A dataset upload's commit: the execution, with the dataset and upload named."""

    dataSourceId: str
    status: str


class DomoRestored(DomoExecution):
    """The execution that made an old version the current data."""

    dataSourceId: str
    restoredVersion: int
    rowCount: int | None


class DomoHistoryEntry(WireModel):
    executionId: int
    streamId: int
    state: str
    status: str
    runType: str
    startedAt: float | None
    endedAt: float | None
    duration: float | None = Field(description="Seconds.")
    rowsInserted: int | None
    bytesInserted: int | None
    retryCount: int
    error: str | None


class DomoTick(WireModel):
    streamId: int
    dueAt: float | None
    claimedAt: float | None
    outcome: str
    executionId: int | None
    catchUp: bool
    note: str | None
    claimedBy: str | None


class DomoPart(WireModel):
    partId: int
    rows: int | None
    bytes: int | None
    uploadedAt: float | None = Field(description="Epoch seconds.")


# -- accounts, streams, providers -----------------------------------------------------------


class DomoAccountEntry(WireModel):
    name: str
    value: Any = Field(description="Secrets come back masked.")
    type: str


class DomoAccount(WireModel):
    id: int
    userId: int
    name: str
    displayName: str | None
    type: str
    valid: bool
    dataProviderType: str
    createdAt: str
    createdBy: int
    modifiedAt: str
    configurations: list[DomoAccountEntry]


class DomoTransport(WireModel):
    type: str
    version: str
    description: str


class DomoDataProvider(WireModel):
    key: str
    name: str


class DomoConfigurationEntry(WireModel):
    name: str
    value: Any = Field(description="Secrets come back masked.")
    type: str
    category: str


class DomoRetryPolicy(WireModel):
    maxRetries: int
    delaySeconds: float
    maxDelaySeconds: float


class DomoPendingRetry(WireModel):
    executionId: int
    at: str | None


class DomoStreamOwner(WireModel):
    id: int


class DomoStreamDataSource(WireModel):
    id: str
    name: str
    description: str
    dataProviderType: str
    rowCount: int
    columnCount: int
    owner: DomoStreamOwner


class DomoStream(WireModel):
    """A stream with every field (`fields=all`, and what create and update answer)."""

    id: int
    userId: int
    name: str
    displayName: str
    type: str
    dataProviderType: str
    valid: bool
    transport: DomoTransport
    dataProvider: DomoDataProvider
    account: DomoAccount | None
    configuration: list[DomoConfigurationEntry]
    updateMethod: str
    keyColumnNames: list[str]
    schedule: dict[str, Any] | None
    advancedScheduleJson: str | None
    scheduleActive: bool
    scheduleState: str | None
    nextRunAt: str | None
    retryPolicy: DomoRetryPolicy | None
    schemaPolicy: str
    pendingRetry: DomoPendingRetry | None
    dataSource: DomoStreamDataSource
    schemaDefinition: SchemaOut
    lastExecution: DomoExecution | None
    currentExecution: DomoExecution | None
    currentExecutionState: str | None
    playbookRegistryId: None
    executions: list[Any]
    changes: list[Any]
    createdAt: str
    createdBy: int
    modifiedAt: str
    modifiedBy: int


class DomoStreamFields(WireModel):
    """A stream as listed, searched or read: the fields `fields` names (`all` for every one;
    by default `id, userId, name, displayName, type, dataProviderType, valid`)."""

    id: int | None = None
    userId: int | None = None
    name: str | None = None
    displayName: str | None = None
    type: str | None = None
    dataProviderType: str | None = None
    valid: bool | None = None
    transport: DomoTransport | None = None
    dataProvider: DomoDataProvider | None = None
    account: DomoAccount | None = None
    configuration: list[DomoConfigurationEntry] | None = None
    updateMethod: str | None = None
    keyColumnNames: list[str] | None = None
    schedule: dict[str, Any] | None = None
    advancedScheduleJson: str | None = None
    scheduleActive: bool | None = None
    scheduleState: str | None = None
    nextRunAt: str | None = None
    retryPolicy: DomoRetryPolicy | None = None
    schemaPolicy: str | None = None
    pendingRetry: DomoPendingRetry | None = None
    dataSource: DomoStreamDataSource | None = None
    schemaDefinition: SchemaOut | None = None
    lastExecution: DomoExecution | None = None
    currentExecution: DomoExecution | None = None
    currentExecutionState: str | None = None
    playbookRegistryId: None = None
    executions: list[Any] | None = None
    changes: list[Any] | None = None
    createdAt: str | None = None
    createdBy: int | None = None
    modifiedAt: str | None = None
    modifiedBy: int | None = None


class DomoProvider(WireModel):
    """A connector this server can run. `spec` is the JSON Schema of a CONNECTOR stream's
    `configuration` (null when the connector has none, or is broken)."""

    key: str
    name: str
    description: str
    transport: str
    status: str = Field(description="AVAILABLE or BROKEN")
    error: str | None = Field(description="Why a BROKEN connector could not be loaded.")
    spec: dict[str, Any] | None
    kind: Literal["batch", "streaming"] = Field(
        description="batch: a stream's connector (runs); streaming: a pipeline's transport."
    )
