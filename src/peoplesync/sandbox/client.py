"""A typed client of the sandbox's control API (see `peoplesync.sandbox.control_routes`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

Json = dict[str, Any]


class SandboxControlError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"sandbox control call failed with HTTP {status}: {body}")
        self.status = status


@dataclass(frozen=True)
class SandboxAccount:
    account_token: str
    linked_account_id: str
    seed: int
    size: int
    company_name: str
    domain: str


class SandboxControl:
    """`SandboxControl(url)` where `url` is the sandbox root (not the `/api` base URL)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=f"{url.rstrip('/')}/control", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: Json | None = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.is_error:
            raise SandboxControlError(response.status_code, response.text)
        return response.json()

    def create_company(
        self,
        *,
        seed: int = 1,
        size: int = 200,
        initial_sync_seconds: float = 3.0,
        end_user_origin_id: str | None = None,
        organization_name: str | None = None,
        integration: str | None = None,
        quirks: bool | Iterable[str] | None = None,
        plan: str | None = None,
        rate_limit_per_minute: int | None = None,
        rate_window_seconds: float | None = None,
        page_latency_seconds: float | None = None,
        sync_interval_seconds: float | None = None,
        precompute_expand: Iterable[str] | None = None,
    ) -> SandboxAccount:
        """A linked account over the `(seed, size)` company. `integration`: justworks, bamboohr
        or hibob; `quirks`: True for all or their names (`peoplesync.sandbox.quirks`); `plan`
        (launch, professional, enterprise) or `rate_limit_per_minute`: its request budget."""
        body = {
            "seed": seed,
            "size": size,
            "initial_sync_seconds": initial_sync_seconds,
            "end_user_origin_id": end_user_origin_id,
            "organization_name": organization_name,
            "integration": integration,
            "quirks": quirks if quirks is None or isinstance(quirks, bool) else list(quirks),
            "plan": plan,
            "rate_limit_per_minute": rate_limit_per_minute,
            "rate_window_seconds": rate_window_seconds,
            "page_latency_seconds": page_latency_seconds,
            "precompute_expand": None if precompute_expand is None else list(precompute_expand),
            "sync_interval_seconds": sync_interval_seconds,
        }
        found = self._call("POST", "/companies", {k: v for k, v in body.items() if v is not None})
        return SandboxAccount(
            found["account_token"],
            found["linked_account_id"],
            found["seed"],
            found["size"],
            found["company_name"],
            found["domain"],
        )

    def account(self, token: str) -> Json:
        result: Json = self._call("GET", f"/accounts/{token}")
        return result

    def patch_account(self, token: str, **fields: Any) -> Json:
        result: Json = self._call("PATCH", f"/accounts/{token}", fields)
        return result

    def hire(self, token: str, **fields: Any) -> Json:
        result: Json = self._call("POST", f"/accounts/{token}/employees", _dates(fields))
        return result

    def update(self, token: str, employee_id: str, **fields: Any) -> Json:
        return self._employee(token, employee_id, "", _dates(fields), method="PATCH")

    def terminate(self, token: str, employee_id: str, termination_date: date | None = None) -> Json:
        return self._employee(
            token, employee_id, "/terminate", _dates({"termination_date": termination_date})
        )

    def rehire(self, token: str, employee_id: str, start_date: date | None = None) -> Json:
        return self._employee(token, employee_id, "/rehire", _dates({"start_date": start_date}))

    def rename(
        self,
        token: str,
        employee_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Json:
        names = {"first_name": first_name, "last_name": last_name}
        return self._employee(token, employee_id, "/rename", {k: v for k, v in names.items() if v})

    def change_email(self, token: str, employee_id: str, work_email: str) -> Json:
        return self._employee(token, employee_id, "/email", {"work_email": work_email})

    def set_preferred_name(self, token: str, employee_id: str, preferred_name: str | None) -> Json:
        body = {"preferred_name": preferred_name}
        return self._employee(token, employee_id, "/preferred-name", body)

    def move_manager(self, token: str, employee_id: str, manager_id: str | None) -> Json:
        return self._employee(token, employee_id, "/manager", {"manager_id": manager_id})

    def delete(self, token: str, employee_id: str) -> Json:
        return self._employee(token, employee_id, "/delete", None)

    def _employee(
        self, token: str, employee_id: str, action: str, body: Json | None, method: str = "POST"
    ) -> Json:
        result: Json = self._call(
            method, f"/accounts/{token}/employees/{employee_id}{action}", body
        )
        return result

    def swap_emails(self, token: str, first_id: str, second_id: str) -> list[Json]:
        body = {"first_id": first_id, "second_id": second_id}
        result: list[Json] = self._call("POST", f"/accounts/{token}/swap-emails", body)
        return result

    def churn(self, token: str, count: int, *, seed: int = 1) -> list[str]:
        """Change `count` employees at random; returns their ids."""
        result = self._call("POST", f"/accounts/{token}/churn", {"count": count, "seed": seed})
        return [str(merge_id) for merge_id in result["ids"]]

    def set_sync_status(self, token: str, status: str, **options: Any) -> list[Json]:
        body = {"status": status, **options}
        result: list[Json] = self._call("POST", f"/accounts/{token}/sync-status", body)
        return result

    def script_next_sync(
        self, token: str, result: str, *, status: str | None = None, model_name: str | None = None
    ) -> Json:
        """How the next periodic sync (or resync) ends: `last_sync_result` = `result`, and
        `status` (default: the result) what the model shows afterwards."""
        body = {"result": result, "status": status, "model_name": model_name}
        found: Json = self._call("POST", f"/accounts/{token}/next-sync", body)
        return found

    def inject_fault(self, token: str, kind: str, **options: Any) -> Json:
        """Fault kinds: rate_limit, error, slow, invalid_json, repeat_cursor, missing_key."""
        result: Json = self._call("POST", f"/accounts/{token}/faults", {"kind": kind, **options})
        return result

    def clear_faults(self, token: str) -> Json:
        result: Json = self._call("DELETE", f"/accounts/{token}/faults")
        return result

    def register_webhook(
        self,
        token: str | None,
        url: str,
        key: str,
        *,
        events: Iterable[str] | None = None,
        padding: bool = False,
        retry_delays: Iterable[float] = (1.0, 2.0),
    ) -> Json:
        """One account's webhook; with `token=None`, the organization's (every account's)."""
        body = {
            "url": url,
            "key": key,
            "events": None if events is None else list(events),
            "padding": padding,
            "retry_delays": list(retry_delays),
        }
        path = "/webhook" if token is None else f"/accounts/{token}/webhook"
        result: Json = self._call("POST", path, body)
        return result

    def send_sync_completed(self, token: str, *, is_initial_sync: bool = False) -> Json:
        body = {"is_initial_sync": is_initial_sync}
        result: Json = self._call("POST", f"/accounts/{token}/webhook/sync-completed", body)
        return result


def _dates(fields: Json) -> Json:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}
