"""Following a connector run from start to end, sync and async, over a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.bootstrap import Runtime
from headwater.client import AsyncClient, Client, Execution, ExecutionFailed, Stream, WaitTimeout
from headwater.settings import FaultSettings, Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # each batch pauses, so a run lasts long enough to be watched
    return settings.model_copy(update={"faults": FaultSettings(pause_after_batch=0.3)})


def orders(runtime: Runtime, files: int = 6, rows: int = 50) -> Path:
    folder = runtime.settings.data_dir / "files" / "orders"
    folder.mkdir(parents=True)
    for n in range(files):
        body = "".join(f"s{n}-{i},{i}\n" for i in range(rows))
        (folder / f"part{n}.csv").write_text("sku,qty\n" + body)
    return folder


def file_stream(hw: Client, path: Path) -> Stream:
    return hw.streams.create(
        "Orders",
        ["sku:STRING", "qty:LONG"],
        provider="file",
        configuration={"path": str(path), "format": "csv"},
    )


def test_follow_yields_progress_then_the_finished_run(hw: Client, runtime: Runtime) -> None:
    stream = file_stream(hw, orders(runtime))
    started = hw.executions.create(stream.id)
    seen: list[Execution] = list(hw.executions.follow(stream.id, started.id, interval=0.05))
    assert seen[-1].state == "SUCCESS"
    assert seen[-1].rows == 300
    assert all(not e.finished for e in seen[:-1])
    rows = [e.rows for e in seen]
    assert rows == sorted(rows)  # progress only grows
    assert any(0 < r < 300 for r in rows), rows  # and was seen on its way
    assert hw.executions.wait(stream.id, started.id).rows == 300


def test_wait_raises_for_a_failed_run_and_times_out(hw: Client, runtime: Runtime) -> None:
    folder = orders(runtime)
    (folder / "part9.csv").write_text("sku,qty\nbad,not-a-number\n")
    stream = file_stream(hw, folder)
    started = hw.executions.create(stream.id)
    with pytest.raises(WaitTimeout):
        hw.executions.wait(stream.id, started.id, timeout=0.01, interval=0.01)
    with pytest.raises(ExecutionFailed) as failed:
        hw.executions.wait(stream.id, started.id, interval=0.05)
    assert failed.value.execution.state == "ERROR"
    assert "not-a-number" in str(failed.value) or failed.value.execution.errors
    assert hw.datasets.get(stream.dataset_id or "").row_count == 0  # nothing committed


@pytest.mark.anyio
async def test_async_follow_and_wait(ahw: AsyncClient, runtime: Runtime) -> None:
    folder = orders(runtime, files=3)
    stream = await ahw.streams.create(
        "Orders", ["sku:STRING", "qty:LONG"], provider="file", configuration={"path": str(folder)}
    )
    started = await ahw.executions.create(stream.id)
    seen = [e async for e in ahw.executions.follow(stream.id, started.id, interval=0.05)]
    assert seen[-1].succeeded
    assert seen[-1].rows == 150
    done = await ahw.executions.wait(stream.id, started.id)
    assert done.id == started.id
