"""Accounts in SQL: the configuration is sealed by the secret box before it is stored."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from headwater.adapters.metadata.ids import inserted_id
from headwater.adapters.metadata.tables import account_grants, accounts
from headwater.domain.access import AccessLevel, Grant, PrincipalType
from headwater.domain.accounts import Account, SecretBox
from headwater.domain.streams import ConfigEntry


class SqlAccountRepository:
    def __init__(self, connection: Connection, box: SecretBox) -> None:
        self._c = connection
        self._box = box

    def _seal(self, account: Account) -> bytes:
        plain = [
            {"name": e.name, "value": e.value, "type": e.type, "category": e.category}
            for e in account.configuration
        ]
        return self._box.seal(json.dumps(plain).encode())

    def _account(self, row: Any) -> Account:
        plain = json.loads(self._box.open(row.configuration_sealed))
        return Account(
            id=row.id,
            name=row.name,
            display_name=row.display_name,
            data_provider_type=row.data_provider_type,
            owner_id=row.owner_id,
            created_at=row.created_at,
            modified_at=row.modified_at,
            configuration=[ConfigEntry(**e) for e in plain],
            configured_by=row.configured_by,
        )

    def _values(self, account: Account) -> dict[str, Any]:
        return {
            "name": account.name,
            "display_name": account.display_name,
            "data_provider_type": account.data_provider_type,
            "owner_id": account.owner_id,
            "configuration_sealed": self._seal(account),
            "created_at": account.created_at,
            "modified_at": account.modified_at,
            "configured_by": account.configured_by,
        }

    def add(self, account: Account) -> Account:
        result = self._c.execute(accounts.insert().values(**self._values(account)))
        account_id = inserted_id(result)
        account.id = account_id
        return account

    def find(self, account_id: int) -> Account | None:
        row = self._c.execute(accounts.select().where(accounts.c.id == account_id)).first()
        return self._account(row) if row else None

    def all(self) -> list[Account]:
        return [
            self._account(row) for row in self._c.execute(accounts.select().order_by(accounts.c.id))
        ]

    def update(self, account: Account) -> None:
        self._c.execute(
            accounts.update().where(accounts.c.id == account.id).values(**self._values(account))
        )

    def delete(self, account_id: int) -> None:
        self._c.execute(accounts.delete().where(accounts.c.id == account_id))

    def grants(self, account_id: int) -> list[Grant]:
        rows = self._c.execute(
            account_grants.select().where(account_grants.c.account_id == account_id)
        )
        return [
            Grant(PrincipalType(r.principal_type), r.principal_id, AccessLevel[r.level])
            for r in rows
        ]

    def grants_to(
        self, principal_type: PrincipalType, principal_id: int
    ) -> list[tuple[int, int, Grant]]:
        query = (
            sa.select(account_grants, accounts.c.owner_id)
            .join_from(account_grants, accounts, accounts.c.id == account_grants.c.account_id)
            .where(
                account_grants.c.principal_type == principal_type.value,
                account_grants.c.principal_id == principal_id,
            )
            .order_by(account_grants.c.account_id)
        )
        return [
            (
                row.account_id,
                row.owner_id,
                Grant(principal_type, principal_id, AccessLevel[row.level]),
            )
            for row in self._c.execute(query)
        ]

    def remove_grants_of(self, principal_type: PrincipalType, principal_id: int) -> None:
        self._c.execute(
            account_grants.delete().where(
                account_grants.c.principal_type == principal_type.value,
                account_grants.c.principal_id == principal_id,
            )
        )

    def set_grant(self, account_id: int, grant: Grant) -> None:
        self.remove_grant(account_id, grant.principal_type, grant.principal_id)
        self._c.execute(
            account_grants.insert().values(
                account_id=account_id,
                principal_type=grant.principal_type.value,
                principal_id=grant.principal_id,
                level=grant.level.name,
            )
        )

    def remove_grant(
        self, account_id: int, principal_type: PrincipalType, principal_id: int
    ) -> bool:
        result = self._c.execute(
            account_grants.delete().where(
                account_grants.c.account_id == account_id,
                account_grants.c.principal_type == principal_type.value,
                account_grants.c.principal_id == principal_id,
            )
        )
        return bool(result.rowcount)
