"""Accounts: the credentials a connector uses. Secret values never leave the server."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from headwater.domain.streams import ConfigEntry

MASK = "********"

# Entry names that hold secrets even when the caller did not mark them.
_SECRET_NAME = re.compile(r"pass|secret|token|key|credential|private|auth", re.IGNORECASE)
_SECRET_TYPES = {"password", "secret", "encrypted", "credential"}


def is_secret(entry: ConfigEntry) -> bool:
    return entry.type.lower() in _SECRET_TYPES or bool(_SECRET_NAME.search(entry.name))


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
        return [
            ConfigEntry(e.name, MASK, e.type, e.category) if is_secret(e) else e
            for e in self.configuration
        ]

    def values(self) -> dict[str, Any]:
        """The real values, for the connector that uses the account; never for a response."""
        return {e.name: e.value for e in self.configuration}


class SecretBox(Protocol):
    """Encrypts account configuration at rest."""

    def seal(self, plaintext: bytes) -> bytes: ...
    def open(self, token: bytes) -> bytes: ...
