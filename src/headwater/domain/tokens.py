"""Access tokens. Only a hash is ever stored; the secret is shown once, at creation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from headwater.domain.users import User

TOKEN_PREFIX = "hw_"  # noqa: S105 - a prefix that makes leaked tokens greppable


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough: nothing to brute-force, and the
    # lookup runs on every request. A slow password hash would buy nothing here.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class AccessToken:
    id: int
    user_id: int
    name: str
    token_hash: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class TokenHolder:
    """A token with its user and that user's groups, as one lookup finds them per request."""

    token: AccessToken
    user: User
    group_ids: frozenset[int]
