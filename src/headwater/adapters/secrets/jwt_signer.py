"""Access tokens of the public API as JWTs signed with HMAC-SHA256 (PyJWT).

The key comes from settings or is generated into the data dir (mode 0600) on first start, like
the Fernet key; every process serving the same data dir signs and verifies with the same key.
Changing the key invalidates every access token issued, which is harmless: clients ask again.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from typing import Any

import jwt

from headwater.adapters.secrets.fernet_box import load_or_create_key
from headwater.domain.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "headwater"
MIN_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash


def generate_key() -> bytes:
    return base64.urlsafe_b64encode(secrets.token_bytes(MIN_KEY_BYTES))


class JwtSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the OAuth signing key must be at least {MIN_KEY_BYTES} bytes")
        self._key = key

    @classmethod
    def from_settings(cls, configured_key: str | None, key_file: Path) -> JwtSigner:
        if configured_key:
            return cls(configured_key.encode())
        return cls(load_or_create_key(key_file, generate_key))

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({**claims, "iss": ISSUER}, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(
                "the access token has expired; ask /oauth/token for a new one",
                code="TOKEN_EXPIRED",
            ) from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the access token is not valid") from None
