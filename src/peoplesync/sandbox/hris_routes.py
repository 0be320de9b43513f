"""The common-model endpoints of Merge's HRIS API: `GET /<models>` and `GET /<models>/{id}`.

Lists answer `{"next", "previous", "results"}` with bare base64 cursors, ordered by
`(modified_at, id)`; see `peoplesync.sandbox.query` for parameters and `store` for the order.
Deleted records (`remote_was_deleted`) are hidden unless `include_deleted_data=true`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from peoplesync.sandbox import filters, records
from peoplesync.sandbox.catalog import (
    COMPANY,
    EMPLOYEE,
    EMPLOYMENT,
    GROUP,
    LOCATION,
    PAY_GROUP,
    TEAM,
    Catalog,
)
from peoplesync.sandbox.faults import PAGE_FAULTS, Fault
from peoplesync.sandbox.http import (
    API_PREFIX,
    NOT_FOUND,
    AccountScope,
    detail,
    json_response,
)
from peoplesync.sandbox.query import parse_list, parse_options
from peoplesync.sandbox.store import (
    START,
    Cursor,
    Entry,
    Key,
    ModelStore,
    Page,
    encode_cursor,
    paginate,
)

F = TypeVar("F")
Json = dict[str, Any]


@dataclass(frozen=True)
class ModelSpec(Generic[F]):
    path: str
    model: str
    store: Callable[[Catalog], ModelStore[F]]
    render: Callable[[Catalog, Entry[F], records.RenderOptions], Json]
    expandable: frozenset[str]
    select: Callable[[Catalog, QueryParams, bool], filters.Selection[F]]
    # `render`, already encoded where the sandbox keeps it so (a page is served, not made).
    served: Callable[[Catalog, Entry[F], records.RenderOptions], Any] | None = None


def _no_filters(_cat: Catalog, _params: QueryParams, include_deleted: bool) -> Any:
    return filters.plain_selection(include_deleted)


SPECS: tuple[ModelSpec[Any], ...] = (
    ModelSpec(
        "employees",
        EMPLOYEE,
        lambda c: c.employees,
        records.employee_json,
        records.EMPLOYEE_EXPANDS,
        filters.employee_selection,
        records.employee_fragment,
    ),
    ModelSpec(
        "employments",
        EMPLOYMENT,
        lambda c: c.employments,
        records.employment_entry_json,
        records.EMPLOYMENT_EXPANDS,
        filters.employment_selection,
    ),
    ModelSpec(
        "teams",
        TEAM,
        lambda c: c.teams,
        records.team_entry_json,
        records.TEAM_EXPANDS,
        filters.team_selection,
    ),
    ModelSpec(
        "locations",
        LOCATION,
        lambda c: c.locations,
        records.location_entry_json,
        frozenset(),
        lambda _c, params, deleted: filters.location_selection(params, deleted),
    ),
    ModelSpec(
        "groups",
        GROUP,
        lambda c: c.groups,
        records.group_entry_json,
        records.GROUP_EXPANDS,
        _no_filters,
    ),
    ModelSpec(
        "companies",
        COMPANY,
        lambda c: c.companies,
        records.company_entry_json,
        frozenset(),
        _no_filters,
    ),
    ModelSpec(
        "pay-groups",
        PAY_GROUP,
        lambda c: c.pay_groups,
        records.pay_group_entry_json,
        frozenset(),
        _no_filters,
    ),
)


def list_page(
    spec: ModelSpec[F], cat: Catalog, params: QueryParams, *, served: bool = False
) -> tuple[Page[F], Json]:
    """One page of a list endpoint, as the page and its JSON body (`served`: with the records
    as the sandbox keeps them encoded, where it does; only for `json_response`)."""
    query = parse_list(params, spec.expandable)
    selection = spec.select(cat, params, query.include_deleted)
    store = spec.store(cat)

    def walk(start: Key | None, reverse: bool) -> Iterator[Entry[F]]:
        return store.walk(start, query.window, reverse=reverse, base_slots=selection.base_slots)

    page = paginate(walk, query.cursor, query.page_size, selection.keep)
    render = spec.served if served and spec.served is not None else spec.render
    body = {
        "next": _cursor_text(page.next),
        "previous": _cursor_text(page.previous),
        "results": [render(cat, entry, query.options) for entry in page.entries],
    }
    return page, body


def _cursor_text(cursor: Cursor | None) -> str | None:
    return None if cursor is None else encode_cursor(cursor)


def broken_page(fault: Fault, body: Json, sent_cursor: str | None) -> Response:
    """Apply a page fault to a list answer (see `peoplesync.sandbox.faults`)."""
    if fault.kind == "invalid_json":
        text = json.dumps(body)
        return Response(text[: max(1, len(text) // 2)], media_type="application/json")
    if fault.kind == "repeat_cursor":
        body = body | {"next": sent_cursor or encode_cursor(START)}
    elif body["results"]:
        first = {k: v for k, v in body["results"][0].items() if k != fault.key}
        body = body | {"results": [first, *body["results"][1:]]}
    return json_response(body)


def _list_route(spec: ModelSpec[Any]) -> Callable[..., Any]:
    async def list_models(request: Request, scope: AccountScope) -> Response:
        cat, params = scope.account.catalog, request.query_params
        _page, body = list_page(spec, cat, params, served=True)
        if scope.account.page_latency_seconds > 0:  # a real Merge page takes hundreds of ms
            await asyncio.sleep(scope.account.page_latency_seconds)
        fault = scope.account.faults.take(scope.endpoint, PAGE_FAULTS)
        if fault is not None:  # a fault edits the records: as plain JSON
            return broken_page(fault, list_page(spec, cat, params)[1], params.get("cursor"))
        return json_response(body)

    list_models.__name__ = f"list_{spec.path.replace('-', '_')}"
    return list_models


def _retrieve_route(spec: ModelSpec[Any]) -> Callable[..., Any]:
    async def retrieve_model(model_id: str, request: Request, scope: AccountScope) -> Response:
        cat = scope.account.catalog
        options = parse_options(request.query_params, spec.expandable)
        slot = cat.slot(spec.model, model_id)
        entry = None if slot is None else spec.store(cat).get(slot)
        if entry is None:
            return detail(404, NOT_FOUND)
        return json_response(spec.render(cat, entry, options))

    retrieve_model.__name__ = f"retrieve_{spec.path.replace('-', '_')}"
    return retrieve_model


def build_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for spec in SPECS:
        router.add_api_route(f"/{spec.path}", _list_route(spec), methods=["GET"])
        router.add_api_route(f"/{spec.path}/{{model_id}}", _retrieve_route(spec), methods=["GET"])
    return router
