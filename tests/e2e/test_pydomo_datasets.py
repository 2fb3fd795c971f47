"""pydomo 0.3.0.16 from PyPI, unchanged, against `headwater serve` over plain HTTP: DataSets."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pydomo.datasets import Column, ColumnType, DataSetRequest, Schema, Sorting, UpdateMethod

from tests.e2e.pydomo_support import PublicApi

pytestmark = pytest.mark.e2e


def request(name: str, description: str = "") -> DataSetRequest:
    dsr = DataSetRequest()
    dsr.name = name
    dsr.description = description
    dsr.schema = Schema(
        [
            Column(ColumnType.STRING, "region"),
            Column(ColumnType.LONG, "units"),
            Column(ColumnType.DOUBLE, "price"),
            Column(ColumnType.DATETIME, "sold_at"),
        ]
    )
    return dsr


ROWS = 'north,3,1.5,2024-01-02 03:04:05\n"south, far",5,2.25,2024-02-03 04:05:06\n'


def test_dataset_create_get_list_update_delete(public_api: PublicApi) -> None:
    domo = public_api.domo()
    created = domo.datasets.create(request("Sales", "units sold"))
    dataset_id = created["id"]
    assert created["name"] == "Sales"
    assert created["schema"]["columns"][0] == {"type": "STRING", "name": "region"}

    got = domo.datasets.get(dataset_id)
    assert got["description"] == "units sold"
    assert got["owner"]["id"] == 1
    assert got["pdpEnabled"] is False
    assert [p["name"] for p in got["policies"]] == ["All Rows"]

    for index in range(6):
        domo.datasets.create(request(f"Other {index}"))
    # pydomo pages (offset += per_page) until it gets an empty page.
    names = [d["name"] for d in domo.datasets.list(per_page=4)]
    assert len(names) == 7
    assert [d["name"] for d in domo.datasets.list(name_like="sal")] == ["Sales"]
    by_name = [d["name"] for d in domo.datasets.list(sort=Sorting.NAME)]
    assert by_name == sorted(by_name, key=str.lower)
    assert len(list(domo.datasets.list(per_page=2, limit=3))) == 3

    updated = domo.datasets.update(dataset_id, {"name": "Sales 2024"})
    assert updated["name"] == "Sales 2024"
    assert domo.datasets.get(dataset_id)["name"] == "Sales 2024"

    domo.datasets.delete(dataset_id)
    with pytest.raises(Exception, match="404"):
        domo.datasets.get(dataset_id)


def test_import_replace_and_append_then_export_and_query(public_api: PublicApi) -> None:
    domo = public_api.domo()
    dataset_id = domo.datasets.create(request("Sales"))["id"]

    domo.datasets.data_import(dataset_id, ROWS)
    domo.datasets.data_import(dataset_id, ROWS, UpdateMethod.REPLACE)
    assert domo.datasets.get(dataset_id)["rows"] == 2
    domo.datasets.data_import(dataset_id, "east,7,3.0,2024-03-04 05:06:07\n", UpdateMethod.APPEND)
    assert domo.datasets.get(dataset_id)["rows"] == 3

    with_header = domo.datasets.data_export(dataset_id, True)
    frame = pd.read_csv(io.StringIO(with_header))
    assert list(frame.columns) == ["region", "units", "price", "sold_at"]
    assert sorted(frame["region"]) == ["east", "north", "south, far"]
    assert "2024-01-02 03:04:05" in with_header
    without = domo.datasets.data_export(dataset_id, False)
    assert not without.startswith("region")
    assert len(without.splitlines()) == 3

    result = domo.datasets.query(
        dataset_id, "SELECT region, units * price AS revenue FROM table ORDER BY region"
    )
    assert result["columns"] == ["region", "revenue"]
    assert result["rows"] == [["east", 21.0], ["north", 4.5], ["south, far", 11.25]]
    assert result["numRows"] == 3
    assert [m["type"] for m in result["metadata"]] == ["STRING", "DOUBLE"]
    assert domo.ds_query(dataset_id, "SELECT COUNT(*) AS n FROM table")["n"].tolist() == [3]

    # ds_get: export with a header, then the schema's types applied by pandas.
    frame = domo.ds_get(dataset_id)
    assert frame.shape == (3, 4)
    assert str(frame["units"].dtype) == "Int64"


def test_a_bad_import_is_refused_and_changes_nothing(public_api: PublicApi) -> None:
    domo = public_api.domo()
    dataset_id = domo.datasets.create(request("Sales"))["id"]
    domo.datasets.data_import(dataset_id, ROWS)
    before = domo.datasets.data_export(dataset_id, True)

    with pytest.raises(Exception, match="line 2") as raised:
        domo.datasets.data_import(dataset_id, "west,1,1.0,2024-01-01 00:00:00\nwest,lots,1,x\n")
    assert "units" in str(raised.value)

    assert domo.datasets.data_export(dataset_id, True) == before
    assert domo.datasets.get(dataset_id)["rows"] == 2


def test_pandas_helpers_create_update_and_read_back(public_api: PublicApi) -> None:
    domo = public_api.domo()
    frame = pd.DataFrame(
        {
            "city": ["Oslo", 'Quote "q"', None],
            "people": [700_000, 5, 12],
            "share": [0.5, 0.25, 1.0],
            "when": pd.to_datetime(["2024-01-02 03:04:05"] * 3),
        }
    )
    dataset_id = domo.ds_create(frame, "Cities", "from pandas")
    back = domo.ds_get(dataset_id)
    assert back["people"].tolist() == [700_000, 5, 12]
    assert back["city"].tolist()[:2] == ["Oslo", 'Quote "q"']
    assert pd.isna(back["city"].tolist()[2])

    domo.ds_update(dataset_id, frame.head(1))  # REPLACE through the dataset's stream
    assert domo.ds_get(dataset_id)["city"].tolist() == ["Oslo"]
    assert [d["name"] for d in domo.ds_list(df_output=False)] == ["Cities"]


def test_decimals_keep_every_digit_on_pydomo_paths(public_api: PublicApi) -> None:
    domo = public_api.domo()
    dsr = DataSetRequest()
    dsr.name = "Ledger"
    dsr.schema = Schema([Column(ColumnType.LONG, "id"), Column(ColumnType.DECIMAL, "amount")])
    dataset_id = domo.datasets.create(dsr)["id"]
    assert domo.datasets.get(dataset_id)["schema"]["columns"][1] == {
        "type": "DECIMAL",
        "name": "amount",
        "precision": 38,  # pydomo's bare DECIMAL: DECIMAL(38, 9), as it always was
        "scale": 9,
    }
    domo.datasets.data_import(dataset_id, "1,0.10\n2,123456789012345678.123456789\n")

    result = domo.datasets.query(dataset_id, "SELECT amount FROM table ORDER BY id")
    assert result["rows"] == [[0.1], ["123456789012345678.123456789"]]  # a double keeps 0.1 only
    sums = domo.ds_query(dataset_id, "SELECT SUM(amount) AS s FROM table")
    assert sums["s"].tolist() == ["123456789012345678.223456789"]

    exported = domo.datasets.data_export(dataset_id, False)
    assert exported.splitlines() == ['1,"0.100000000"', '2,"123456789012345678.123456789"']
    # ds_get: pydomo maps DECIMAL to pandas Float64 itself; from exact text, the nearest double
    assert domo.ds_get(dataset_id)["amount"].tolist() == [0.1, 123456789012345678.123456789]
