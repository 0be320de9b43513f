"""Query parameters of Merge's list and retrieve endpoints, parsed the way DRF would.

* `page_size`: default 30; above 100 it is clamped to 100; not a positive integer: the default.
* `cursor`: an opaque cursor from `next`/`previous`; one that does not decode is a 404
  `{"detail": "Invalid cursor"}` (DRF's answer).
* Timestamps (`modified_after`, `modified_before`, `created_after`, `created_before`, and the HR
  date filters): ISO 8601 with `Z` or `+HH:MM` and optional microseconds; a naive value is UTC.
  All bounds are **strict**: `modified_after=T` returns records with `modified_at > T`,
  `modified_before=T` those with `modified_at < T` (clients should overlap their windows).
* Booleans: `true`/`false` (also `True`, `1`, `0`).
* `expand`: comma-separated and/or repeated (`expand=manager,team&expand=groups`).

A malformed value is a 400 with DRF's field-error body, `{"<param>": ["<message>"]}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from peoplesync.sandbox.ids import to_micros
from peoplesync.sandbox.records import RenderOptions
from peoplesync.sandbox.store import Cursor, Window, decode_cursor

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
_TRUE = {"true", "True", "1"}
_FALSE = {"false", "False", "0"}


class QueryError(Exception):
    """A 400 with `body` (DRF field errors) or a 404 for a cursor that does not decode."""

    def __init__(self, status: int, body: dict[str, object]) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body


def field_error(param: str, message: str) -> QueryError:
    return QueryError(400, {param: [message]})


@dataclass(frozen=True)
class ListQuery:
    cursor: Cursor | None
    page_size: int
    window: Window
    include_deleted: bool
    options: RenderOptions


def parse_list(params: QueryParams, expandable: frozenset[str]) -> ListQuery:
    return ListQuery(
        cursor=_cursor(params.get("cursor")),
        page_size=_page_size(params.get("page_size")),
        window=Window(
            modified_after=micros_param(params, "modified_after"),
            modified_before=micros_param(params, "modified_before"),
            created_after=micros_param(params, "created_after"),
            created_before=micros_param(params, "created_before"),
        ),
        include_deleted=bool_param(params, "include_deleted_data"),
        options=parse_options(params, expandable),
    )


def parse_options(params: QueryParams, expandable: frozenset[str]) -> RenderOptions:
    origins = csv_param(params, "show_enum_origins") | csv_param(params, "remote_fields")
    return RenderOptions(
        expand=_expand(params, expandable),
        remote_data=bool_param(params, "include_remote_data"),
        sensitive=bool_param(params, "include_sensitive_fields"),
        enum_origins=origins,
    )


def _cursor(raw: str | None) -> Cursor | None:
    if raw is None or raw == "":
        return None
    cursor = decode_cursor(raw)
    if cursor is None:
        raise QueryError(404, {"detail": "Invalid cursor"})
    return cursor


def _page_size(raw: str | None) -> int:
    try:
        size = int(raw) if raw is not None else DEFAULT_PAGE_SIZE
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return DEFAULT_PAGE_SIZE if size <= 0 else min(size, MAX_PAGE_SIZE)


def csv_param(params: QueryParams, name: str) -> frozenset[str]:
    return frozenset(v for raw in params.getlist(name) for v in raw.split(",") if v)


def _expand(params: QueryParams, expandable: frozenset[str]) -> frozenset[str]:
    wanted = csv_param(params, "expand")
    unknown = sorted(wanted - expandable)
    if unknown:
        raise field_error(
            "expand", f"Select a valid choice. {unknown[0]} is not one of the available choices."
        )
    return wanted


def bool_param(params: QueryParams, name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise field_error(name, "Must be a valid boolean.")


def parse_datetime(raw: str) -> datetime | None:
    """ISO 8601 (`Z`, offsets, microseconds, or a bare date); naive means UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def datetime_param(params: QueryParams, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    moment = parse_datetime(raw)
    if moment is None:
        raise field_error(name, "Enter a valid date/time.")
    return moment


def micros_param(params: QueryParams, name: str) -> int | None:
    moment = datetime_param(params, name)
    return None if moment is None else to_micros(moment)


def choice_param(params: QueryParams, name: str, choices: Iterable[str]) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in set(choices):
        raise field_error(
            name, f"Select a valid choice. {raw} is not one of the available choices."
        )
    return raw


def uuid_param(params: QueryParams, name: str) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    text = raw.strip().lower()
    if len(text) != 36 or any(ch not in "0123456789abcdef-" for ch in text):
        raise field_error(name, "Enter a valid UUID.")
    return text
