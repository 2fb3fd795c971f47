"""The sync client against a real server over HTTP: every resource, typed answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from headwater.client import Client, Column, Dataset, ExecutionFailed, Unauthenticated
from tests.client.conftest import QUICK_RETRY
from tests.support.live_server import LiveServer


def sales(hw: Client) -> Dataset:
    return hw.datasets.create("Sales", ["region:STRING", ("amount", "LONG")], tags=["demo"])


def test_datasets_create_get_list_update_delete(hw: Client) -> None:
    made = sales(hw)
    assert [(c.name, c.type) for c in made.columns] == [("region", "STRING"), ("amount", "LONG")]
    assert made.tags == ["demo"]
    assert made.created_at is not None
    assert made.created_at.tzinfo is not None
    assert hw.datasets.get(made.id) == made
    other = hw.datasets.create("Costs", ["x:DOUBLE"])
    assert {d.id for d in hw.datasets.list()} == {made.id, other.id}
    assert [d.id for d in hw.datasets.list(name_like="sal")] == [made.id]
    assert len(hw.datasets.list(limit=1)) == 1
    renamed = hw.datasets.update(made.id, name="Revenue", description="by region")
    assert (renamed.name, renamed.description) == ("Revenue", "by region")
    assert renamed.raw["name"] == "Revenue"  # the server's body, whole
    hw.datasets.delete(other.id, hard=True)
    assert [d.id for d in hw.datasets.list()] == [made.id]


def test_decimal_columns_carry_their_size_in_every_form(hw: Client) -> None:
    made = hw.datasets.create(
        "Ledger",
        [
            "a:DECIMAL(12,2)",
            ("b", "decimal(10)"),
            {"name": "c", "type": "DECIMAL", "precision": 20, "scale": 4},
            Column(name="d", type="DECIMAL", precision=5, scale=5),
            "e:DECIMAL",
        ],
    )
    assert [c.type_text for c in made.columns] == [
        "DECIMAL(12,2)",
        "DECIMAL(10,0)",
        "DECIMAL(20,4)",
        "DECIMAL(5,5)",
        "DECIMAL(38,9)",
    ]
    assert (made.columns[0].precision, made.columns[0].scale) == (12, 2)


def test_list_pages_through_everything(hw: Client) -> None:
    made = {hw.datasets.create(f"d{i}", ["x:LONG"]).id for i in range(7)}
    from headwater.client import _datasets

    # pages of 3: the client asks for more until a short page
    pages = hw.datasets._t.collect(_datasets.page_call(None), 3, None)
    assert {d.id for d in pages} == made


def test_query_export_and_append(hw: Client, tmp_path: Path) -> None:
    made = sales(hw)
    source = tmp_path / "sales.csv"
    source.write_text("region,amount\nnorth,5\nsouth,7\nnorth,1\n")
    hw.uploads.upload(made.id, source)
    result = hw.datasets.query(
        made.id, "SELECT region, SUM(amount) AS total FROM table GROUP BY 1 ORDER BY 1"
    )
    assert result.columns == ["region", "total"]
    assert result.rows == [{"region": "north", "total": 6}, {"region": "south", "total": 7}]
    target = tmp_path / "out.csv"
    written = hw.datasets.export(made.id, target)
    assert written == target.stat().st_size
    assert target.read_text().splitlines() == [
        '"region","amount"',
        '"north",5',
        '"south",7',
        '"north",1',
    ]
    assert not (tmp_path / "out.csv.part").exists()


def test_share_revoke_and_permissions(hw: Client, server: LiveServer) -> None:
    made = sales(hw)
    ada = hw.users.create("Ada", "ada@example.com", role_id=4)
    token = hw.tokens.create("ada's", owner_id=ada.id)
    team = hw.groups.create("Team")
    listed = hw.datasets.share(made.id, ada.id, "CAN_VIEW")
    assert ("USER", ada.id, "CAN_VIEW") in [
        (p.principal_type, p.principal_id, p.access_level) for p in listed
    ]
    hw.datasets.share(made.id, team.id, "CAN_EDIT", group=True)
    levels = {
        (p.principal_type, p.principal_id): p.access_level for p in hw.datasets.permissions(made.id)
    }
    assert levels[("GROUP", team.id)] == "CAN_EDIT"
    with Client(server.url, token=token.token, retry=QUICK_RETRY) as as_ada:
        assert [d.id for d in as_ada.datasets.list()] == [made.id]
        hw.datasets.revoke(made.id, ada.id)
        assert as_ada.datasets.list() == []


def test_users_groups_tokens(hw: Client, server: LiveServer) -> None:
    me = hw.users.me()
    assert (me.display_name, me.role_id) == ("admin", 1)
    ada = hw.users.create("Ada", "ada@example.com", role_id=3)
    assert hw.users.get(ada.id).email == "ada@example.com"
    assert {u.id for u in hw.users.list()} == {me.id, ada.id}
    group = hw.groups.create("Analysts", description="read sales")
    assert hw.groups.add_members(group.id, [ada.id, me.id]).member_count == 2
    assert hw.groups.remove_members(group.id, [me.id]).member_ids == [ada.id]
    assert [g.name for g in hw.groups.list()] == ["Analysts"]
    hw.groups.delete(group.id)
    assert hw.groups.list() == []

    expires = datetime.now(UTC) + timedelta(days=1)
    issued = hw.tokens.create("ci", owner_id=ada.id, expires=expires)
    assert issued.token
    assert issued.owner_id == ada.id
    assert issued.expires_at is not None
    assert abs((issued.expires_at - expires).total_seconds()) < 1
    assert issued.id in {t.id for t in hw.tokens.list()}
    assert "token" not in hw.tokens.list()[0].raw  # the secret is never shown again
    with Client(server.url, token=issued.token, retry=QUICK_RETRY) as as_ada:
        assert as_ada.users.me().id == ada.id
        hw.tokens.revoke(issued.id)
        with pytest.raises(Unauthenticated):
            as_ada.users.me()


def test_accounts_keep_their_secrets(hw: Client) -> None:
    account = hw.accounts.create("db", "sql", {"host": "localhost", "password": "hunter2"})
    values = {c.name: c.value for c in account.configurations}
    assert values["host"] == "localhost"
    assert values["password"] != "hunter2"
    updated = hw.accounts.update(account.id, display_name="Database")
    assert updated.display_name == "Database"
    assert [a.id for a in hw.accounts.list()] == [account.id]
    ada = hw.users.create("Ada", "ada@example.com")
    hw.accounts.share(account.id, ada.id, "CAN_VIEW")
    hw.accounts.revoke(account.id, ada.id)
    hw.accounts.delete(account.id)
    assert hw.accounts.list() == []


def test_streams_and_executions_by_hand(hw: Client) -> None:
    stream = hw.streams.create("Orders", ["sku:STRING", "qty:LONG"], update_method="APPEND")
    assert stream.takes_uploads
    assert stream.update_method == "APPEND"
    assert hw.streams.get(stream.id).dataset_id == stream.dataset_id
    assert [s.id for s in hw.streams.list()] == [stream.id]
    assert stream.dataset_id is not None
    found = hw.streams.for_dataset(stream.dataset_id)
    assert found is not None
    assert found.id == stream.id
    assert [s.id for s in hw.streams.search("dataSource.name:Ord*")] == [stream.id]

    opened = hw.executions.create(stream.id)
    assert (opened.state, opened.phase) == ("ACTIVE", "UPLOADING")
    hw.executions.upload_part(stream.id, opened.id, 1, b"a,1\nb,2\n", gzipped=False)
    import gzip

    hw.executions.upload_part(stream.id, opened.id, 2, gzip.compress(b"c,3\n"), gzipped=True)
    assert [(p.part_id, p.rows) for p in hw.executions.parts(stream.id, opened.id)] == [
        (1, 2),
        (2, 1),
    ]
    done = hw.executions.commit(stream.id, opened.id)
    assert done.succeeded
    assert done.rows == 3
    assert done.finished
    assert hw.executions.get(stream.id, opened.id).state == "SUCCESS"

    aborted = hw.executions.abort(stream.id, hw.executions.create(stream.id).id)
    assert aborted.state == "ABORTED"
    assert [e.id for e in hw.executions.list(stream.id)] == [aborted.id, done.id]
    history = hw.streams.history(stream.id)
    assert [(h.execution_id, h.state, h.rows) for h in history] == [
        (aborted.id, "ABORTED", 0),
        (done.id, "SUCCESS", 3),
    ]
    with pytest.raises(ExecutionFailed, match="ABORTED"):
        hw.executions.wait(stream.id, aborted.id)

    updated = hw.streams.update(stream.id, dataset_name="Orders 2")
    assert updated.dataset_name == "Orders 2"
    hw.streams.delete(stream.id)
    assert hw.streams.list() == []


def test_a_stream_schema_policy_is_set_and_read(hw: Client) -> None:
    stream = hw.streams.create("Orders", ["sku:STRING"], schema_policy="ignore_new")
    assert stream.schema_policy == "IGNORE_NEW"
    assert hw.streams.set_schema_policy(stream.id, "STRICT").schema_policy == "STRICT"
    assert hw.streams.get(stream.id).schema_policy == "STRICT"
