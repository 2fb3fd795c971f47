"""What a user or group holds across datasets and accounts, where it matters as a whole.

- A group's members hold its levels, so adding or removing a member grants or revokes every
  level the group holds: the access rule (`domain.access.check_grant_change`) applies to each,
  with the actor's own effective level on that object. Admins hold OWNER everywhere, so they
  may; a Privileged user manages the members of groups whose levels they hold themselves, and
  cannot join a group to gain what they lack.
- A deleted user or group takes its grants and policy memberships along: ids may be reused
  (SQLite hands a deleted last row's id to the next one), and a newcomer must not inherit
  another's access.
"""

from __future__ import annotations

from headwater.domain.access import AccessLevel, PrincipalType, check_grant_change, effective_level
from headwater.domain.errors import PermissionDenied
from headwater.domain.ports.unit_of_work import UnitOfWork
from headwater.domain.users import Group, Principal


def check_group_levels(uow: UnitOfWork, actor: Principal, group: Group, granting: bool) -> None:
    """May the actor give (`granting`) or take away every level `group` holds, by changing
    its members or deleting it? PermissionDenied names the group's level, not the object:
    the actor may not even know the object exists."""
    if actor.is_admin:
        return
    held_levels: list[tuple[str, AccessLevel, AccessLevel | None]] = []
    for dataset_id, owner_id, grant in uow.datasets.grants_to(PrincipalType.GROUP, group.id):
        held = effective_level(actor, owner_id, uow.datasets.grants(dataset_id))
        held_levels.append(("dataset", grant.level, held))
    for account_id, owner_id, grant in uow.accounts.grants_to(PrincipalType.GROUP, group.id):
        held = effective_level(actor, owner_id, uow.accounts.grants(account_id))
        held_levels.append(("account", grant.level, held))
    for kind, level, held in held_levels:
        if held is None:
            raise PermissionDenied(
                f"group {group.name!r} holds {level.name} on a {kind} you have no access to: "
                "changing its members would grant or revoke that level; an admin may"
            )
        try:
            if granting:
                check_grant_change(held, None, level)
            else:
                check_grant_change(held, level, None)
        except PermissionDenied as refused:
            raise PermissionDenied(
                f"group {group.name!r} holds {level.name} on a {kind}: {refused.message}"
            ) from None


def forget_principal(uow: UnitOfWork, principal_type: PrincipalType, principal_id: int) -> None:
    """Drop a deleted user's or group's grants and policy memberships (same transaction)."""
    uow.datasets.remove_grants_of(principal_type, principal_id)
    uow.accounts.remove_grants_of(principal_type, principal_id)
    uow.policies.forget(principal_type, principal_id)
