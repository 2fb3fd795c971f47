"""The streaming source example in docs/connectors.md runs as written, and its test passes."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from headwater.connectors.registry import ConnectorRegistry
from headwater.domain.errors import InvalidInput

DOC = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"


def block(title: str) -> str:
    (found,) = re.findall(
        rf'```python title="{re.escape(title)}"\n(.*?)```', DOC.read_text(), flags=re.DOTALL
    )
    return str(found)


def test_the_documented_streaming_source_and_its_test_work(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("ticker_source")
    exec(compile(block("ticker_source.py"), str(DOC), "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "ticker_source", module)
    tests: dict[str, object] = {}
    exec(compile(block("test_ticker_source.py"), str(DOC), "exec"), tests)
    ran = [name for name, fn in tests.items() if name.startswith("test_") and callable(fn)]
    for name in ran:
        tests[name]()  # type: ignore[operator]
    assert ran == ["test_ticker_keeps_the_contract"]


def test_the_documented_streaming_source_refuses_a_bad_config_at_definition() -> None:
    """Its spec, through the registry, names the field a pipeline definition gets wrong."""
    module = types.ModuleType("ticker_source")
    exec(compile(block("ticker_source.py"), str(DOC), "exec"), module.__dict__)
    registry = ConnectorRegistry()
    registry.register_source("ticker_input", module.TickerSource)
    with pytest.raises(InvalidInput) as refused:
        registry.check_source("ticker_input", {"count": -1})
    assert refused.value.details["field"] == "transport.config.count"
