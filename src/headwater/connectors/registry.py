"""Connectors by name, both shapes. Built-ins and plug-ins are found the same way, through
entry-point groups: `headwater.connectors` for batch connectors (keyed by the stream's
`dataProvider.key`, any case) and `headwater.sources` for streaming sources (keyed by
Feldera's transport name, exactly: `nats_input`). One that fails to load is listed as broken,
never fatal."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Literal

from headwater.connectors.config import check_config, prepare_config
from headwater.connectors.sdk import Connector, SourceFactory
from headwater.domain.errors import InvalidInput

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "headwater.connectors"
SOURCE_GROUP = "headwater.sources"

Factory = Callable[..., Connector]
Kind = Literal["batch", "streaming"]


@dataclass(frozen=True)
class Provider:
    """What `GET /api/data/v1/providers` shows of one connector."""

    key: str
    description: str
    spec: dict[str, Any] | None
    broken: str | None = None  # why it could not be loaded
    kind: Kind = "batch"  # batch: a stream's dataProvider; streaming: a pipeline's transport


@dataclass
class ConnectorRegistry:
    _factories: dict[str, Factory] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # name -> why it failed to load
    # Operator options (from settings) a connector's factory receives as keyword arguments.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    _sources: dict[str, SourceFactory] = field(default_factory=dict)
    broken_sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_entry_points(
        cls,
        group: str = ENTRY_POINT_GROUP,
        options: dict[str, dict[str, Any]] | None = None,
        source_group: str = SOURCE_GROUP,
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
        for point in entry_points(group=source_group):
            try:
                source = point.load()
                if not callable(source) or not callable(getattr(source, "spec", None)):
                    raise TypeError(f"{point.value} is not a source class (callable, with spec())")
            except Exception as exc:  # a plug-in's bug must not stop the service
                log.warning("streaming source %r could not be loaded: %s", point.name, exc)
                registry.broken_sources[point.name] = f"{type(exc).__name__}: {exc}"
                continue
            registry.register_source(point.name, source)
        return registry

    # -- batch connectors ------------------------------------------------------------------
    def register(self, name: str, factory: Factory) -> None:
        self._factories[name.lower()] = factory
        self.broken.pop(name.lower(), None)

    def names(self) -> list[str]:
        return sorted(self._factories)

    def knows(self, name: str) -> bool:
        """A connector of either shape by this name, loaded or broken."""
        key = name.lower()
        return (
            key in self._factories
            or key in self.broken
            or name in self._sources
            or name in self.broken_sources
        )

    def get(self, name: str) -> Connector:
        key = name.lower()
        if key in self.broken:
            raise InvalidInput(
                f"connector {name!r} is installed but broken: {self.broken[key]}",
                field="dataProvider.key",
            )
        factory = self._factories.get(key)
        if factory is None:
            if name in self._sources:
                raise InvalidInput(
                    f"{name!r} is a streaming source: a pipeline's connector uses it "
                    "(transport.name), not a stream",
                    field="dataProvider.key",
                )
            known = ", ".join(self.names()) or "none"
            raise InvalidInput(
                f"no connector {name!r}; installed: {known}", field="dataProvider.key"
            )
        return factory(**self.options.get(key, {}))

    def prepare(self, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` checked against connector `name`'s spec, in the types it declares."""
        return prepare_config(self.get(name).spec(), values)

    # -- streaming sources -----------------------------------------------------------------
    def register_source(self, name: str, factory: SourceFactory) -> None:
        self._sources[name] = factory
        self.broken_sources.pop(name, None)

    def source_names(self) -> list[str]:
        return sorted(self._sources)

    def sources(self) -> dict[str, SourceFactory]:
        """Every loaded streaming source by transport name (what the supervisor runs)."""
        return dict(self._sources)

    def source(self, name: str) -> SourceFactory:
        if name in self.broken_sources:
            raise InvalidInput(
                f"transport {name!r} is installed but broken: {self.broken_sources[name]}",
                field="transport.name",
            )
        factory = self._sources.get(name)
        if factory is None:
            known = ", ".join(self.source_names()) or "none"
            raise InvalidInput(f"no transport {name!r}; installed: {known}", field="transport.name")
        return factory

    def check_source(self, name: str, config: Mapping[str, Any]) -> None:
        """`config` (a connector's `transport.config`) checked against transport `name`'s
        spec; the first fault is an InvalidInput naming `transport.config.<field>`."""
        check_config(self.source(name).spec(), config, "transport.config")

    # -- both ------------------------------------------------------------------------------
    def providers(self) -> list[Provider]:
        found = [self.provider(name) for name in self.names()]
        found += [Provider(name, "", None, why) for name, why in sorted(self.broken.items())]
        found += [self._source_provider(name) for name in self.source_names()]
        found += [
            Provider(name, "", None, why, "streaming")
            for name, why in sorted(self.broken_sources.items())
        ]
        return sorted(found, key=lambda p: p.key)

    def provider(self, name: str) -> Provider:
        key = name.lower()
        if key in self.broken:
            return Provider(key, "", None, self.broken[key])
        if key not in self._factories and (name in self._sources or name in self.broken_sources):
            return self._source_provider(name)
        connector = self.get(key)
        try:
            spec = connector.spec()
        except Exception as exc:
            return Provider(key, "", None, f"spec() failed: {type(exc).__name__}: {exc}")
        return Provider(key, _summary(type(connector)), spec)

    def _source_provider(self, name: str) -> Provider:
        if name in self.broken_sources:
            return Provider(name, "", None, self.broken_sources[name], "streaming")
        factory = self._sources[name]
        try:
            spec = factory.spec()
        except Exception as exc:
            why = f"spec() failed: {type(exc).__name__}: {exc}"
            return Provider(name, "", None, why, "streaming")
        description = _summary(factory) or str(spec.get("title") or "")
        return Provider(name, description, spec, None, "streaming")


def _summary(thing: object) -> str:
    """The first paragraph of a class's docstring, on one line ('' without one)."""
    doc = inspect.getdoc(thing) or ""
    return doc.split("\n\n")[0].replace("\n", " ")
