"""OAuth client credentials for the public API: clients, access tokens, bearer authentication.

A user creates a client (with their developer token); a tool trades the client's id and
secret at `/oauth/token` for a signed, expiring access token that acts as that user, within
the client's scopes. Each request re-reads the client and the user, so revoking the client or
deleting the user stops its tokens at once, before they expire.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from headwater.domain.errors import InvalidInput, NotFound, Unauthenticated
from headwater.domain.oauth import (
    DEFAULT_SCOPES,
    AccessClaims,
    OAuthClient,
    new_client_id,
    new_client_secret,
    parse_scopes,
)
from headwater.domain.ports.identity import TokenSigner
from headwater.domain.ports.unit_of_work import Clock, UnitOfWorkFactory
from headwater.domain.tokens import hash_token
from headwater.domain.users import Principal, User

GRANT_TYPE = "client_credentials"
CUSTOMER = "headwater"


@dataclass(frozen=True)
class IssuedClient:
    """A client with its secret: only the create call ever returns one."""

    client: OAuthClient
    secret: str


@dataclass(frozen=True)
class IssuedAccessToken:
    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    user: User
    token_id: str


@dataclass(frozen=True)
class BearerCaller:
    principal: Principal
    scopes: tuple[str, ...]


def _oauth_error(
    kind: type[InvalidInput] | type[Unauthenticated], error: str, text: str
) -> Exception:
    # RFC 6749 §5.2 names the error in `error`; the envelope's `code` stays the stable one.
    return kind(text, error=error, error_description=text)


class OAuth:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, signer: TokenSigner, ttl_seconds: int
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._signer = signer
        self._ttl = ttl_seconds

    # -- clients ------------------------------------------------------------------------
    def create_client(
        self, actor: Principal, name: str, scopes: list[str] | str | None
    ) -> IssuedClient:
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        chosen = parse_scopes(scopes) or DEFAULT_SCOPES
        secret = new_client_secret()
        client = OAuthClient(
            client_id=new_client_id(),
            user_id=actor.id,
            name=name.strip(),
            scopes=chosen,
            secret_hash=hash_token(secret),
            created_at=self._clock.now(),
        )
        with self._uow() as uow:
            uow.oauth_clients.add(client)
            uow.commit()
        return IssuedClient(client, secret)

    def clients(self, actor: Principal) -> list[OAuthClient]:
        """Your clients; an admin sees everyone's."""
        with self._uow() as uow:
            return uow.oauth_clients.for_user(None if actor.is_admin else actor.id)

    def revoke_client(self, actor: Principal, client_id: str) -> None:
        with self._uow() as uow:
            client = uow.oauth_clients.find(client_id)
            mine = client is not None and (actor.is_admin or client.user_id == actor.id)
            if client is None or not mine or not client.usable:
                raise NotFound(f"no OAuth client {client_id}")
            uow.oauth_clients.revoke(client_id, self._clock.now())
            uow.commit()

    # -- tokens -------------------------------------------------------------------------
    def issue_token(
        self,
        client_id: str | None,
        client_secret: str | None,
        grant_type: str | None,
        scope: str | None,
    ) -> IssuedAccessToken:
        if not client_id or not client_secret:
            raise _oauth_error(
                Unauthenticated,
                "invalid_client",
                "send the client id and secret with HTTP Basic authentication",
            )
        if (grant_type or "").strip() != GRANT_TYPE:
            raise _oauth_error(
                InvalidInput,
                "unsupported_grant_type",
                f"grant_type must be {GRANT_TYPE}, not {grant_type!r}",
            )
        with self._uow() as uow:
            client = uow.oauth_clients.find(client_id)
            secret_ok = client is not None and hmac.compare_digest(
                client.secret_hash, hash_token(client_secret)
            )
            user = uow.users.find(client.user_id) if client is not None else None
        if client is None or not secret_ok or not client.usable or user is None:
            raise _oauth_error(
                Unauthenticated, "invalid_client", "the client id or secret is wrong, or revoked"
            )
        try:
            asked = parse_scopes(scope)
        except InvalidInput as exc:
            raise _oauth_error(InvalidInput, "invalid_scope", exc.message) from None
        extra = [s for s in asked if s not in client.scopes]
        if extra:
            raise _oauth_error(
                InvalidInput,
                "invalid_scope",
                f"the client may not ask for {', '.join(extra)}; it has {' '.join(client.scopes)}",
            )
        scopes = asked or client.scopes
        now = self._clock.now()
        token_id = str(uuid.uuid4())
        claims = {
            "sub": str(user.id),
            "userId": user.id,
            "role": user.role.label,
            "customer": CUSTOMER,
            "scope": list(scopes),
            "client_id": client.client_id,
            "jti": token_id,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self._ttl)).timestamp()),
        }
        return IssuedAccessToken(
            access_token=self._signer.sign(claims),
            expires_in=self._ttl,
            scopes=scopes,
            user=user,
            token_id=token_id,
        )

    def authenticate(self, token: str) -> BearerCaller:
        claims = self.verify(token)
        with self._uow() as uow:
            client = uow.oauth_clients.find(claims.client_id)
            if client is None or not client.usable:
                raise Unauthenticated("the access token's client was revoked")
            user = uow.users.find(claims.user_id)
            if user is None:
                raise Unauthenticated("the access token's user no longer exists")
            principal = Principal(user=user, group_ids=uow.groups.groups_of(user.id))
        # A token never carries more than its client has now.
        return BearerCaller(principal, tuple(s for s in claims.scopes if s in client.scopes))

    def verify(self, token: str) -> AccessClaims:
        raw = self._signer.verify(token)
        try:
            return AccessClaims(
                user_id=int(raw["sub"]),
                client_id=str(raw["client_id"]),
                scopes=tuple(str(s) for s in raw.get("scope", [])),
                token_id=str(raw["jti"]),
                expires_at=datetime.fromtimestamp(int(raw["exp"]), UTC),
            )
        except (KeyError, TypeError, ValueError):
            raise Unauthenticated("the access token is not valid") from None
