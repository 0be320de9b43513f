"""HTTP plumbing shared by the sandbox's routes: JSON answers, Merge-style errors, auth.

Auth follows Merge: `Authorization: Bearer <api key>` on every call, plus `X-Account-Token` on
calls that touch a linked account's data. Failures are 401 `{"detail": "..."}`; the missing
account token answer is word for word Merge's. Before an account-scoped call is answered, due
scripted syncs are applied, the account's rate limit is counted, and status faults strike.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from peoplesync.sandbox.faults import STATUS_FAULTS, Fault
from peoplesync.sandbox.hr import HrChangeError
from peoplesync.sandbox.query import QueryError
from peoplesync.sandbox.state import LinkedAccount, SandboxState

API_PREFIX = "/api/hris/v1"
NO_CREDENTIALS = "Authentication credentials were not provided."
BAD_KEY = "Invalid token."
NO_ACCOUNT_TOKEN = "Account Token must be passed in as an X-Account-Token header."  # noqa: S105
BAD_ACCOUNT_TOKEN = "Invalid account token."  # noqa: S105
NOT_FOUND = "Not found."


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = orjson.dumps(body)  # compact, UTF-8; splices in records encoded beforehand
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def detail(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return json_response({"detail": text}, status, headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, err: ApiError) -> Response:
        return detail(err.status, err.detail, err.headers)

    @app.exception_handler(QueryError)
    async def query_error(_request: Request, err: QueryError) -> Response:
        return json_response(err.body, err.status)

    @app.exception_handler(HrChangeError)
    async def hr_error(_request: Request, err: HrChangeError) -> Response:
        return detail(err.status, str(err))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, err: StarletteHTTPException) -> Response:
        text = NOT_FOUND if err.status_code == 404 else str(err.detail)
        return detail(err.status_code, text, dict(err.headers or {}))


def sandbox_state(request: Request) -> SandboxState:
    state = request.app.state.sandbox
    if not isinstance(state, SandboxState):
        raise TypeError("app.state.sandbox is not a SandboxState")
    return state


async def require_key(request: Request) -> SandboxState:
    """API-key-only endpoints (`/linked-accounts`, `/link-token`, `/account-token/...`)."""
    state = sandbox_state(request)
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, NO_CREDENTIALS)
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        key.strip().encode(), state.config.api_key.encode()
    ):
        raise ApiError(401, BAD_KEY)
    return state


@dataclass(frozen=True)
class Scope:
    state: SandboxState
    account: LinkedAccount
    endpoint: str  # first path segment after /api/hris/v1/, e.g. "employees"


def endpoint_of(request: Request) -> str:
    rest = request.url.path.removeprefix(API_PREFIX).strip("/")
    return rest.split("/", 1)[0]


async def require_account(request: Request) -> Scope:
    state = await require_key(request)
    token = request.headers.get("x-account-token")
    if not token:
        raise ApiError(401, NO_ACCOUNT_TOKEN)
    account = state.account(token.strip())
    if account is None:
        raise ApiError(401, BAD_ACCOUNT_TOKEN)
    state.advance()
    wait = state.limited(account)
    if wait:
        raise ApiError(429, _throttled(wait), {"Retry-After": str(wait)})
    endpoint = endpoint_of(request)
    fault = account.faults.take(endpoint, STATUS_FAULTS)
    if fault is not None:
        await _strike(fault)
    return Scope(state, account, endpoint)


def _throttled(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return f"Request was throttled. Expected available in {seconds} {unit}."


async def _strike(fault: Fault) -> None:
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_seconds)
    elif fault.kind == "rate_limit":
        wait = fault.retry_after
        headers = {} if wait is None else {"Retry-After": str(wait)}
        raise ApiError(429, _throttled(wait or 1) if wait else "Request was throttled.", headers)
    else:
        raise ApiError(fault.status, f"Injected fault: HTTP {fault.status}.")


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body; a 400 `{"detail"}` when it is not one."""
    try:
        body = await request.json()
    except ValueError:
        raise QueryError(400, {"detail": "JSON parse error."}) from None
    if not isinstance(body, dict):
        raise QueryError(400, {"detail": "Expected a JSON object."})
    return body


AccountScope = Annotated[Scope, Depends(require_account)]
KeyOnly = Annotated[SandboxState, Depends(require_key)]
