"""The complete example in docs/connectors.md runs as written, and its tests pass."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "connectors.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_the_documented_connector_and_its_tests_work(monkeypatch: pytest.MonkeyPatch) -> None:
    connector_code, test_code = python_blocks()
    module = types.ModuleType("countdown_connector")
    exec(compile(connector_code, str(DOC), "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "countdown_connector", module)
    tests: dict[str, object] = {}
    exec(compile(test_code, str(DOC), "exec"), tests)
    ran = [name for name, fn in tests.items() if name.startswith("test_") and callable(fn)]
    for name in ran:
        tests[name]()  # type: ignore[operator]
    assert len(ran) == 2
