"""Injected faults: each kind strikes the next N matching requests, then goes away."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from peoplesync.sandbox import SandboxAccount, SandboxServer
from tests.sandbox.helpers import Hris


def inject(sandbox: SandboxServer, company: SandboxAccount, kind: str, **options: object) -> None:
    sandbox.control.inject_fault(company.account_token, kind, **options)


def test_rate_limit_with_and_without_retry_after(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    inject(sandbox, company, "rate_limit", retry_after=2)
    limited = hris.get("/employees")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert "throttled" in limited.json()["detail"]
    assert hris.get("/employees").status_code == 200
    inject(sandbox, company, "rate_limit", retry_after=None)
    bare = hris.get("/employees")
    assert bare.status_code == 429
    assert "Retry-After" not in bare.headers


def test_server_errors_last_exactly_count_requests(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    inject(sandbox, company, "error", status=503, count=2)
    codes = [hris.get("/employees").status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_a_fault_for_one_endpoint_spares_the_others(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    inject(sandbox, company, "error", status=500, endpoint="employees")
    assert hris.get("/sync-status").status_code == 200
    assert hris.get("/employees").status_code == 500


def test_slow_answers_trip_a_client_timeout(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    inject(sandbox, company, "slow", delay_seconds=0.4)
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        hris.http.get("/employees", timeout=0.1)
    assert time.perf_counter() - started < 0.4
    inject(sandbox, company, "slow", delay_seconds=0.2)
    started = time.perf_counter()
    assert hris.get("/employees").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_invalid_json_page(sandbox: SandboxServer, company: SandboxAccount, hris: Hris) -> None:
    inject(sandbox, company, "invalid_json")
    broken = hris.get("/employees")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert hris.get("/employees").json()["results"]


def test_a_next_cursor_that_repeats(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    first = hris.json("/employees")
    inject(sandbox, company, "repeat_cursor", count=2)
    second = hris.json("/employees", cursor=first["next"])
    assert second["next"] == first["next"]
    restarted = hris.json("/employees")
    assert restarted["next"] != first["next"]  # a first page loops back to the start
    assert hris.json("/employees", cursor=restarted["next"])["results"] == first["results"]


def test_a_record_missing_a_required_key(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    inject(sandbox, company, "missing_key")
    page = hris.json("/employees")
    assert "id" not in page["results"][0]
    assert "id" in page["results"][1]
    inject(sandbox, company, "missing_key", key="work_email")
    assert "work_email" not in hris.json("/employees")["results"][0]


def test_a_per_minute_rate_limit(
    sandbox: SandboxServer, company: SandboxAccount, hris: Hris
) -> None:
    sandbox.control.patch_account(company.account_token, rate_limit_per_minute=3)
    codes = [hris.get("/employees").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    sandbox.control.patch_account(company.account_token, rate_limit_per_minute=None)
    assert hris.get("/employees").status_code == 200


def test_clearing_faults(sandbox: SandboxServer, company: SandboxAccount, hris: Hris) -> None:
    inject(sandbox, company, "error", count=5)
    assert sandbox.control.account(company.account_token)["pending_faults"] == 5
    sandbox.control.clear_faults(company.account_token)
    assert hris.get("/employees").status_code == 200
