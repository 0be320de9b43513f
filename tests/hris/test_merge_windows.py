"""A first read walks several created_at windows at once (issue 12): against the sandbox, the
merged, de-duplicated result is exactly what one cursor reads; one window's failure fails the
whole read; the windows cover all time, overlapping; the estimate reaches the end."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from peoplesync.errors import ProviderProtocolError
from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.client import MergeClient
from peoplesync.sources.merge.fetch import fetch_employees
from peoplesync.sources.merge.pacing import Pacer, RateBudget
from peoplesync.sources.merge.source import MergeSource
from peoplesync.sources.merge.windows import OVERLAP, window_bounds, windows_for

SIZE = 230


def test_windows_cover_all_time_and_overlap_at_each_cut() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(hours=4)
    bounds = window_bounds(start, end, 4)
    assert bounds[0][0] is None
    assert bounds[-1][1] is None
    for (_, high), (low, _) in itertools.pairwise(bounds):
        assert high is not None
        assert low is not None
        assert high - low == 2 * OVERLAP  # a record on a cut is in both windows
    assert window_bounds(start, start, 4) == [(None, None)]
    assert window_bounds(start, end, 1) == [(None, None)]


def _source(sandbox: SandboxServer, token: str, windows: int) -> MergeSource:
    pacer = Pacer(RateBudget(6000))  # shared, as one account's budget is

    def client() -> MergeClient:
        return MergeClient(sandbox.base_url, sandbox.api_key, token, page_size=20, pacer=pacer)

    return MergeSource(
        client(),
        name="Justworks",
        supported=None,
        redacted=frozenset(),
        modified_after=None,
        windows=windows,
        client_for=client,
    )


def test_a_windowed_read_is_the_one_cursor_read_merged_and_deduplicated(
    sandbox: SandboxServer,
) -> None:
    company = sandbox.control.create_company(seed=11, size=SIZE, initial_sync_seconds=0)
    victim = sandbox.control.delete  # a deleted record is gone in both reads
    plain = MergeClient(sandbox.base_url, sandbox.api_key, company.account_token, page_size=20)
    with plain:
        first = next(plain.iter_employee_pages())
    victim(company.account_token, str(first[3]["id"]))
    seen: list[int] = []
    source = _source(sandbox, company.account_token, 5)
    batch = source.read(seen.append)
    with MergeClient(sandbox.base_url, sandbox.api_key, company.account_token) as one:
        single = fetch_employees(one, modified_after=None)
    assert len(batch.snapshot.records) == len(single.records) == SIZE - 1
    assert sorted(batch.snapshot.records, key=lambda r: str(r.source_id)) == sorted(
        single.records, key=lambda r: str(r.source_id)
    )
    assert batch.deleted == single.deleted_source_ids == {str(first[3]["id"])}
    assert batch.snapshot.complete
    assert batch.timings["pages"] > SIZE // 20  # every window walked its own pages
    assert seen[-1] == SIZE - 1
    assert source.estimate()["share_done"] == 1.0


def test_one_window_failing_fails_the_whole_read(sandbox: SandboxServer) -> None:
    company = sandbox.control.create_company(seed=12, size=SIZE, initial_sync_seconds=0)
    source = _source(sandbox, company.account_token, 4)
    # Pages without a key the sync compares: the probe (one plain page) does not map them, the
    # windows do, and the first that meets one fails the read; the others stop.
    sandbox.control.inject_fault(
        company.account_token, "missing_key", key="work_email", endpoint="employees", count=100
    )
    with pytest.raises(ProviderProtocolError, match="no 'work_email' field"):
        source.read()


def test_the_budget_decides_how_many_windows() -> None:
    assert windows_for(None) == 1  # no budget known: one cursor, 429s wait out Retry-After
    assert windows_for(100) == 1  # Launch: one cursor already fills it
    assert windows_for(400) == 4
    assert windows_for(600) == 5
    assert windows_for(600, 8) == 8  # the operator's number wins
