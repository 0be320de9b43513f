"""The sandbox's control API: JSON, no auth, for tests, benchmarks and the demo.

Accounts
    POST  /control/companies            {"seed": 1, "size": 200, "initial_sync_seconds": 3,
                                         "end_user_origin_id"?, "organization_name"?,
                                         "email_address"?, "integration"?: "justworks" |
                                         "bamboohr" | "hibob", "quirks"?: true | ["team_null",
                                         ...], "plan"?: "launch" | "professional" |
                                         "enterprise", "rate_limit_per_minute"?: 600,
                                         "rate_window_seconds"?: 60 (tests shrink it),
                                         "page_latency_seconds"?: 0.3,
                                         "sync_interval_seconds"?: 3600,
                                         "precompute_expand"?: ["team", ...] (build the
                                         company now and encode its employees with these
                                         relations expanded: pages are then served, not made)}
                                        -> 201 {"account_token", "linked_account_id", "seed",
                                                "size", "company_name", "domain", ...}
    GET   /control/accounts/{token}     -> the account's summary
    PATCH /control/accounts/{token}     {"status"?: "RELINK_NEEDED", "rate_limit_per_minute"?: 100
                                         (null: no limit), "plan"?, "page_latency_seconds"?,
                                         "sync_seconds"?: 2}

HR changes (each moves the record's modified_at to a fresh, strictly increasing Merge time;
answers are the changed Employee as Merge serves it)
    POST  .../{token}/employees                      hire {"first_name"?, "last_name"?,
                                                     "work_email"?, "manager_id"?,
                                                     "start_date"?, "job_title"?,
                                                     "employment_type"?} -> 201
    PATCH .../{token}/employees/{id}                 any of hr.EDITABLE, by Merge field name
    POST  .../{token}/employees/{id}/terminate       {"termination_date"?: "2026-11-30"}
    POST  .../{token}/employees/{id}/rehire          {"start_date"?: "2026-12-01"}
    POST  .../{token}/employees/{id}/rename          {"first_name"?, "last_name"?}
    POST  .../{token}/employees/{id}/email           {"work_email"}
    POST  .../{token}/employees/{id}/preferred-name  {"preferred_name": "Sam" | null}
    POST  .../{token}/employees/{id}/manager         {"manager_id": "<uuid>" | null}
    POST  .../{token}/employees/{id}/delete          (remote_was_deleted = true)
    POST  .../{token}/swap-emails                    {"first_id", "second_id"} -> [two employees]
    POST  .../{token}/churn                          {"count": 1000, "seed": 1}
                                                     -> {"changed", "ids"}

Sync status, faults, webhooks
    POST  .../{token}/sync-status   {"status": "FAILED", "model_name"?: "Employee",
                                     "sync_status_reason"?, "is_initial_sync"?, "seconds"?,
                                     "last_sync_result"?: "FAILED" (default: the status)}
    POST  .../{token}/next-sync     {"result": "FAILED", "status"?: "DONE", "model_name"?}:
                                     how the next periodic sync (or resync) ends
    POST  .../{token}/faults        {"kind": "rate_limit"|"error"|"slow"|"invalid_json"|
                                     "repeat_cursor"|"missing_key", "count"?: 1, "status"?: 500,
                                     "retry_after"?: 1 (null: no header), "delay_seconds"?,
                                     "key"?: "id", "endpoint"?: "employees"}
    DELETE .../{token}/faults
    POST  .../{token}/webhook       {"url", "key", "events"?, "padding"?, "retry_delays"?}
    DELETE .../{token}/webhook
    POST  /control/webhook          the same body: the organization's webhook (Merge's dashboard
    DELETE /control/webhook         setting), used by every account without its own
    POST  .../{token}/webhook/sync-completed   send LinkedAccount.sync_completed now

(`...` is `/control/accounts`.) Unknown tokens and ids answer 404 `{"detail"}`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from peoplesync.sandbox import hr
from peoplesync.sandbox.company import MAX_SIZE, MIN_SIZE
from peoplesync.sandbox.faults import FAULT_KINDS, Fault, RateLimiter
from peoplesync.sandbox.http import ApiError, json_response, read_json_object, sandbox_state
from peoplesync.sandbox.people import Person
from peoplesync.sandbox.providers import INTEGRATIONS
from peoplesync.sandbox.quirks import Quirks
from peoplesync.sandbox.records import employee_json
from peoplesync.sandbox.state import PLANS, LinkedAccount, SandboxState
from peoplesync.sandbox.store import Entry
from peoplesync.sandbox.sync import MODELS, REASONS, STATUSES, Completed, Outcome
from peoplesync.sandbox.webhooks import DEFAULT_EVENTS, KNOWN_EVENTS, WebhookConfig

PREFIX = "/control"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCompany(_Body):
    seed: int = 1
    size: int = Field(200, ge=MIN_SIZE, le=MAX_SIZE)
    initial_sync_seconds: float = Field(3.0, ge=0)
    end_user_origin_id: str | None = None
    organization_name: str | None = None
    email_address: str | None = None
    integration: str | None = Field(None, pattern=f"^({'|'.join(INTEGRATIONS)})$")
    quirks: bool | list[str] | None = None
    plan: str | None = Field(None, pattern=f"^({'|'.join(PLANS)})$")
    rate_limit_per_minute: int | None = Field(None, ge=1)
    page_latency_seconds: float | None = Field(None, ge=0, le=30)
    rate_window_seconds: float = Field(60.0, gt=0, le=3600)  # Merge: a minute
    sync_interval_seconds: float | None = Field(None, gt=0)
    # Relations (as `expand` names them) whose employees' JSON is encoded at creation, so that
    # the first fetch is served as Merge serves its stored data (`[]`: with none expanded).
    precompute_expand: list[str] | None = None


class AccountPatch(_Body):
    status: str | None = Field(None, pattern="^(COMPLETE|INCOMPLETE|RELINK_NEEDED|IDLE)$")
    rate_limit_per_minute: int | None = Field(None, ge=1)
    plan: str | None = Field(None, pattern=f"^({'|'.join(PLANS)})$")
    page_latency_seconds: float | None = Field(None, ge=0, le=30)
    rate_window_seconds: float = Field(60.0, gt=0, le=3600)
    sync_seconds: float | None = Field(None, ge=0)


class HireBody(_Body):
    first_name: str | None = None
    last_name: str | None = None
    work_email: str | None = None
    manager_id: str | None = None
    start_date: date | None = None
    job_title: str | None = None
    employment_type: str | None = None


class Termination(_Body):
    termination_date: date | None = None


class Rehire(_Body):
    start_date: date | None = None


class SwapEmails(_Body):
    first_id: str
    second_id: str


class Churn(_Body):
    count: int = Field(ge=1, le=MAX_SIZE)
    seed: int = 1


class SyncStatusBody(_Body):
    status: str = Field(pattern=f"^({'|'.join(STATUSES)})$")
    model_name: str | None = Field(None, pattern=f"^({'|'.join(MODELS)})$")
    sync_status_reason: str | None = Field(None, pattern=f"^({'|'.join(REASONS)})$")
    is_initial_sync: bool | None = None
    seconds: float | None = Field(None, ge=0)
    last_sync_result: str | None = Field(None, pattern=f"^({'|'.join(STATUSES)})$")


class NextSyncBody(_Body):
    result: str = Field(pattern="^(DONE|FAILED|PARTIALLY_SYNCED)$")
    status: str | None = Field(None, pattern=f"^({'|'.join(STATUSES)})$")
    model_name: str | None = Field(None, pattern=f"^({'|'.join(MODELS)})$")


class FaultBody(_Body):
    kind: str = Field(pattern=f"^({'|'.join(FAULT_KINDS)})$")
    count: int = Field(1, ge=1)
    status: int = Field(500, ge=400, le=599)
    retry_after: int | None = Field(1, ge=0)
    delay_seconds: float = Field(0.0, ge=0, le=120)
    key: str = "id"
    endpoint: str | None = None


class WebhookBody(_Body):
    url: str = Field(pattern="^https?://")
    key: str = Field(min_length=1)
    events: list[str] | None = None
    padding: bool = False
    retry_delays: list[float] = Field(default_factory=lambda: [1.0, 2.0])


class SyncCompletedBody(_Body):
    is_initial_sync: bool = False


def _webhook(body: WebhookBody) -> WebhookConfig:
    events = DEFAULT_EVENTS if body.events is None else frozenset(body.events)
    unknown = sorted(events - KNOWN_EVENTS)
    if unknown:
        raise ApiError(400, f"Unknown events: {', '.join(unknown)}.")
    return WebhookConfig(body.url, body.key, events, body.padding, tuple(body.retry_delays))


def _account(request: Request, token: str) -> tuple[SandboxState, LinkedAccount]:
    state = sandbox_state(request)
    account = state.account(token)
    if account is None:
        raise ApiError(404, "No sandbox account with that token.")
    return state, account


def _quirks(value: bool | list[str]) -> Quirks:
    if isinstance(value, bool):
        return Quirks.every() if value else Quirks()
    try:
        return Quirks.named(value)
    except ValueError as err:
        raise ApiError(400, str(err)) from None


def summary(account: LinkedAccount) -> dict[str, object]:
    cat = account.catalog
    return {
        "account_token": account.token,
        "linked_account_id": account.id,
        "seed": cat.seed,
        "size": cat.company.size,
        "company_name": cat.company.facts.display_name,
        "domain": cat.company.facts.domain,
        "hired": cat.next_employee - cat.company.size,
        "changed_employees": len(cat.employees.overlay),
        "status": account.status,
        "pending_faults": sum(f.remaining for f in account.faults.faults),
        "sync_status": {name: m.status for name, m in account.sync.models.items()},
        "webhook_url": None if account.webhook is None else account.webhook.url,
        "integration": account.integration.slug,
        "quirks": cat.quirks.names(),
        "rate_limit_per_minute": None if account.limiter is None else account.limiter.per_minute,
        "rate_window_seconds": None if account.limiter is None else account.limiter.window_seconds,
        "throttled": 0 if account.limiter is None else account.limiter.throttled,
        "page_latency_seconds": account.page_latency_seconds,
        "sync_interval_seconds": account.sync.interval.total_seconds(),
    }


def _changed(
    state: SandboxState, account: LinkedAccount, entry: Entry[Person], event: str
) -> dict[str, Any]:
    body = employee_json(account.catalog, entry)
    state.emit(account, event, body)
    return body


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    _account_routes(router)
    _hr_routes(router)
    _more_hr_routes(router)
    _status_routes(router)
    return router


def _account_routes(router: APIRouter) -> None:
    @router.get("/health")
    async def health() -> Response:
        return json_response({"ok": True})

    @router.post("/companies", status_code=201)
    async def create_company(body: NewCompany, request: Request) -> Response:
        account = sandbox_state(request).create_account(
            seed=body.seed,
            size=body.size,
            initial_sync_seconds=body.initial_sync_seconds,
            origin_id=body.end_user_origin_id,
            organization_name=body.organization_name,
            email_address=body.email_address,
            integration=None if body.integration is None else INTEGRATIONS[body.integration],
            quirks=None if body.quirks is None else _quirks(body.quirks),
            rate_limit_per_minute=body.rate_limit_per_minute or PLANS.get(body.plan or ""),
            page_latency_seconds=body.page_latency_seconds,
            sync_interval_seconds=body.sync_interval_seconds,
            precompute_expand=body.precompute_expand,
        )
        if account.limiter is not None:
            account.limiter.window_seconds = body.rate_window_seconds
        sandbox_state(request).advance()
        return json_response(summary(account), 201)

    @router.get("/accounts/{token}")
    async def show_account(token: str, request: Request) -> Response:
        return json_response(summary(_account(request, token)[1]))

    @router.patch("/accounts/{token}")
    async def patch_account(token: str, body: AccountPatch, request: Request) -> Response:
        _state, account = _account(request, token)
        if body.status is not None:
            account.status = body.status
        if "rate_limit_per_minute" in body.model_fields_set or body.plan is not None:
            per_minute = body.rate_limit_per_minute or PLANS.get(body.plan or "")
            account.limiter = (
                None if per_minute is None else RateLimiter(per_minute, body.rate_window_seconds)
            )
        if body.page_latency_seconds is not None:
            account.page_latency_seconds = body.page_latency_seconds
        if body.sync_seconds is not None:
            account.sync_seconds = body.sync_seconds
            account.sync.seconds = body.sync_seconds
        return json_response(summary(account))


def _hr_routes(router: APIRouter) -> None:
    base = "/accounts/{token}/employees"

    @router.post(base, status_code=201)
    async def hire(token: str, body: HireBody, request: Request) -> Response:
        state, account = _account(request, token)
        spec = hr.Hire(**body.model_dump())
        entry = hr.hire(account.catalog, spec, state.merge_clock.tick, state.clock.now().date())
        return json_response(_changed(state, account, entry, "Employee.added"), 201)

    @router.patch(base + "/{employee_id}")
    async def update(token: str, employee_id: str, request: Request) -> Response:
        state, account = _account(request, token)
        fields = await read_json_object(request)
        entry = hr.update(account.catalog, employee_id, fields, state.merge_clock.tick)
        return json_response(_changed(state, account, entry, "Employee.changed"))

    @router.post(base + "/{employee_id}/terminate")
    async def terminate(
        token: str, employee_id: str, body: Termination, request: Request
    ) -> Response:
        state, account = _account(request, token)
        today = state.clock.now().date()
        day = body.termination_date or today
        entry = hr.terminate(account.catalog, employee_id, day, state.merge_clock.tick, today)
        return json_response(_changed(state, account, entry, "Employee.changed"))

    @router.post(base + "/{employee_id}/rehire")
    async def rehire(token: str, employee_id: str, body: Rehire, request: Request) -> Response:
        state, account = _account(request, token)
        today = state.clock.now().date()
        day = body.start_date or today
        entry = hr.rehire(account.catalog, employee_id, day, state.merge_clock.tick, today)
        return json_response(_changed(state, account, entry, "Employee.changed"))

    @router.post(base + "/{employee_id}/delete")
    async def delete(token: str, employee_id: str, request: Request) -> Response:
        state, account = _account(request, token)
        entry = hr.delete(account.catalog, employee_id, state.merge_clock.tick)
        return json_response(_changed(state, account, entry, "Employee.removed"))


_FIELD_ROUTES: dict[str, tuple[str, ...]] = {
    "rename": ("first_name", "last_name"),
    "email": ("work_email",),
    "preferred-name": ("preferred_name",),
    "manager": ("manager_id",),
}


def _more_hr_routes(router: APIRouter) -> None:
    for action, allowed in _FIELD_ROUTES.items():
        router.add_api_route(
            f"/accounts/{{token}}/employees/{{employee_id}}/{action}",
            _field_change(allowed),
            methods=["POST"],
            name=f"change_{action.replace('-', '_')}",
        )

    @router.post("/accounts/{token}/swap-emails")
    async def swap_emails(token: str, body: SwapEmails, request: Request) -> Response:
        state, account = _account(request, token)
        cat, tick = account.catalog, state.merge_clock.tick
        entries = hr.swap_emails(cat, body.first_id, body.second_id, tick)
        return json_response([_changed(state, account, e, "Employee.changed") for e in entries])

    @router.post("/accounts/{token}/churn")
    async def churn(token: str, body: Churn, request: Request) -> Response:
        state, account = _account(request, token)
        cat, today = account.catalog, state.clock.now().date()
        entries = hr.churn(cat, body.count, body.seed, state.merge_clock.tick, today)
        ids = [cat.id("employee", e.slot) for e in entries]
        return json_response({"changed": len(entries), "ids": ids})


def _field_change(allowed: tuple[str, ...]) -> Any:
    async def change(token: str, employee_id: str, request: Request) -> Response:
        state, account = _account(request, token)
        fields = await read_json_object(request)
        extra = sorted(set(fields) - set(allowed))
        if extra or not fields:
            raise ApiError(
                400, f"Send {' and/or '.join(allowed)} (got {', '.join(extra) or 'nothing'})."
            )
        entry = hr.update(account.catalog, employee_id, fields, state.merge_clock.tick)
        return json_response(_changed(state, account, entry, "Employee.changed"))

    return change


def _status_routes(router: APIRouter) -> None:
    @router.post("/accounts/{token}/sync-status")
    async def set_sync_status(token: str, body: SyncStatusBody, request: Request) -> Response:
        state, account = _account(request, token)
        done = account.sync.set_status(
            state.clock.now(),
            body.status,
            model_names=(body.model_name,) if body.model_name else MODELS,
            reason=body.sync_status_reason,
            is_initial_sync=body.is_initial_sync,
            seconds=body.seconds,
            last_sync_result=body.last_sync_result,
        )
        if done is not None:
            state.sync_completed(account, done)
        return json_response([m.to_json() for m in account.sync.models.values()])

    @router.post("/accounts/{token}/next-sync")
    async def script_next_sync(token: str, body: NextSyncBody, request: Request) -> Response:
        _state, account = _account(request, token)
        names = (body.model_name,) if body.model_name else MODELS
        account.sync.script_next(Outcome(body.result, body.status), names)
        return json_response({"scripted": list(names), "result": body.result})

    @router.post("/accounts/{token}/faults", status_code=201)
    async def add_fault(token: str, body: FaultBody, request: Request) -> Response:
        _state, account = _account(request, token)
        fields = body.model_dump()
        account.faults.add(Fault(remaining=fields.pop("count"), **fields))
        return json_response(summary(account), 201)

    @router.delete("/accounts/{token}/faults")
    async def clear_faults(token: str, request: Request) -> Response:
        _state, account = _account(request, token)
        account.faults.clear()
        return json_response(summary(account))

    @router.post("/accounts/{token}/webhook")
    async def register_webhook(token: str, body: WebhookBody, request: Request) -> Response:
        _state, account = _account(request, token)
        account.webhook = _webhook(body)
        return json_response(summary(account))

    @router.post("/webhook")
    async def register_org_webhook(body: WebhookBody, request: Request) -> Response:
        sandbox_state(request).org_webhook = _webhook(body)
        return json_response({"url": body.url})

    @router.delete("/webhook")
    async def remove_org_webhook(request: Request) -> Response:
        sandbox_state(request).org_webhook = None
        return json_response({"url": None})

    @router.delete("/accounts/{token}/webhook")
    async def remove_webhook(token: str, request: Request) -> Response:
        _state, account = _account(request, token)
        account.webhook = None
        return json_response(summary(account))

    @router.post("/accounts/{token}/webhook/sync-completed")
    async def send_sync_completed(
        token: str, body: SyncCompletedBody, request: Request
    ) -> Response:
        state, account = _account(request, token)
        state.sync_completed(account, Completed(body.is_initial_sync, account.sync.summary()))
        return json_response({"sent": account.webhook is not None})
