"""A company built when it is created serves its pages from employees encoded beforehand: what
one that makes each page when asked serves, and a changed employee's new version."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from peoplesync.sandbox import SandboxServer
from peoplesync.sandbox.client import SandboxControlError
from peoplesync.sources.merge.client import EMPLOYEE_EXPAND
from tests.sandbox.helpers import Hris

EXPANDS = EMPLOYEE_EXPAND.split(",")


@pytest.fixture
def pair(sandbox: SandboxServer) -> Iterator[tuple[Hris, Hris, str]]:
    """The same company twice: built and encoded at creation, and made page by page."""
    built = sandbox.control.create_company(
        seed=21, size=120, initial_sync_seconds=0, precompute_expand=EXPANDS
    )
    made = sandbox.control.create_company(seed=21, size=120, initial_sync_seconds=0)
    clients = [Hris(sandbox.base_url, sandbox.api_key, a.account_token) for a in (built, made)]
    yield clients[0], clients[1], built.account_token
    for client in clients:
        client.close()


def pages(hris: Hris, **params: object) -> list[bytes]:
    found: list[bytes] = []
    cursor: str | None = None
    while True:
        more = {"cursor": cursor} if cursor else {}
        response = hris.get("/employees", page_size=50, **params, **more)
        assert response.status_code == 200
        found.append(response.content)
        cursor = response.json()["next"]
        if cursor is None:
            return found


def test_a_built_company_serves_what_a_made_one_does(pair: tuple[Hris, Hris, str]) -> None:
    built, made, _ = pair
    for params in ({"expand": EMPLOYEE_EXPAND}, {"expand": "manager,team"}, {}):
        served = [e for p in pages(built, **params) for e in _results(p)]
        asked = [e for p in pages(made, **params) for e in _results(p)]
        assert len(served) == 120
        assert [_timeless(e) for e in served] == [_timeless(e) for e in asked]
        for record in served[::17]:  # as the record's own endpoint renders it, then and there
            assert record == built.json(f"/employees/{record['id']}", **params)


def _timeless(value: object) -> object:
    """`value` without Merge's timestamps (the two companies were made at other instants)."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


TIMES = frozenset({"created_at", "modified_at"})


def test_a_changed_employee_is_served_as_changed(
    sandbox: SandboxServer, pair: tuple[Hris, Hris, str]
) -> None:
    built, _, token = pair
    before = {e["id"]: e for p in pages(built, expand=EMPLOYEE_EXPAND) for e in _results(p)}
    changed = sandbox.control.churn(token, 5, seed=3)
    after = {e["id"]: e for p in pages(built, expand=EMPLOYEE_EXPAND) for e in _results(p)}
    assert changed
    for merge_id in changed:
        assert after[merge_id] == built.json(f"/employees/{merge_id}", expand=EMPLOYEE_EXPAND)
        assert str(after[merge_id]["modified_at"]) > str(before[merge_id]["modified_at"])


def test_an_unknown_relation_to_precompute_is_refused(sandbox: SandboxServer) -> None:
    with pytest.raises(SandboxControlError, match="salary"):
        sandbox.control.create_company(
            seed=1, size=10, initial_sync_seconds=0, precompute_expand=["salary"]
        )


def _results(page: bytes) -> list[dict[str, object]]:
    results: list[dict[str, object]] = orjson.loads(page)["results"]
    return results
