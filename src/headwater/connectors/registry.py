"""Connectors by name. Built-ins and plug-ins register the same way; a broken one is listed,
never fatal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from headwater.connectors.sdk import Connector
from headwater.domain.errors import InvalidInput

Factory = Callable[[], Connector]


@dataclass
class ConnectorRegistry:
    _factories: dict[str, Factory] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # name -> why it failed to load

    def register(self, name: str, factory: Factory) -> None:
        self._factories[name.lower()] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

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
        return factory()
