"""The async client against a real server: the same resources, awaited."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.client import AsyncClient

pytestmark = pytest.mark.anyio


async def test_datasets_streams_and_admin(ahw: AsyncClient, tmp_path: Path) -> None:
    made = await ahw.datasets.create("Sales", ["region:STRING", "amount:LONG"])
    assert (await ahw.datasets.get(made.id)).name == "Sales"
    assert [d.id for d in await ahw.datasets.list()] == [made.id]
    await ahw.datasets.update(made.id, description="by region")
    source = tmp_path / "s.csv"
    source.write_text("region,amount\nnorth,2\nsouth,3\n")
    result = await ahw.uploads.upload(made.id, source)
    assert result.execution.rows == 2
    rows = (await ahw.datasets.query(made.id, "SELECT SUM(amount) AS s FROM table")).rows
    assert rows == [{"s": 5}]

    ada = await ahw.users.create("Ada", "ada@example.com", role_id=4)
    assert (await ahw.users.get(ada.id)).display_name == "Ada"
    assert len(await ahw.users.list()) == 2
    await ahw.datasets.share(made.id, ada.id)
    assert ada.id in {p.principal_id for p in await ahw.datasets.permissions(made.id)}
    await ahw.datasets.revoke(made.id, ada.id)
    group = await ahw.groups.create("G")
    assert (await ahw.groups.add_members(group.id, [ada.id])).member_ids == [ada.id]
    assert (await ahw.groups.remove_members(group.id, [ada.id])).member_ids == []
    assert (await ahw.groups.get(group.id)).name == "G"
    assert len(await ahw.groups.list()) == 1
    await ahw.groups.delete(group.id)
    token = await ahw.tokens.create("t", owner_id=ada.id)
    assert token.id in {t.id for t in await ahw.tokens.list()}
    await ahw.tokens.revoke(token.id)
    account = await ahw.accounts.create("a", "sql", {"password": "p"})
    assert (await ahw.accounts.get(account.id)).name == "a"
    await ahw.accounts.update(account.id, display_name="A")
    assert len(await ahw.accounts.list()) == 1
    await ahw.accounts.share(account.id, ada.id)
    await ahw.accounts.revoke(account.id, ada.id)
    await ahw.accounts.delete(account.id)

    stream = await ahw.streams.create("Orders", ["sku:STRING"])
    assert (await ahw.streams.get(stream.id)).takes_uploads
    assert stream.dataset_id
    assert await ahw.streams.for_dataset(stream.dataset_id)
    assert len(await ahw.streams.search("transport.type:API")) == 2
    opened = await ahw.executions.create(stream.id)
    await ahw.executions.upload_part(stream.id, opened.id, 1, b"x\n", gzipped=False)
    assert [p.part_id for p in await ahw.executions.parts(stream.id, opened.id)] == [1]
    assert (await ahw.executions.commit(stream.id, opened.id)).succeeded
    second = await ahw.executions.create(stream.id)
    assert (await ahw.executions.abort(stream.id)).id == second.id  # the current one
    assert [e.id for e in await ahw.executions.list(stream.id)] == [second.id, opened.id]
    assert (await ahw.executions.get(stream.id, opened.id)).rows == 1
    assert len(await ahw.streams.history(stream.id)) == 2
    await ahw.streams.update(stream.id, dataset_name="Orders 2")
    assert len(await ahw.streams.list()) == 2
    await ahw.streams.delete(stream.id)
    await ahw.datasets.delete(made.id)
    assert [d.name for d in await ahw.datasets.list()] == ["Orders 2"]
