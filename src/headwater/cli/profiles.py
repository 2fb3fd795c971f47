"""The profile file `headwater login` writes: server URLs and tokens, kept at mode 0600.

    current = "default"

    [profiles.default]
    url = "http://127.0.0.1:8080"
    token = "..."

Its path is `--config`, else `HEADWATER_CONFIG`, else `config.toml` in the user's config
directory (`~/.config/headwater/` on Linux). What a command uses, first found wins: the
`--url`/`--token` flags, then `HEADWATER_URL`/`HEADWATER_TOKEN`, then the profile (`--profile`,
`HEADWATER_PROFILE`, or the file's `current`), then `http://127.0.0.1:8080` without a token.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
import typer

DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_PROFILE = "default"


def default_path() -> Path:
    return Path(typer.get_app_dir("headwater")) / "config.toml"


class ProfileError(Exception):
    """The profile file cannot be read, or names no such profile."""


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    token: str | None


class ProfileFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as source:
                return tomllib.load(source)
        except FileNotFoundError:
            return {}
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{self.path} is not valid TOML: {exc}") from None

    def find(self, name: str | None) -> Profile | None:
        data = self.read()
        chosen = name or data.get("current") or DEFAULT_PROFILE
        entry = data.get("profiles", {}).get(chosen)
        if not isinstance(entry, dict):
            if name:
                raise ProfileError(f"no profile {name!r} in {self.path}")
            return None
        return Profile(chosen, str(entry.get("url", DEFAULT_URL)), entry.get("token"))

    def save(self, profile: Profile, make_current: bool = True) -> None:
        data = self.read()
        data.setdefault("profiles", {})[profile.name] = {
            "url": profile.url,
            **({"token": profile.token} if profile.token else {}),
        }
        if make_current or "current" not in data:
            data["current"] = profile.name
        self._write(data)

    def remove(self, name: str | None) -> str | None:
        data = self.read()
        chosen = name or data.get("current") or DEFAULT_PROFILE
        if data.get("profiles", {}).pop(chosen, None) is None:
            return None
        if data.get("current") == chosen:
            data.pop("current")
        self._write(data)
        return str(chosen)

    def _write(self, data: dict[str, Any]) -> None:
        """Atomically, and readable by the owner only: the file holds tokens."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".config-", suffix=".toml")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "wb") as sink:
                tomli_w.dump(data, sink)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def resolve(
    url: str | None, token: str | None, profile: str | None, config: Path | None
) -> Profile:
    """Flags and environment first (Click has read both into the arguments), then the profile."""
    found = ProfileFile(config or default_path()).find(profile)
    return Profile(
        name=found.name if found else (profile or DEFAULT_PROFILE),
        url=url or (found.url if found else DEFAULT_URL),
        token=token or (found.token if found else None),
    )
