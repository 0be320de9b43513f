"""Merge's account-level HRIS endpoints: sync status, account details, Link tokens.

* `GET /sync-status` (paginated SyncStatus), `POST /sync-status/resync` (bare array)
* `GET /account-details`, `GET /available-actions`, `POST /delete-account` (then the token is 401)
* API key only: `GET /linked-accounts`, `POST /link-token`, `GET /account-token/{public_token}`
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from peoplesync.sandbox.http import (
    API_PREFIX,
    NOT_FOUND,
    AccountScope,
    KeyOnly,
    detail,
    json_response,
    read_json_object,
)
from peoplesync.sandbox.providers import INTEGRATIONS, Integration
from peoplesync.sandbox.query import QueryError, field_error, parse_list
from peoplesync.sandbox.state import SandboxState
from peoplesync.sandbox.store import Cursor, encode_cursor

Json = dict[str, Any]
OTHER_SUPPORTED_FIELDS: dict[str, tuple[str, ...]] = {
    "Employment": ("employee", "job_title", "pay_rate", "pay_period", "pay_frequency",
                   "pay_currency", "pay_group", "flsa_status", "effective_date",
                   "employment_type"),
    "Team": ("name", "parent_team"),
    "Group": ("name", "type", "is_commonly_used_as_team"),
    "Location": ("street_1", "street_2", "city", "state", "zip_code", "country",
                 "location_type"),
    "Company": ("legal_name", "display_name", "eins"),
    "PayGroup": ("pay_group_name",),
}  # fmt: skip
LINK_REQUIRED = (
    "end_user_origin_id",
    "end_user_organization_name",
    "end_user_email_address",
    "categories",
)
ACCOUNT_FILTERS = (
    "id",
    "end_user_origin_id",
    "end_user_organization_name",
    "end_user_email_address",
    "status",
)


def offset_page(items: Sequence[Json], params: QueryParams) -> Json:
    """Paginate a short in-memory list with the same cursor envelope as the model lists."""
    query = parse_list(params, frozenset())
    start = 0 if query.cursor is None else max(query.cursor.key[1], 0)
    end = min(start + query.page_size, len(items))
    if query.cursor is not None and query.cursor.reverse:
        start, end = max(0, start - query.page_size), start
    following = encode_cursor(Cursor((0, end))) if end < len(items) else None
    earlier = encode_cursor(Cursor((0, start), reverse=True)) if start > 0 else None
    return {"next": following, "previous": earlier, "results": list(items[start:end])}


def available_actions(integration: Integration) -> Json:
    models = [("Employee", integration.employee_fields), *OTHER_SUPPORTED_FIELDS.items()]
    return {
        "integration": integration.account_integration(),
        "passthrough_available": True,
        "available_model_operations": [
            {
                "model_name": name,
                "available_operations": ["FETCH"],
                "required_post_parameters": [],
                "supported_fields": list(fields),
            }
            for name, fields in models
        ],
    }


def _link_token_body(state: SandboxState, body: Json, root: str) -> Json:
    errors = {name: ["This field is required."] for name in LINK_REQUIRED if not body.get(name)}
    if errors:
        raise QueryError(400, dict(errors))
    if "hris" not in body["categories"]:
        raise field_error("categories", "The sandbox serves the hris category only.")
    slug = body.get("integration")
    if slug is not None and slug not in INTEGRATIONS:
        known = ", ".join(INTEGRATIONS)
        raise field_error("integration", f"Unknown integration: {slug}. The sandbox plays {known}.")
    magic = body.get("should_create_magic_link_url") is True
    minutes = body.get("link_expiry_mins", 30)
    most = 10080 if magic else 720  # Merge: 30..720, or up to 10080 for a Magic Link
    if not isinstance(minutes, int) or not 30 <= minutes <= most:
        raise field_error("link_expiry_mins", f"Ensure this value is between 30 and {most}.")
    chosen = None if slug is None else INTEGRATIONS[slug]
    session = state.create_link_session(
        str(body["end_user_origin_id"]),
        str(body["end_user_organization_name"]),
        str(body["end_user_email_address"]),
        minutes,
        integration=chosen,
        magic=magic,
    )
    return {
        "link_token": session.token,
        "integration_name": None if chosen is None else chosen.name,
        "magic_link_url": f"{root}/link/m/{session.token}" if magic else None,
    }


def build_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    _account_scoped(router)
    _key_only(router)
    return router


def _account_scoped(router: APIRouter) -> None:
    @router.get("/sync-status")
    async def sync_status(request: Request, scope: AccountScope) -> Response:
        items = [m.to_json() for m in scope.account.sync.models.values()]
        return json_response(offset_page(items, request.query_params))

    @router.post("/sync-status/resync")
    async def resync(scope: AccountScope) -> Response:
        account = scope.account
        account.sync.resync(scope.state.clock.now(), account.sync_seconds)
        scope.state.advance()
        return json_response([m.to_json() for m in account.sync.models.values()])

    @router.get("/account-details")
    async def account_details(scope: AccountScope) -> Response:
        return json_response(scope.account.details_json())

    @router.get("/available-actions")
    async def actions(scope: AccountScope) -> Response:
        return json_response(available_actions(scope.account.integration))

    @router.post("/delete-account")
    async def delete_account(scope: AccountScope) -> Response:
        scope.state.delete_account(scope.account.token)
        return Response(status_code=200)


def _key_only(router: APIRouter) -> None:
    @router.get("/linked-accounts")
    async def linked_accounts(request: Request, state: KeyOnly) -> Response:
        items = [a.linked_account_json() for a in state.accounts.values()]
        for name in ACCOUNT_FILTERS:
            wanted = request.query_params.get(name)
            if wanted:
                items = [item for item in items if str(item[name]) == wanted]
        return json_response(offset_page(items, request.query_params))

    @router.post("/link-token")
    async def link_token(request: Request, state: KeyOnly) -> Response:
        body = await read_json_object(request)
        root = str(request.base_url).rstrip("/")
        return json_response(_link_token_body(state, body, root))

    @router.get("/account-token/{public_token}")
    async def account_token(public_token: str, state: KeyOnly) -> Response:
        account = state.exchange_public_token(public_token)
        if account is None:
            return detail(404, NOT_FOUND)
        return json_response(
            {
                "account_token": account.token,
                "integration": account.integration.account_integration(),
                "id": account.id,
            }
        )
