"""Connectors by name. Built-ins and plug-ins are found the same way, through the entry-point
group `headwater.connectors`; one that fails to load is listed as broken, never fatal."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from headwater.connectors.config import prepare_config
from headwater.connectors.sdk import Connector
from headwater.domain.errors import InvalidInput

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "headwater.connectors"

Factory = Callable[..., Connector]


@dataclass(frozen=True)
class Provider:
    """What `GET /api/data/v1/providers` shows of one connector."""

    key: str
    description: str
    spec: dict[str, Any] | None
    broken: str | None = None  # why it could not be loaded


@dataclass
class ConnectorRegistry:
    _factories: dict[str, Factory] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # name -> why it failed to load
    # Operator options (from settings) a connector's factory receives as keyword arguments.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_entry_points(
        cls, group: str = ENTRY_POINT_GROUP, options: dict[str, dict[str, Any]] | None = None
    ) -> ConnectorRegistry:
        registry = cls(options=dict(options or {}))
        for point in entry_points(group=group):
            try:
                factory = point.load()
                if not callable(factory):
                    raise TypeError(f"{point.value} is not a class or function")
            except Exception as exc:  # a plug-in's bug must not stop the service
                log.warning("connector %r could not be loaded: %s", point.name, exc)
                registry.broken[point.name.lower()] = f"{type(exc).__name__}: {exc}"
                continue
            registry.register(point.name, factory)
        return registry

    def register(self, name: str, factory: Factory) -> None:
        self._factories[name.lower()] = factory
        self.broken.pop(name.lower(), None)

    def names(self) -> list[str]:
        return sorted(self._factories)

    def knows(self, name: str) -> bool:
        return name.lower() in self._factories or name.lower() in self.broken

    def get(self, name: str) -> Connector:
        key = name.lower()
        if key in self.broken:
            raise InvalidInput(
                f"connector {name!r} is installed but broken: {self.broken[key]}",
                field="dataProvider.key",
            )
        factory = self._factories.get(key)
        if factory is None:
            known = ", ".join(self.names()) or "none"
            raise InvalidInput(
                f"no connector {name!r}; installed: {known}", field="dataProvider.key"
            )
        return factory(**self.options.get(key, {}))

    def prepare(self, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` checked against connector `name`'s spec, in the types it declares."""
        return prepare_config(self.get(name).spec(), values)

    def providers(self) -> list[Provider]:
        found = [self.provider(name) for name in self.names()]
        found += [Provider(name, "", None, why) for name, why in sorted(self.broken.items())]
        return sorted(found, key=lambda p: p.key)

    def provider(self, name: str) -> Provider:
        key = name.lower()
        if key in self.broken:
            return Provider(key, "", None, self.broken[key])
        connector = self.get(key)
        try:
            spec = connector.spec()
        except Exception as exc:
            return Provider(key, "", None, f"spec() failed: {type(exc).__name__}: {exc}")
        doc = inspect.getdoc(type(connector)) or ""
        return Provider(key, doc.split("\n\n")[0].replace("\n", " "), spec)
