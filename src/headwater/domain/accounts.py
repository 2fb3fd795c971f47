"""Accounts: the credentials a connector uses. Secret values never leave the server."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from headwater.domain.streams import ConfigEntry

MASK = "********"

# Entry names that hold secrets even when the caller did not mark them.
_SECRET_NAME = re.compile(r"pass|secret|token|key|credential|private|auth", re.IGNORECASE)
_SECRET_TYPES = {"password", "secret", "encrypted", "credential"}


# A stream's own configuration mixes settings with credentials, and its names are the
# connector's (`key_columns`, `exampleKey`): only names that say credential are taken as one.
STREAM_SECRET_NAME = re.compile(
    r"(^|_)(password|passwd|secret|token|api_?key|private_?key|key_pem|credentials?)($|_)"
)


def is_secret(
    entry: ConfigEntry, marked: Collection[str] = (), names: re.Pattern[str] = _SECRET_NAME
) -> bool:
    """A secret by its type, its name (`names`), or the connector spec's `"secret": true`
    (`marked`)."""
    return (
        entry.type.lower() in _SECRET_TYPES
        or bool(names.search(snake_name(entry.name)))
        or entry.name in marked
    )


def masked(
    entries: list[ConfigEntry], marked: Collection[str] = (), names: re.Pattern[str] = _SECRET_NAME
) -> list[ConfigEntry]:
    """The entries as a response shows them: every secret value replaced by `MASK`."""
    return [
        ConfigEntry(e.name, MASK, e.type, e.category) if is_secret(e, marked, names) else e
        for e in entries
    ]


def keep_masked(
    sent: list[ConfigEntry],
    stored: list[ConfigEntry],
    marked: Collection[str] = (),
    names: re.Pattern[str] = _SECRET_NAME,
) -> list[ConfigEntry]:
    """What to store when `sent` comes back from a read: a secret sent as `MASK` keeps its
    stored value (a GET then PUT must not replace the secret with the mask)."""
    old = {e.name: e for e in stored}
    return [
        old[e.name]
        if e.value == MASK and e.name in old and is_secret(old[e.name], marked, names)
        else e
        for e in sent
    ]


def names_a_credential(name: str) -> bool:
    """Whether a configuration key says it holds a credential (`password`, `apiKey`, ...)."""
    return bool(STREAM_SECRET_NAME.search(snake_name(name)))


def snake_name(name: str) -> str:
    """`apiKey`, `API-Key` and `api_key` alike: lower case, words joined by `_`."""
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())


@dataclass
class Account:
    id: int
    name: str
    display_name: str
    data_provider_type: str
    owner_id: int
    created_at: datetime
    modified_at: datetime
    configuration: list[ConfigEntry] = field(default_factory=list)
    configured_by: int | None = None  # who last set the configuration (None: the owner)

    @property
    def chooser(self) -> int:
        """Who chose where the account's secret goes: the egress policy's exemption follows."""
        return self.owner_id if self.configured_by is None else self.configured_by

    def masked_configuration(self) -> list[ConfigEntry]:
        return masked(self.configuration)

    def values(self) -> dict[str, Any]:
        """The real values, for the connector that uses the account; never for a response."""
        return {e.name: e.value for e in self.configuration}


class SecretBox(Protocol):
    """Encrypts account configuration at rest."""

    def seal(self, plaintext: bytes) -> bytes: ...
    def open(self, token: bytes) -> bytes: ...
