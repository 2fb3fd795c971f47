"""What the server answers, as typed, read-only objects. `raw` keeps the body as it came.

Only the fields a program usually needs are typed; everything the server sent is in `raw`
(which is also what the CLI prints with `--json`). Times are timezone-aware datetimes in UTC,
whatever the wire form (epoch seconds, epoch milliseconds, or ISO-8601).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "Account",
    "Check",
    "CheckResult",
    "Checks",
    "Column",
    "ConfigEntry",
    "Connector",
    "Dataset",
    "Execution",
    "Group",
    "HistoryEntry",
    "IssuedOAuthClient",
    "IssuedToken",
    "OAuthClient",
    "Part",
    "Permission",
    "QueryResult",
    "Stream",
    "Token",
    "UploadResult",
    "User",
    "Version",
]

FINISHED = frozenset({"SUCCESS", "ERROR", "ABORTED"})


def _moment(value: Any) -> Any:
    """Epoch seconds (executions), epoch ms (datasets, users) or ISO text (streams) → UTC."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value


class Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    raw: dict[str, Any] = Field(default_factory=dict, repr=False, exclude=True)

    @classmethod
    def from_wire(cls, data: Any) -> Self:
        body = data if isinstance(data, dict) else {}
        return cls.model_validate({**body, "raw": body})

    @classmethod
    def list_from_wire(cls, data: Any) -> list[Self]:
        return [cls.from_wire(item) for item in data or []]


