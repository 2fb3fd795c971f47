"""Accounts on `/api/data/v1/accounts`: credentials for connectors; secrets come back masked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from headwater.api.auth import Caller, ServicesDep
from headwater.api.domo.responses import DomoAccount
from headwater.api.openapi_responses import typed
from headwater.api.ranges import Id, parse_id
from headwater.api.shared.responses import Empty
from headwater.domain.access import AccessLevel, Grant, PrincipalType
from headwater.domain.accounts import Account
from headwater.domain.errors import InvalidInput
from headwater.domain.streams import parse_configuration

router = APIRouter(tags=["accounts"])
JsonBody = Annotated[Any, Body()]


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "userId": account.owner_id,
        "name": account.name,
        "displayName": account.display_name,
        "type": "DATA",
        "valid": True,
        "dataProviderType": account.data_provider_type,
        "createdAt": account.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "createdBy": account.owner_id,
        "modifiedAt": account.modified_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "configurations": [
            {"name": e.name, "value": e.value, "type": e.type}
            for e in account.masked_configuration()
        ],
    }


def _object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInput("the body must be a JSON object")
    return raw


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{key} is required and must be text", field=key)
    return value


@router.post(
    "/api/data/v1/accounts", status_code=status.HTTP_201_CREATED, responses=typed(DomoAccount, 201)
)
def create_account(body: JsonBody, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    body = _object(body)
    account = services.ingest.accounts.create(
        caller,
        _text(body, "name"),
        body.get("displayName"),
        _text(
            body,
            "dataProviderType",
            body.get("dataProvider", {}).get("key")
            if isinstance(body.get("dataProvider"), dict)
            else None,
        ),
        parse_configuration(
            body.get("configurations", body.get("configuration")), field_name="configurations"
        ),
    )
    return account_json(account)


@router.get("/api/data/v1/accounts", responses=typed(list[DomoAccount]))
def list_accounts(caller: Caller, services: ServicesDep) -> list[dict[str, Any]]:
    return [account_json(a) for a in services.ingest.accounts.visible(caller)]


@router.get("/api/data/v1/accounts/{account_id}", responses=typed(DomoAccount))
def get_account(account_id: Id, caller: Caller, services: ServicesDep) -> dict[str, Any]:
    return account_json(services.ingest.accounts.get(caller, account_id))


@router.put("/api/data/v1/accounts/{account_id}", responses=typed(DomoAccount))
def update_account(
    account_id: Id, body: JsonBody, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    body = _object(body)
    raw = body.get("configurations", body.get("configuration"))
    account = services.ingest.accounts.update(
        caller,
        account_id,
        body.get("displayName"),
        parse_configuration(raw, field_name="configurations") if raw is not None else None,
    )
    return account_json(account)


@router.delete("/api/data/v1/accounts/{account_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_account(account_id: Id, caller: Caller, services: ServicesDep) -> Response:
    services.ingest.accounts.delete(caller, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/api/data/v1/accounts/{account_id}/share", responses=typed(Empty))
def share_account(
    account_id: Id, body: JsonBody, caller: Caller, services: ServicesDep
) -> dict[str, Any]:
    body = _object(body)
    permissions = body.get("permissions", [body])
    if not isinstance(permissions, list):
        raise InvalidInput("permissions must be a list", field="permissions")
    grants = [_grant(p) for p in permissions if isinstance(p, dict) and "id" in p]
    if not grants:
        raise InvalidInput("permissions must list {type, id, accessLevel}", field="permissions")
    services.ingest.accounts.share(caller, account_id, grants)
    return {}


def _grant(permission: dict[str, Any]) -> Grant:
    return Grant(
        PrincipalType.parse(str(permission.get("type", "USER"))),
        parse_id(permission["id"], "permissions[].id"),
        AccessLevel.parse(str(permission.get("accessLevel", "CAN_VIEW"))),
    )


@router.delete(
    "/api/data/v1/accounts/{account_id}/permissions/{principal_type}/{principal_id}",
    responses=typed(Empty),
)
def revoke_account(
    account_id: Id,
    principal_type: str,
    principal_id: Id,
    caller: Caller,
    services: ServicesDep,
) -> dict[str, Any]:
    grant = Grant(PrincipalType.parse(principal_type), principal_id, AccessLevel.CAN_VIEW)
    services.ingest.accounts.revoke(caller, account_id, grant)
    return {}
