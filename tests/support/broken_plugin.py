"""A connector plug-in installed the way pip would (a dist-info with an entry point) whose
module does not import: the server must list it BROKEN and run the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.connectors.registry import ConnectorRegistry
from headwater.settings import Settings

WHY = "needs libfoo 2.0"


def registry_with_a_broken_plugin(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ConnectorRegistry:
    site = tmp_path / "site"
    info = site / "broken_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[headwater.connectors]\nbroken = broken_plugin_module:Connector\n"
    )
    (site / "broken_plugin_module.py").write_text(f"raise ImportError({WHY!r})\n")
    monkeypatch.syspath_prepend(str(site))
    return ConnectorRegistry.from_entry_points(options=settings.options_for_connectors())