class Column(BaseModel):
    """A dataset column. A DECIMAL has a `precision` (digits in all) and a `scale` (digits
    after the point); other types have neither."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    precision: int | None = None
    scale: int | None = None

    @property
    def type_text(self) -> str:
        """The type as the CLI writes it: `DECIMAL(12,2)`, `LONG`."""
        if self.precision is not None:
            return f"{self.type}({self.precision},{self.scale or 0})"
        return self.type


class ConfigEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    value: Any = None
    type: str | None = None


class Dataset(Wire):
    id: str
    name: str
    description: str = ""
    owner_id: int | None = Field(default=None, validation_alias=AliasPath("owner", "id"))
    owner_name: str | None = Field(default=None, validation_alias=AliasPath("owner", "name"))
    row_count: int = Field(default=0, alias="rowCount")
    column_count: int = Field(default=0, alias="columnCount")
    columns: list[Column] = Field(
        default_factory=list, validation_alias=AliasPath("schema", "columns")
    )
    stream_id: int | None = Field(default=None, alias="streamId")
    status: str | None = None
    data_version: int | None = Field(default=None, alias="dataVersion")
    # What the stream's schemaPolicy did: {added, widened, dropped, nullFilled}.
    schema_changes: dict[str, Any] | None = Field(default=None, alias="schemaChanges")
    created_at: datetime | None = Field(default=None, alias="createdAt")
    updated_at: datetime | None = Field(default=None, alias="lastUpdated")
    tags: list[str] = Field(default_factory=list)
    access_level: str | None = Field(default=None, alias="accessLevel")

    _times = field_validator("created_at", "updated_at", mode="before")(_moment)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        # Domo sends tags as a JSON-encoded list
        return json.loads(value) if isinstance(value, str) and value.strip() else value or []


class Version(Wire):
    """One version of a dataset's data, as `Datasets.versions` lists them (newest first).
    An `expired` version is past the retention horizon: it can be neither read nor restored."""

    version: int
    time: datetime | None = None
    operation: str
    rows_added: int | None = Field(default=None, alias="rowsAdded")
    rows_removed: int | None = Field(default=None, alias="rowsRemoved")
    row_count: int | None = Field(default=None, alias="rowCount")
    execution_id: int | None = Field(default=None, alias="executionId")
    stream_id: int | None = Field(default=None, alias="streamId")
    user_id: int | None = Field(default=None, validation_alias=AliasPath("user", "id"))
    user_name: str | None = Field(default=None, validation_alias=AliasPath("user", "name"))
    restored_from: int | None = Field(default=None, alias="restoredFrom")
    current: bool = False
    expired: bool = False

    _times = field_validator("time", mode="before")(_moment)


class CheckResult(Wire):
    """What one quality check found in an execution's load. `samples` (up to 10 failing
    rows) are shown only to callers no row policy restricts."""

    name: str
    type: str
    status: str
    failing_rows: int | None = Field(default=None, alias="failingRows")
    message: str = ""
    samples: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "PASSED"


def _wired(kind: type[Wire]) -> Any:
    """A validator building nested objects with their `raw` body."""

    def build(value: Any) -> Any:
        return [kind.from_wire(v) if isinstance(v, dict) else v for v in value or []]

    return build


class Execution(Wire):
    id: int = Field(validation_alias=AliasChoices("executionId", "id"))
    stream_id: int = Field(alias="streamId")
    state: str = Field(alias="currentState")
    phase: str | None = Field(default=None, alias="currentPhase")
    run_type: str | None = Field(default=None, alias="runType")
    update_method: str | None = Field(default=None, alias="updateMethod")
    started_at: datetime | None = Field(default=None, alias="startedAt")
    ended_at: datetime | None = Field(default=None, alias="endedAt")
    rows: int = Field(default=0, alias="rowsInserted")
    bytes: int = Field(default=0, alias="bytesInserted")
    retry_count: int = Field(default=0, alias="retryCount")
    data_version: int | None = Field(default=None, alias="dataVersion")
    errors: list[str] = Field(default_factory=list)
    check_results: list[CheckResult] = Field(default_factory=list, alias="checkResults")
    quarantine_dataset_id: str | None = Field(
        default=None, validation_alias=AliasPath("quarantine", "datasetId")
    )
    quarantined_rows: int = Field(default=0, validation_alias=AliasPath("quarantine", "rows"))

    _times = field_validator("started_at", "ended_at", mode="before")(_moment)
    _results = field_validator("check_results", mode="before")(_wired(CheckResult))

    @field_validator("errors", mode="before")
    @classmethod
    def _errors(cls, value: Any) -> Any:
        return [e.get("message", str(e)) if isinstance(e, dict) else str(e) for e in value or []]

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCESS"


class Check(Wire):
    """One quality check of a dataset, as the server keeps it (see docs/quality-checks.md)."""

    name: str
    type: str
    column: str | None = None
    columns: list[str] | None = None
    values: list[Any] | None = None
    min: Any = None
    max: Any = None
    pattern: str | None = None
    max_age_hours: float | None = Field(default=None, alias="maxAgeHours")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class Checks(Wire):
    """A dataset's quality checks, what happens to a load that fails them, and the dataset
    its failing rows go to under QUARANTINE (made on first need)."""

    dataset_id: str = Field(alias="datasetId")
    on_failure: str = Field(default="FAIL", alias="onFailure")
    checks: list[Check] = Field(default_factory=list)
    quarantine_dataset_id: str | None = Field(default=None, alias="quarantineDatasetId")

    _checks = field_validator("checks", mode="before")(_wired(Check))


class Stream(Wire):
    id: int
    dataset_id: str | None = Field(default=None, validation_alias=AliasPath("dataSource", "id"))
    dataset_name: str | None = Field(
        default=None, validation_alias=AliasChoices(AliasPath("dataSource", "name"), "name")
    )
    transport: str | None = Field(default=None, validation_alias=AliasPath("transport", "type"))
    provider: str | None = Field(default=None, validation_alias=AliasPath("dataProvider", "key"))
    account_id: int | None = Field(default=None, validation_alias=AliasPath("account", "id"))
    update_method: str | None = Field(default=None, alias="updateMethod")
    key_columns: list[str] = Field(default_factory=list, alias="keyColumnNames")
    schema_policy: str | None = Field(default=None, alias="schemaPolicy")
    configuration: list[ConfigEntry] = Field(default_factory=list)
    schedule: dict[str, Any] | None = None
    schedule_active: bool | None = Field(default=None, alias="scheduleActive")
    schedule_state: str | None = Field(default=None, alias="scheduleState")
    next_run_at: datetime | None = Field(default=None, alias="nextRunAt")
    last_execution: Execution | None = Field(default=None, alias="lastExecution")
    created_at: datetime | None = Field(default=None, alias="createdAt")

    _times = field_validator("created_at", "next_run_at", mode="before")(_moment)

    @field_validator("last_execution", mode="before")
    @classmethod
    def _execution(cls, value: Any) -> Any:
        return Execution.from_wire(value) if isinstance(value, dict) else value

    @property
    def takes_uploads(self) -> bool:
        return (self.transport or "").upper() == "API"


class HistoryEntry(Wire):
    execution_id: int = Field(alias="executionId")
    state: str
    run_type: str | None = Field(default=None, alias="runType")
    started_at: datetime | None = Field(default=None, alias="startedAt")
    ended_at: datetime | None = Field(default=None, alias="endedAt")
    duration: float | None = None
    rows: int = Field(default=0, alias="rowsInserted")
    bytes: int = Field(default=0, alias="bytesInserted")
    retry_count: int = Field(default=0, alias="retryCount")
    error: str | None = None

    _times = field_validator("started_at", "ended_at", mode="before")(_moment)


class Part(Wire):
    part_id: int = Field(alias="partId")
    rows: int = 0
    bytes: int = 0
    uploaded_at: datetime | None = Field(default=None, alias="uploadedAt")

    _times = field_validator("uploaded_at", mode="before")(_moment)


class Permission(Wire):
    principal_type: str = Field(alias="type")
    principal_id: int = Field(alias="id")
    access_level: str = Field(alias="accessLevel")
    name: str | None = None


class User(Wire):
    id: int
    display_name: str = Field(alias="displayName")
    email: str | None = Field(default=None, alias="emailAddress")
    role_id: int | None = Field(default=None, alias="roleId")
    role: str | None = None
    created_at: datetime | None = Field(default=None, alias="created")

    _times = field_validator("created_at", mode="before")(_moment)


class Group(Wire):
    id: int
    name: str
    description: str = ""
    member_ids: list[int] = Field(default_factory=list, alias="userIds")
    member_count: int = Field(default=0, alias="memberCount")


class Token(Wire):
    id: int
    name: str
    owner_id: int | None = Field(default=None, alias="ownerId")
    expires_at: datetime | None = Field(default=None, alias="expires")
    created_at: datetime | None = Field(default=None, alias="created")

    _times = field_validator("expires_at", "created_at", mode="before")(_moment)


class IssuedToken(Token):
    """A token just created: `token` is its secret, shown only this once."""

    token: str = Field(repr=False)


class Account(Wire):
    id: int
    name: str
    display_name: str | None = Field(default=None, alias="displayName")
    provider: str | None = Field(default=None, alias="dataProviderType")
    owner_id: int | None = Field(default=None, alias="userId")
    configurations: list[ConfigEntry] = Field(default_factory=list)


class Connector(Wire):
    """A connector this server can run for streams: `status` is AVAILABLE, or BROKEN with
    `error` saying why its plug-in failed to load; `spec` is its configuration's JSON Schema."""

    key: str
    name: str | None = None
    description: str = ""
    status: str = "AVAILABLE"
    error: str | None = None
    spec: dict[str, Any] = Field(default_factory=dict)

    @field_validator("spec", mode="before")
    @classmethod
    def _spec(cls, value: Any) -> Any:
        return value or {}  # a broken plug-in has none

    @property
    def available(self) -> bool:
        return self.status == "AVAILABLE"


class OAuthClient(Wire):
    """A public-API (pydomo) client: it trades its id and secret for access tokens."""

    id: str = Field(validation_alias=AliasChoices("clientId", "id"))
    name: str
    scope: list[str] = Field(default_factory=list)
    user_id: int | None = Field(default=None, alias="userId")
    created_at: datetime | None = Field(default=None, alias="createdAt")

    _times = field_validator("created_at", mode="before")(_moment)


class IssuedOAuthClient(OAuthClient):
    """A client just created: `secret` is shown only this once."""

    secret: str = Field(alias="clientSecret", repr=False)


class QueryResult(BaseModel):
    """Rows as the server returns them: one mapping per row, in the SELECT's column order."""

    model_config = ConfigDict(frozen=True)

    rows: list[dict[str, Any]]

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []

    def __len__(self) -> int:
        return len(self.rows)


class UploadResult(BaseModel):
    """How an upload went: the committed execution and what crossed the wire."""

    model_config = ConfigDict(frozen=True)

    execution: Execution
    parts: int
    parts_resumed: int
    bytes_read: int
    bytes_sent: int
