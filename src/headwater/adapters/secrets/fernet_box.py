"""Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, keyed from settings or a key file.

The key file is created on first start with mode 0600; losing it makes stored account secrets
unreadable, so back it up with the metadata database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from headwater.domain.errors import HeadwaterError


class FernetSecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, configured_key: str | None, key_file: Path) -> FernetSecretBox:
        if configured_key:
            return cls(configured_key.encode())
        return cls(load_or_create_key(key_file))

    def seal(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def open(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise HeadwaterError(
                "an account secret cannot be decrypted: the secret key changed", code="SECRET_KEY"
            ) from None


def load_or_create_key(path: Path, generate: Callable[[], bytes] = Fernet.generate_key) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a private temp file, then hard-link it into place: the link is atomic and fails if
    # another process got there first, so every process ends up with the same, complete key.
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(generate())
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()
    return path.read_bytes().strip()
