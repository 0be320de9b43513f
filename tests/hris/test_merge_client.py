"""The Merge client at the transport seam (httpx.MockTransport): one exact answer per test."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import httpx
import pytest

from peoplesync.core.issues import Issue
from peoplesync.errors import (
    ProviderProtocolError,
    ReconnectNeededError,
    SourceError,
    SourceUnavailableError,
)
from peoplesync.sources.merge import fetch
from peoplesync.sources.merge.client import MergeClient, RetryPolicy, retry_after_seconds
from peoplesync.sources.merge.mapping import map_employee, provided_fields
from peoplesync.sources.merge.status import employee_sync_state, parse_sync_statuses

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, sleeps: list[float] | None = None) -> MergeClient:
    return MergeClient(
        "https://merge.test/api",
        "KEY-123",
        "ACCT-456",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_retries=3, base_delay=1.0, max_delay=4.0),
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
    )


def page(results: list[dict[str, object]], next_cursor: str | None = None) -> httpx.Response:
    return httpx.Response(200, json={"next": next_cursor, "previous": None, "results": results})


def test_headers_and_parameters_of_an_employee_walk() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cursor = request.url.params.get("cursor")
        return page(
            [{"id": f"e{cursor or 0}"}],
            None if cursor == "c2" else f"c{int((cursor or 'c0')[1:]) + 1}",
        )

    since = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    with client(handler) as merge:
        pages = list(merge.iter_employee_pages(modified_after=since))
    assert [p[0]["id"] for p in pages] == ["e0", "ec1", "ec2"]
    first = seen[0]
    assert first.headers["Authorization"] == "Bearer KEY-123"
    assert first.headers["X-Account-Token"] == "ACCT-456"
    assert first.url.path == "/api/hris/v1/employees"
    params = dict(first.url.params)
    assert params["page_size"] == "100"
    assert params["include_deleted_data"] == "true"
    assert params["modified_after"] == "2026-11-24T09:30:00Z"
    expanded = set(params["expand"].split(","))
    assert expanded >= {"team", "groups", "employments"}
    assert "manager" not in expanded  # its id is in the record as it is: no Employee expanded
    later = dict(seen[1].url.params)
    assert {k: v for k, v in later.items() if k != "cursor"} == params  # only the cursor moves


def test_a_repeating_cursor_is_a_protocol_error() -> None:
    with (
        client(lambda r: page([{"id": "a"}], "same")) as merge,
        pytest.raises(ProviderProtocolError, match="same page cursor twice"),
    ):
        list(merge.iter_employee_pages())


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, content=b"<html>oops"), "not JSON"),
        (httpx.Response(200, json={"next": None}), "no list of results"),
        (httpx.Response(200, json={"next": None, "results": [{"name": "x"}]}), "record 1"),
    ],
)
def test_broken_pages_say_what_is_wrong(response: httpx.Response, message: str) -> None:
    with client(lambda r: response) as merge, pytest.raises(ProviderProtocolError, match=message):
        list(merge.iter_employee_pages())


def test_429_waits_for_retry_after() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), page([{"id": "a"}])])
    sleeps: list[float] = []
    with client(lambda r: next(answers), sleeps) as merge:
        assert len(list(merge.iter_employee_pages())) == 1
    assert sleeps == [7.0]


def test_server_errors_back_off_capped_then_give_up() -> None:
    sleeps: list[float] = []
    with (
        client(lambda r: httpx.Response(502), sleeps) as merge,
        pytest.raises(SourceUnavailableError, match="after 4 tries") as raised,
    ):
        list(merge.iter_employee_pages())
    assert raised.value.transient
    assert len(sleeps) == 3
    assert all(0.5 <= s <= 4.0 for s in sleeps)
    assert sleeps[2] >= 2.0  # grew: 1-2 s, then 2-4 s (capped at 4)


def test_timeouts_are_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return page([{"id": "a"}])

    with client(handler) as merge:
        assert list(merge.iter_employee_pages()) == [[{"id": "a"}]]
    assert calls["n"] == 2


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_mean_reconnect(status: int) -> None:
    body = {"detail": "Invalid token."}
    with (
        client(lambda r: httpx.Response(status, json=body)) as merge,
        pytest.raises(ReconnectNeededError, match="Reconnect Justworks") as raised,
    ):
        list(merge.iter_employee_pages())
    assert "KEY-123" not in str(raised.value)
    assert "ACCT-456" not in str(raised.value)


def test_other_client_errors_are_clear_and_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404, json={"detail": "Not found."})

    with client(handler) as merge, pytest.raises(SourceError, match=r"HTTP 404: Not found\."):
        merge.account_details()
    assert len(calls) == 1


def test_link_token_and_public_token_exchange_use_the_api_key_only() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/link-token"):
            assert json.loads(request.content)["categories"] == ["hris"]
            return httpx.Response(200, json={"link_token": "lt-1"})
        return httpx.Response(
            200,
            json={
                "account_token": "acct-9",
                "integration": {"name": "Justworks", "slug": "justworks"},
                "id": "la-1",
            },
        )

    with MergeClient(
        "https://merge.test/api", "KEY", None, transport=httpx.MockTransport(handler)
    ) as merge:
        assert merge.create_link_token("acct-1", "Acme", "hr@acme.example") == "lt-1"
        exchanged = merge.exchange_public_token("pub-1")
    assert exchanged.account_token == "acct-9"
    assert "acct-9" not in repr(exchanged)
    assert all("X-Account-Token" not in r.headers for r in seen)
    assert seen[1].url.path == "/api/hris/v1/account-token/pub-1"


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None


def test_mapping_keeps_calendar_dates_and_drops_redacted_fields() -> None:
    raw = {
        "id": "m1",
        "remote_id": "jw-7",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "display_full_name": None,
        "work_email": " ada@acme.example ",
        "employee_number": "7",
        "date_of_birth": "1990-10-10T00:00:00Z",
        "start_date": "2020-10-10T00:00:00+00:00",
        "termination_date": "2026-01-01T00:00:00-08:00",  # 08:00 UTC on Jan 1: still Jan 1
        "manager": {"id": "m0", "first_name": "Boss"},
        "team": {"name": "Platform"},
        "work_location": "loc-uuid-not-expanded",
        "employments": [
            {
                "job_title": "Engineer",
                "employment_type": "FULL_TIME",
                "effective_date": "2020-01-01",
            },
            {
                "job_title": "Staff Engineer",
                "employment_type": "FULL_TIME",
                "effective_date": "2024-01-01",
            },
        ],
        "gender": "FEMALE",
        "remote_was_deleted": False,
    }
    mapped = map_employee(raw, redacted=frozenset({"Gender"}))
    assert mapped is not None
    assert (mapped.name, mapped.email, mapped.employee_id) == (
        "Ada Lovelace",
        "ada@acme.example",
        "7",
    )
    assert (mapped.birth_date, mapped.start_date) == (date(1990, 10, 10), date(2020, 10, 10))
    assert mapped.end_date == date(2026, 1, 1)
    assert mapped.manager_source_id == "m0"
    assert mapped.location == "employee jw-7"
    assert mapped.demographics == {
        "Team": "Platform",
        "Job Title": "Staff Engineer",
        "Employment Type": "Full time",
    }
    hidden = map_employee(raw, redacted=frozenset({"birth_date"}))
    assert hidden is not None
    assert hidden.birth_date is None
    assert map_employee({**raw, "remote_was_deleted": True}) is None


def test_a_date_that_is_not_a_date_names_the_employee_and_field() -> None:
    issues: list[Issue] = []
    mapped = map_employee(
        {"id": "x", "remote_id": "jw-1", "start_date": "last tuesday"}, issues=issues
    )
    assert mapped is not None
    assert mapped.start_date is None
    assert [(i.location, i.field, i.blocking) for i in issues] == [
        ("employee jw-1", "start_date", True)
    ]
    assert "'last tuesday' is not a date" in issues[0].message


def test_supported_fields_decide_what_is_provided() -> None:
    assert provided_fields(["work_email", "first_name", "manager"]) == {"email", "name", "manager"}
    assert "birth_date" in provided_fields(None)


def test_sync_status_phases() -> None:
    def state(**fields: object) -> str:
        base = {"model_id": "hris.Employee", "model_name": "Employee", **fields}
        return employee_sync_state(parse_sync_statuses([base])).phase

    assert state(status="SYNCING", is_initial_sync=True) == "initial_sync"
    assert state(status="SYNCING", last_sync_finished="2026-11-01T00:00:00Z") == "syncing"
    assert state(status="DONE", last_sync_finished="2026-11-01T00:00:00Z") == "ready"
    assert state(status="PARTIALLY_SYNCED", last_sync_finished="x") == "ready"
    assert state(status="FAILED", last_sync_finished="x") == "failed"
    assert state(status="PAUSED", last_sync_finished="x") == "paused"
    assert state(status="SOMETHING_NEW", last_sync_finished="x") == "unknown"


def test_freshness_is_the_last_finished_sync_not_the_status_of_the_moment() -> None:
    def freshness(**fields: object) -> str:
        base = {"model_id": "hris.Employee", "model_name": "Employee", **fields}
        return str(employee_sync_state(parse_sync_statuses([base])).progress()["freshness"])

    done = {"last_sync_finished": "2026-11-01T00:00:00Z", "is_initial_sync": False}
    assert freshness(status="SYNCING", last_sync_result="DONE", **done) == "DONE"
    assert freshness(status="SYNCING", last_sync_result="PARTIALLY_SYNCED", **done) == (
        "PARTIALLY_SYNCED"
    )
    assert freshness(status="DONE", last_sync_result="FAILED", **done) == "FAILED"
    assert freshness(status="PAUSED", last_sync_result="DONE", **done) == "PAUSED"
    # The first sync: `is_initial_sync`, or no `last_sync_finished` yet, whatever the status.
    assert freshness(status="DONE", last_sync_result="DONE", is_initial_sync=True) == "SYNCING"
    assert freshness(status="DONE", last_sync_result="DONE") == "SYNCING"


def test_a_fetch_sweeps_young_garbage_but_never_rescans_the_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the records pile up, the collector makes no full pass (each would scan them all
    again), yet sweeps its young generations every few pages."""
    monkeypatch.setattr(fetch, "YOUNG_SWEEP_PAGES", 5)

    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params.get("cursor") or 0)
        people: list[dict[str, object]] = [
            {"id": f"e{n}-{i}", "remote_id": f"jw-{n}-{i}", "last_name": "Lee"} for i in range(3)
        ]
        return page(people, None if n == 24 else str(n + 1))

    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with client(handler) as merge:
            fetched = fetch.fetch_employees(merge, modified_after=None)
    finally:
        gc.callbacks.remove(seen)
    assert fetched.pages == 25
    assert len(fetched.records) == 75
    assert collections == [1, 1, 1, 1, 1]  # after pages 5, 10, 15, 20 and 25: young ones only
