"""The client's linked-account calls (account-details, delete-account, the exchange's id), its
pacing under Merge's request budget, and sync status read as Merge defines its fields."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from peoplesync.errors import ProviderProtocolError, ReconnectNeededError
from peoplesync.sandbox import SandboxServer
from peoplesync.sources.merge.client import MergeClient, Pacer, RateBudget
from peoplesync.sources.merge.status import employee_sync_state, parse_sync_statuses

Handler = httpx.MockTransport


def mock(handler: Handler) -> MergeClient:
    return MergeClient("https://merge.test/api", "KEY", "ACCT", transport=handler)


def test_account_details_is_typed_and_says_relink_needed() -> None:
    body = {"id": "la-1", "status": "relink_needed", "integration": "HiBob", "extra": 1}
    with mock(httpx.MockTransport(lambda r: httpx.Response(200, json=body))) as merge:
        details = merge.account_details()
    assert (details.id, details.status, details.integration) == ("la-1", "RELINK_NEEDED", "HiBob")
    assert details.relink_needed
    assert not details.complete
    assert details.integration_slug is None


def test_account_details_without_an_id_is_a_protocol_error() -> None:
    answer = httpx.MockTransport(lambda r: httpx.Response(200, json={"status": "COMPLETE"}))
    with mock(answer) as merge, pytest.raises(ProviderProtocolError, match="no id"):
        merge.account_details()


def test_delete_account_posts_with_the_account_token_and_accepts_an_empty_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with mock(httpx.MockTransport(handler)) as merge:
        merge.delete_account()
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/api/hris/v1/delete-account")
    assert request.headers["X-Account-Token"] == "ACCT"


def test_delete_account_of_a_token_merge_refuses_means_reconnect() -> None:
    refused = httpx.MockTransport(lambda r: httpx.Response(401, json={"detail": "Invalid."}))
    with mock(refused) as merge, pytest.raises(ReconnectNeededError):
        merge.delete_account()


def test_the_exchange_keeps_the_linked_account_id_and_quotes_the_token() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        body = {"account_token": "acct", "integration": {"name": "X", "slug": "x"}, "id": "la-7"}
        return httpx.Response(200, json=body)

    with mock(httpx.MockTransport(handler)) as merge:
        exchanged = merge.exchange_public_token("pub/../1")
    assert exchanged.id == "la-7"
    assert seen == ["/api/hris/v1/account-token/pub%2F..%2F1"]


def test_the_client_asks_for_groups() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"next": None, "previous": None, "results": []})

    with mock(httpx.MockTransport(handler)) as merge:
        list(merge.iter_employee_pages())
    assert "groups" in seen[0].url.params["expand"].split(",")


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_pacer_allows_a_burst_then_the_budget_rate() -> None:
    fake = FakeTime()
    budget = RateBudget(600)  # 590 tokens a minute after the reserve, burst 5
    pacer = Pacer(budget, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        pacer.wait()
    assert fake.now == 0.0
    for _ in range(59):
        pacer.wait()
    assert fake.now == pytest.approx(59 / budget.rate)
    assert budget.rate == pytest.approx(590 / 60)


def test_a_pacer_never_lets_more_than_the_budget_through_in_any_window() -> None:
    fake = FakeTime()
    budget = RateBudget(100)
    pacer = Pacer(budget, clock=fake.clock, sleep=fake.sleep)
    stamps = []
    for _ in range(400):
        pacer.wait()
        stamps.append(fake.now)
    for i, start in enumerate(stamps):
        inside = sum(1 for s in stamps[i:] if s < start + 60)
        assert inside <= budget.requests - budget.reserve


def test_budgets_say_what_is_wrong() -> None:
    assert RateBudget.for_plan("Enterprise").requests == 600
    assert RateBudget.for_plan("launch").requests == 100
    with pytest.raises(ValueError, match="unknown Merge plan 'gold'"):
        RateBudget.for_plan("gold")
    with pytest.raises(ValueError, match="leaves nothing"):
        RateBudget(8)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(size=20, initial_sync_seconds=0) as server:
        yield server


def budgeted(sandbox: SandboxServer) -> str:
    """An account whose budget is 30 requests per 2 s: Merge's rule, at a scale a test waits
    out."""
    return sandbox.control.create_company(
        seed=3, size=20, initial_sync_seconds=0, rate_limit_per_minute=30, rate_window_seconds=2
    ).account_token


def hammer(client: MergeClient, count: int) -> None:
    for _ in range(count):
        client.available_actions()


def test_without_pacing_the_sandbox_budget_answers_429(sandbox: SandboxServer) -> None:
    token = budgeted(sandbox)
    headers = {"Authorization": f"Bearer {sandbox.api_key}", "X-Account-Token": token}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as http:
        answers = [http.get("/hris/v1/available-actions") for _ in range(31)]
    assert [a.status_code for a in answers[:30]] == [200] * 30
    assert answers[30].status_code == 429
    assert answers[30].headers["Retry-After"] in {"1", "2"}
    assert sandbox.control.account(token)["throttled"] == 1


@pytest.mark.slow
def test_a_paced_client_stays_under_the_budget_and_holds_the_pace(sandbox: SandboxServer) -> None:
    token = budgeted(sandbox)
    budget = RateBudget(30, per_seconds=2, burst=3, reserve=3)
    pacer = Pacer(budget)
    started = time.monotonic()
    clients = [MergeClient(sandbox.base_url, sandbox.api_key, token, pacer=pacer) for _ in range(3)]
    threads = [threading.Thread(target=hammer, args=(c, 30)) for c in clients]  # 3 cursors
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    assert sandbox.control.account(token)["throttled"] == 0
    floor = (90 - budget.burst) / budget.rate  # 87 requests after the burst at 12 per second
    assert floor <= elapsed < floor * 2  # never faster than the budget; no stalls (see bench)


@pytest.mark.parametrize(
    ("fields", "phase", "ready", "fresh"),
    [
        # Merge's own example: an initial sync, although last_sync_finished is set.
        ({"status": "SYNCING", "last_sync_result": "SYNCING", "is_initial_sync": True,
              "last_sync_finished": "2021-03-30T19:55:18Z"}, "initial_sync", False, False),
        ({"status": "DONE", "last_sync_result": "DONE", "is_initial_sync": True,
              "last_sync_finished": "2021-03-30T19:55:18Z"}, "initial_sync", False, False),
        ({"status": "SYNCING", "is_initial_sync": False}, "initial_sync", False, False),
        # A routine re-sync after a good one: ready and fresh.
        ({"status": "SYNCING", "last_sync_result": "DONE", "is_initial_sync": False,
              "last_sync_finished": "x"}, "syncing", True, True),
        ({"status": "SYNCING", "last_sync_result": "FAILED", "last_sync_finished": "x"},
         "syncing", True, False),
        ({"status": "DONE", "last_sync_result": "DONE", "last_sync_finished": "x"},
         "ready", True, True),
        ({"status": "PARTIALLY_SYNCED", "last_sync_result": "PARTIALLY_SYNCED",
              "last_sync_finished": "x"}, "ready", True, True),
        # Start and finish of two different syncs: the last finished one failed.
        ({"status": "DONE", "last_sync_result": "FAILED", "last_sync_finished": "x"},
         "failed", True, False),
        ({"status": "FAILED", "last_sync_result": "FAILED", "last_sync_finished": "x"},
         "failed", True, False),
        ({"status": "PAUSED", "last_sync_result": "DONE", "last_sync_finished": "x"},
         "paused", True, False),
        ({"status": "FAILED", "is_initial_sync": True}, "failed", False, False),
        ({"status": "SOMETHING_NEW", "last_sync_finished": "x"}, "unknown", True, False),
    ],
)  # fmt: skip
def test_sync_state_follows_merges_meaning_of_the_fields(
    fields: dict[str, object], phase: str, ready: bool, fresh: bool
) -> None:
    base = {"model_id": "hris.Employee", "model_name": "Employee", **fields}
    state = employee_sync_state(parse_sync_statuses([base]))
    assert (state.phase, state.ready, state.fresh) == (phase, ready, fresh)
    assert state.progress()["fresh"] is fresh
