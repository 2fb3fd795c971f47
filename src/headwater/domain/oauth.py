"""OAuth clients of the public API: a client id and secret a user creates for tools like
pydomo. Only a hash of the secret is stored; the secret is shown once, at creation."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from headwater.domain.errors import InvalidInput

# Domo's documented scopes; the public API checks `data` (datasets, streams, policies) and
# `user` (users, groups). The others are accepted so clients asking for them still work.
SCOPES = ("data", "user", "audit", "dashboard", "buzz", "account", "workflow")
DEFAULT_SCOPES = ("data", "user")
CLIENT_SECRET_PREFIX = "hwc_"  # noqa: S105 - a prefix that makes leaked secrets greppable


def new_client_id() -> str:
    return str(uuid.uuid4())


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def parse_scopes(raw: Iterable[str] | str | None, field: str = "scope") -> tuple[str, ...]:
    """Scopes as a list or as OAuth's space-separated string; unknown ones are a 400."""
    if raw is None:
        return ()
    items = raw.split() if isinstance(raw, str) else list(raw)
    scopes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(f"{field} must be a list of strings", field=field)
        scope = item.strip().lower()
        if scope not in SCOPES:
            raise InvalidInput(
                f"unknown scope {item!r}; use any of {', '.join(SCOPES)}", field=field
            )
        if scope not in scopes:
            scopes.append(scope)
    return tuple(scopes)


@dataclass
class OAuthClient:
    client_id: str
    user_id: int
    name: str
    scopes: tuple[str, ...]
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def usable(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: whose it is, through which client, for what."""

    user_id: int
    client_id: str
    scopes: tuple[str, ...]
    token_id: str
    expires_at: datetime
