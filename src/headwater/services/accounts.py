"""Accounts: credentials for connectors, owned and shared like datasets, secrets never shown."""

from __future__ import annotations

from headwater.domain import access
from headwater.domain.access import AccessLevel, Grant, effective_level
from headwater.domain.accounts import Account
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.streams import ConfigEntry
from headwater.domain.users import Principal
from headwater.services.dataset_access import require_principal


class Accounts:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def create(
        self,
        actor: Principal,
        name: str,
        display_name: str | None,
        provider: str,
        configuration: list[ConfigEntry],
    ) -> Account:
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        if not provider.strip():
            raise InvalidInput("dataProviderType must not be empty", field="dataProviderType")
        now = self._clock.now()
        with self._uow() as uow:
            account = uow.accounts.add(
                Account(
                    id=0,
                    name=name.strip(),
                    display_name=(display_name or name).strip(),
                    data_provider_type=provider.strip(),
                    owner_id=actor.id,
                    created_at=now,
                    modified_at=now,
                    configuration=configuration,
                )
            )
            uow.commit()
            return account

    def get(self, actor: Principal, account_id: int) -> Account:
        with self._uow() as uow:
            return _authorize(uow, actor, account_id, access.VIEW)[0]

    def visible(self, actor: Principal) -> list[Account]:
        with self._uow() as uow:
            return [
                a
                for a in uow.accounts.all()
                if effective_level(actor, a.owner_id, uow.accounts.grants(a.id)) is not None
            ]

    def update(
        self,
        actor: Principal,
        account_id: int,
        display_name: str | None,
        configuration: list[ConfigEntry] | None,
    ) -> Account:
        """Change the display name or configuration; entries not sent keep their values."""
        with self._uow() as uow:
            account, _ = _authorize(uow, actor, account_id, access.EDIT)
            if display_name is not None:
                account.display_name = display_name
            if configuration is not None:
                merged = {e.name: e for e in account.configuration}
                merged.update({e.name: e for e in configuration})
                account.configuration = list(merged.values())
            account.modified_at = self._clock.now()
            uow.accounts.update(account)
            uow.commit()
            return account

    def delete(self, actor: Principal, account_id: int) -> None:
        with self._uow() as uow:
            _authorize(uow, actor, account_id, access.DELETE)
            uow.accounts.delete(account_id)
            uow.commit()

    def share(self, actor: Principal, account_id: int, grants: list[Grant]) -> None:
        """Grant levels in one transaction, all or none, under `access.check_grant_change`."""
        with self._uow() as uow:
            account, level = _authorize(uow, actor, account_id, access.SHARE)
            existing = uow.accounts.grants(account_id)
            for grant in grants:
                current = access.grant_of(existing, grant.principal_type, grant.principal_id)
                access.check_grant_change(level, current.level if current else None, grant.level)
                require_principal(uow, grant.principal_type, grant.principal_id)
                if (
                    grant.principal_type is access.PrincipalType.USER
                    and grant.principal_id == account.owner_id
                ):
                    continue  # the owner keeps OWNER; a lower grant would mean nothing
                uow.accounts.set_grant(account_id, grant)
            uow.commit()

    def revoke(self, actor: Principal, account_id: int, grant: Grant) -> None:
        with self._uow() as uow:
            account, level = _authorize(uow, actor, account_id, access.SHARE)
            if (
                grant.principal_type is access.PrincipalType.USER
                and grant.principal_id == account.owner_id
            ):
                raise Conflict("the owner's access cannot be revoked", code="OWNER_ACCESS")
            current = access.grant_of(
                uow.accounts.grants(account_id), grant.principal_type, grant.principal_id
            )
            if current is None:
                raise NotFound(f"no grant for {grant.principal_type.value} {grant.principal_id}")
            access.check_grant_change(level, current.level, None)
            uow.accounts.remove_grant(account_id, grant.principal_type, grant.principal_id)
            uow.commit()


def _authorize(
    uow: UnitOfWork, actor: Principal, account_id: int, needed: AccessLevel
) -> tuple[Account, AccessLevel]:
    account = uow.accounts.find(account_id)
    level = None
    if account is not None:
        level = effective_level(actor, account.owner_id, uow.accounts.grants(account_id))
    if account is None or level is None:
        raise NotFound(f"no account {account_id}")
    if not level.allows(needed):
        raise PermissionDenied(f"{needed.name} is needed on account {account_id}")
    return account, level
