"""`/v1/datasets/{id}/policies`: status codes, checks, and the filter on both query APIs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

COLUMNS = [
    {"type": "STRING", "name": "region"},
    {"type": "LONG", "name": "n"},
    {"type": "DATE", "name": "day"},
]
ROWS = b"north,1,2024-01-01\nsouth,5,2024-02-01\nO'Brien,9,2024-03-01\n,3,\n"


@pytest.fixture
def sales(admin: Api) -> str:
    created = admin.post("/v1/datasets", json={"name": "Sales", "schema": {"columns": COLUMNS}})
    dataset_id = str(created.json()["id"])
    put = admin.put(f"/v1/datasets/{dataset_id}/data", content=ROWS)
    assert put.status_code == 204, put.text
    return dataset_id


def policy(filters: list[dict[str, Any]], users: list[int], **extra: Any) -> dict[str, Any]:
    return {"name": "p", "type": "user", "filters": filters, "users": users, **extra}


def eq(column: str, *values: str, op: str = "EQUALS", negate: bool = False) -> dict[str, Any]:
    return {"column": column, "values": list(values), "operator": op, "not": negate}


def viewer(admin: Api, dataset_id: str, name: str) -> tuple[int, Api]:
    user_id, token = admin.new_user(name, role=4)
    admin.post(
        f"/api/data/v3/datasources/{dataset_id}/share",
        json={"permissions": [{"type": "USER", "id": user_id, "accessLevel": "CAN_VIEW"}]},
    )
    return user_id, admin.as_(token)


def regions(api: Api, dataset_id: str) -> list[Any]:
    product = api.post(
        f"/api/query/v1/execute/{dataset_id}", json={"sql": "SELECT region FROM table"}
    )
    public = api.post(
        f"/v1/datasets/query/execute/{dataset_id}", json={"sql": "SELECT region FROM table"}
    )
    assert product.status_code == public.status_code == 200
    from_product = sorted([r["region"] for r in product.json()], key=str)
    assert from_product == sorted([r[0] for r in public.json()["rows"]], key=str)
    return from_product


def test_policy_crud_status_codes(admin: Api, sales: str) -> None:
    base = f"/v1/datasets/{sales}/policies"
    created = admin.post(base, json=policy([eq("Region", "north")], [1]))
    assert created.status_code == 201
    body = created.json()
    assert body["filters"] == [
        {"column": "region", "values": ["north"], "operator": "EQUALS", "not": False}
    ]
    listed = admin.get(base).json()
    assert [(p["name"], p["type"]) for p in listed] == [("All Rows", "open"), ("p", "user")]
    assert admin.get(f"{base}/{body['id']}").status_code == 200
    updated = admin.put(f"{base}/{body['id']}", json={"name": "north only"})
    assert updated.status_code == 200
    assert updated.json()["name"] == "north only"
    open_id = listed[0]["id"]
    refused = admin.delete(f"{base}/{open_id}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "POLICY_OPEN"
    assert admin.delete(f"{base}/{body['id']}").status_code == 204
    assert admin.get(f"{base}/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ([eq("nope", "x")], "filters[0].column"),
        ([eq("n", "ten")], "filters[0].values[0]"),
        ([eq("day", "2024-13-01")], "filters[0].values[0]"),
        ([eq("n", "1", op="BETWEEN")], "filters[0].values"),
        ([eq("n", "1", "2", op="GREATER_THAN")], "filters[0].values"),
        ([eq("n", op="EQUALS")], "filters[0].values"),
        ([eq("n", "1", op="ROUGHLY")], "filters[0].operator"),
        ([eq("region", "a\x00b")], "filters[0].values[0]"),
    ],
)
def test_bad_policies_name_the_field(
    admin: Api, sales: str, filters: list[dict[str, Any]], field: str
) -> None:
    response = admin.post(f"/v1/datasets/{sales}/policies", json=policy(filters, [1]))
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_unknown_members_and_types_are_refused(admin: Api, sales: str) -> None:
    base = f"/v1/datasets/{sales}/policies"
    assert admin.post(base, json=policy([], [999])).json()["field"] == "users[0]"
    assert admin.post(base, json=policy([], [], groups=[999])).json()["field"] == "groups[0]"
    assert admin.post(base, json=policy([], [], type="open")).status_code == 400
    assert admin.post(base, json=policy([], [], type="odd")).status_code == 400


def test_only_co_owners_manage_policies(admin: Api, sales: str) -> None:
    _, viewer_api = viewer(admin, sales, "Vic")
    base = f"/v1/datasets/{sales}/policies"
    assert viewer_api.get(base).status_code == 403
    assert viewer_api.post(base, json=policy([], [2])).status_code == 403
    _, stranger = admin.new_user("Sam", role=4)
    assert admin.as_(stranger).get(base).status_code == 404


def test_filters_apply_to_both_query_apis(admin: Api, sales: str) -> None:
    ann_id, ann = viewer(admin, sales, "Ann")
    bob_id, bob = viewer(admin, sales, "Bob")
    _, cat = viewer(admin, sales, "Cat")
    base = f"/v1/datasets/{sales}/policies"
    # values with quotes are matched exactly, never pasted into SQL
    admin.post(base, json=policy([eq("region", "O'Brien", "x' OR '1'='1")], [ann_id]))
    admin.post(base, json=policy([eq("n", "2", "6", op="BETWEEN")], [bob_id]))
    assert regions(ann, sales) == ["O'Brien"]
    assert regions(bob, sales) == [None, "south"]
    assert regions(cat, sales) == []
    assert regions(admin, sales) == [None, "O'Brien", "north", "south"]

    negated = admin.post(base, json=policy([eq("region", "north", negate=True)], [ann_id]))
    # two policies: the union of their rows; NULL passes no filter, negated or not
    assert regions(ann, sales) == ["O'Brien", "south"]
    admin.put(
        f"{base}/{negated.json()['id']}",
        json={"filters": [eq("day", "2024-02-01", op="GREATER_THAN_EQUAL")]},
    )
    assert regions(ann, sales) == ["O'Brien", "south"]
    text = admin.put(
        f"{base}/{negated.json()['id']}", json={"filters": [eq("region", "nor", op="BEGINS_WITH")]}
    )
    assert text.status_code == 200
    assert regions(ann, sales) == ["O'Brien", "north"]
