"""What the public API (`/oauth/token`, `/v1/...`, `/api/data/v1/clients`) answers, as
response models for the OpenAPI document (pydomo's shapes; see `api.shared.wire_model`).

Times are ISO 8601 in UTC with milliseconds (`2016-02-29T20:56:20.567Z`). A field that only
some answers carry has a default (it is not required); `None` in a type means it may be
`null`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from headwater.api.shared.responses import (
    CheckResultOut,
    Message,
    QuarantineOut,
    SchemaChangesOut,
    SchemaOut,
)
from headwater.api.shared.wire_model import WireModel


class PublicAccessToken(WireModel):
    """RFC 6749's token answer, with Domo's extra fields."""

    access_token: str
    token_type: str
    expires_in: int = Field(description="Seconds.")
    scope: str = Field(description="Space-separated: data, user.")
    customer: str
    userId: int
    role: str
    jti: str
    domain: str


class PublicClient(WireModel):
    id: str
    clientId: str
    name: str
    scope: list[str]
    userId: int
    createdAt: str | None


class PublicClientCreated(PublicClient):
    clientSecret: str = Field(description="The secret: shown in this answer only.")


class PublicOwner(WireModel):
    id: int
    name: str | None


class PublicPolicyFilter(WireModel):
    column: str
    values: list[str]
    operator: str
    not_: bool = Field(alias="not")


class PublicPolicy(WireModel):
    id: int
    type: str = Field(description="user, system or open")
    name: str
    filters: list[PublicPolicyFilter]
    users: list[int]
    virtualUsers: list[str]
    groups: list[int]


class PublicDataSet(WireModel):
    id: str
    name: str
    description: str
    rows: int
    columns: int
    schema_: SchemaOut = Field(alias="schema")
    owner: PublicOwner
    createdAt: str | None
    updatedAt: str | None
    dataCurrentAt: str | None = Field(description="null until data has landed.")
    pdpEnabled: bool
    policies: list[PublicPolicy] | None = Field(
        default=None, description="For callers who may manage them (CO_OWNER) only."
    )


class PublicQueryColumnMeta(WireModel):
    type: str = Field(description="The column's Domo type (STRING, LONG, DECIMAL...).")
    dataSourceId: str
    maxLength: int
    minLength: int
    periodIndex: int


class PublicQueryResult(WireModel):
    """A query's answer: the rows as lists of values, in `columns` order."""

    datasource: str
    columns: list[str]
    metadata: list[PublicQueryColumnMeta]
    rows: list[list[Any]]
    numRows: int
    numColumns: int


class PublicStreamDataSet(WireModel):
    id: str
    name: str
    description: str
    rows: int
    columns: int
    schema_: SchemaOut = Field(alias="schema")
    owner: PublicOwner
    createdAt: str | None
    updatedAt: str | None
    pdpEnabled: bool


class PublicStream(WireModel):
    id: int
    dataSet: PublicStreamDataSet
    updateMethod: str
    keyColumnNames: list[str]
    createdAt: str | None
    modifiedAt: str | None


class PublicStreamFields(WireModel):
    """A stream as listed or searched: the top-level fields `fields` names (all by default)."""

    id: int | None = None
    dataSet: PublicStreamDataSet | None = None
    updateMethod: str | None = None
    keyColumnNames: list[str] | None = None
    createdAt: str | None = None
    modifiedAt: str | None = None


class PublicExecution(WireModel):
    id: int
    streamId: int
    startedAt: str | None
    endedAt: str | None = Field(description="Always present; null while it runs.")
    currentState: str
    createdAt: str | None
    modifiedAt: str | None
    updateMethod: str
    rows: int | None
    bytes: int | None
    errors: list[Message]
    warnings: list[Message]
    checkResults: list[CheckResultOut]
    quarantine: QuarantineOut | None
    schemaChanges: SchemaChangesOut | None


class PublicUser(WireModel):
    id: int
    name: str
    email: str
    role: str
    roleId: int
    createdAt: str | None
    updatedAt: str | None


class PublicGroup(WireModel):
    id: int
    name: str
    description: str
    active: bool
    default: bool
    memberCount: int
