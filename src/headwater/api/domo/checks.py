"""A dataset's quality checks: `/api/data/v3/datasources/{id}/checks` (GET, PUT)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoChecks
from headwater.api.domo.wire import epoch_ms
from headwater.api.openapi_responses import typed
from headwater.domain.checks import CheckSet, CheckSpec
from headwater.domain.errors import InvalidInput

router = APIRouter(tags=["datasets"])


class CheckIn(BaseModel):
    """One check. Its fields are checked against the dataset's columns by the service, so an
    error names the check by its place (`checks[2].column`); unknown fields are refused, so
    a misspelt one (`minimum`) is a 400 rather than a check that checks less."""

    model_config = ConfigDict(extra="forbid")
    name: str
    type: str
    column: str | None = None
    columns: list[str] | None = None
    values: list[Any] | None = None
    min: Any = None
    max: Any = None
    pattern: str | None = None
    maxAgeHours: Any = None

    def spec(self) -> CheckSpec:
        return CheckSpec(
            name=self.name,
            type=self.type,
            column=self.column,
            columns=self.columns,
            values=self.values,
            min=self.min,
            max=self.max,
            pattern=self.pattern,
            max_age_hours=self.maxAgeHours,
        )


class ChecksIn(BaseModel):
    # What GET answers may be sent back as it is: its read-only fields are ignored.
    model_config = ConfigDict(extra="ignore")
    onFailure: str | None = None
    # Required: a body without it ({} or only onFailure) would otherwise remove every check.
    checks: list[CheckIn] | None = None


async def exact_numbers(request: Request) -> Any:
    """The body decoded once more, each number with a point or an exponent as the exact
    `Decimal` written: `12.50` stays 12.50, `1e-10000000` stays itself (a float reads it as
    0.0), so a check's values are judged as sent. FastAPI has read and validated the body
    already (this is its cached copy)."""
    try:
        return json.loads(await request.body(), parse_float=Decimal)
    except (ValueError, RecursionError):  # FastAPI has refused such a body before
        return None


ExactBody = Annotated[Any, Depends(exact_numbers)]


def checks_json(check_set: CheckSet) -> dict[str, Any]:
    return {
        "datasetId": check_set.dataset_id,
        "onFailure": check_set.on_failure.value,
        "checks": [c.as_dict() for c in check_set.checks],
        "quarantineDatasetId": check_set.quarantine_dataset_id,
        "modifiedAt": epoch_ms(check_set.modified_at),
        "modifiedBy": None if check_set.modified_by is None else str(check_set.modified_by),
    }


@router.get("/api/data/v3/datasources/{dataset_id}/checks", responses=typed(DomoChecks))
def get_checks(dataset_id: str, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return checks_json(services.datasets.checks.get(caller, dataset_id))


@router.put("/api/data/v3/datasources/{dataset_id}/checks", responses=typed(DomoChecks))
def put_checks(
    dataset_id: str, body: ChecksIn, exact: ExactBody, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    if isinstance(exact, dict):
        body = ChecksIn.model_validate(exact)
    if body.checks is None:
        raise InvalidInput(
            'checks is missing: send the whole list of checks ("checks": [] removes them all)',
            field="checks",
        )
    specs = [c.spec() for c in body.checks]
    return checks_json(services.datasets.checks.put(caller, dataset_id, body.onFailure, specs))
