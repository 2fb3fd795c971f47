"""Accounts: credentials for connectors, owned and shared like datasets, secrets never shown.

An account also owns where its secrets go (the connector's target fields: host, URL, port...;
see `connectors.targets`). Whoever last set its configuration is its `configured_by`: the
egress policy's admin exemption follows that user. A secret sent back as the mask that reads
showed (`********`) means "keep the stored value", so a GET → PUT round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headwater.connectors.config import secret_fields
from headwater.connectors.registry import ConnectorRegistry
from headwater.connectors.targets import destinations, target_fields
from headwater.domain import access
from headwater.domain.access import AccessLevel, Grant, effective_level
from headwater.domain.accounts import MASK, Account, is_secret, keep_masked
from headwater.domain.egress import EgressPolicy
from headwater.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from headwater.domain.ports.unit_of_work import Clock, UnitOfWork, UnitOfWorkFactory
from headwater.domain.streams import ConfigEntry
from headwater.domain.users import Principal
from headwater.services.datasets.access import require_principal


class Accounts:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        connectors: ConnectorRegistry | None = None,
        egress: EgressPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._connectors = connectors or ConnectorRegistry()
        self._egress = egress or EgressPolicy()

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
        self._check_destinations(actor, provider.strip(), configuration)
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
                    configured_by=actor.id,
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
        """Change the display name or configuration; entries not sent keep their values, and
        so does a secret sent as the mask."""
        with self._uow() as uow:
            account, _ = _authorize(uow, actor, account_id, access.EDIT)
            if display_name is not None:
                account.display_name = display_name
            if configuration is not None:
                stored = {e.name: e for e in account.configuration}
                merged = dict(stored)
                merged.update(
                    {e.name: e for e in keep_masked(configuration, account.configuration)}
                )
                if merged != stored:
                    self._require_secrets_with_new_targets(
                        account.data_provider_type, stored, merged, configuration
                    )
                    self._check_destinations(
                        actor, account.data_provider_type, list(merged.values())
                    )
                    account.configured_by = actor.id
                account.configuration = list(merged.values())
            account.modified_at = self._clock.now()
            uow.accounts.update(account)
            uow.commit()
            return account

    def _require_secrets_with_new_targets(
        self,
        provider: str,
        stored: dict[str, ConfigEntry],
        merged: dict[str, ConfigEntry],
        sent: list[ConfigEntry],
    ) -> None:
        """Whoever changes where an account's secrets go sends them again: an editor who may
        not read the secret must not be able to point it at a host of theirs and keep it.
        The targets are the fields the connector's spec marks; for a provider that marks
        none (or is not installed), every field that is not a secret."""
        spec: Mapping[str, Any] = {}
        if provider.lower() in self._connectors.names():
            spec = self._connectors.get(provider).spec()
        marked = secret_fields(spec)
        targets = set(target_fields(spec)) or {
            name for name, entry in merged.items() if not is_secret(entry, marked)
        }
        moved = sorted(
            name
            for name in targets
            if (stored[name].value if name in stored else None)
            != (merged[name].value if name in merged else None)
        )
        if not moved:
            return
        fresh = {e.name for e in sent if e.value != MASK}
        for name, entry in stored.items():
            if is_secret(entry, marked) and name not in fresh:
                raise InvalidInput(
                    f"changing {', '.join(moved)} changes where this account's {name} goes: "
                    f"send {name} again with it",
                    field=f"configurations.{name}",
                )

    def _check_destinations(
        self, actor: Principal, provider: str, configuration: list[ConfigEntry]
    ) -> None:
        """A destination the egress policy refuses whatever DNS says (an address literal,
        `localhost`, a denied name) is a 400 now rather than a failed run later. Only for a
        provider that is an installed connector: its spec says which fields are targets."""
        if provider.lower() not in self._connectors.names():
            return
        spec: Mapping[str, Any] = self._connectors.get(provider).spec()
        values = {e.name: e.value for e in configuration}
        for name, host, port in destinations(spec, values):
            self._egress.check_literal(
                host, port, exempt=actor.is_admin, field=f"configurations.{name}"
            )

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
