"""Access levels and how a principal's effective level is found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from headwater.domain.access import (
    AccessLevel,
    Grant,
    PrincipalType,
    check_grant_change,
    effective_level,
    grant_of,
)
from headwater.domain.errors import InvalidInput, PermissionDenied
from headwater.domain.tokens import AccessToken, hash_token, new_token_secret
from headwater.domain.users import Principal, Role, User

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def principal(
    user_id: int, role: Role = Role.EDITOR, groups: frozenset[int] = frozenset()
) -> Principal:
    return Principal(User(user_id, f"u{user_id}", f"u{user_id}@x", role, NOW), groups)


def test_levels_are_ordered_each_including_the_ones_below() -> None:
    assert AccessLevel.CO_OWNER.allows(AccessLevel.CAN_EDIT)
    assert AccessLevel.CAN_EDIT.allows(AccessLevel.CAN_SHARE)
    assert not AccessLevel.CAN_SHARE.allows(AccessLevel.CAN_EDIT)
    assert not AccessLevel.CAN_VIEW.allows(AccessLevel.CAN_SHARE)


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("READ", AccessLevel.CAN_VIEW),
        ("write", AccessLevel.CAN_EDIT),
        ("CO_OWNER", AccessLevel.CO_OWNER),
        (" can_share ", AccessLevel.CAN_SHARE),
    ],
)
def test_level_names_and_the_seeds_aliases_parse(raw: str, level: AccessLevel) -> None:
    assert AccessLevel.parse(raw) is level


def test_an_unknown_level_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput, match="CAN_VIEW"):
        AccessLevel.parse("SUPERUSER")


def test_effective_level_takes_the_highest_grant_of_user_and_groups() -> None:
    grants = [
        Grant(PrincipalType.USER, 2, AccessLevel.CAN_VIEW),
        Grant(PrincipalType.GROUP, 7, AccessLevel.CAN_EDIT),
        Grant(PrincipalType.GROUP, 8, AccessLevel.CO_OWNER),
    ]
    assert effective_level(principal(2), 1, grants) is AccessLevel.CAN_VIEW
    assert effective_level(principal(2, groups=frozenset({7})), 1, grants) is AccessLevel.CAN_EDIT
    assert (
        effective_level(principal(3, groups=frozenset({7, 8})), 1, grants) is AccessLevel.CO_OWNER
    )
    assert effective_level(principal(4), 1, grants) is None
    assert effective_level(principal(1), 1, grants) is AccessLevel.OWNER
    assert effective_level(principal(9, role=Role.ADMIN), 1, []) is AccessLevel.OWNER


def test_tokens_expire_and_revoke() -> None:
    token = AccessToken(1, 1, "t", hash_token("x"), NOW, NOW + timedelta(hours=1))
    assert token.is_usable(NOW)
    assert not token.is_usable(NOW + timedelta(hours=2))
    token.revoked_at = NOW
    assert not token.is_usable(NOW)


def test_token_secrets_are_random_and_hashes_fixed_length() -> None:
    first, second = new_token_secret(), new_token_secret()
    assert first != second
    assert first.startswith("hw_")
    assert len(hash_token(first)) == 64
    assert hash_token(first) == hash_token(first)


@pytest.mark.parametrize(
    ("held", "current", "wanted", "allowed"),
    [
        (AccessLevel.CAN_SHARE, None, AccessLevel.CAN_SHARE, True),
        (AccessLevel.CAN_SHARE, None, AccessLevel.CAN_EDIT, False),
        (AccessLevel.CAN_SHARE, AccessLevel.CAN_VIEW, None, True),
        (AccessLevel.CAN_SHARE, AccessLevel.CO_OWNER, AccessLevel.CAN_VIEW, False),  # demote
        (AccessLevel.CAN_SHARE, AccessLevel.CAN_EDIT, None, False),  # remove
        (AccessLevel.CO_OWNER, AccessLevel.CO_OWNER, None, True),  # equals manage each other
        (AccessLevel.OWNER, AccessLevel.CO_OWNER, AccessLevel.CAN_VIEW, True),
    ],
)
def test_a_grant_changes_only_within_the_actors_level(
    held: AccessLevel, current: AccessLevel | None, wanted: AccessLevel | None, allowed: bool
) -> None:
    if allowed:
        check_grant_change(held, current, wanted)
    else:
        with pytest.raises(PermissionDenied):
            check_grant_change(held, current, wanted)


def test_nobody_grants_owner_not_even_the_owner() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_grant_change(AccessLevel.OWNER, None, AccessLevel.OWNER)
    assert refused.value.details["field"] == "permissions[].accessLevel"


def test_grant_of_finds_the_direct_grant_only() -> None:
    grants = [
        Grant(PrincipalType.GROUP, 7, AccessLevel.CO_OWNER),
        Grant(PrincipalType.USER, 7, AccessLevel.CAN_VIEW),
    ]
    assert grant_of(grants, PrincipalType.USER, 7) == grants[1]
    assert grant_of(grants, PrincipalType.GROUP, 8) is None
