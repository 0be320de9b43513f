"""Our own client of Merge's HRIS API, on httpx (Merge's SDK has a proprietary licence).

Every call carries `Authorization: Bearer <API key>`; account calls add `X-Account-Token`.
Timeouts, connection errors, 408 and 5xx are retried with capped exponential backoff and jitter;
429 waits for `Retry-After`. 401/403 mean the connection must be redone. An answer that is not
what the API promises is a `ProviderProtocolError`. Neither credential ever reaches a log line or
an error message.

Merge limits requests per linked account per minute (100, 400 or 600 by plan). A client given a
`RateBudget` paces every request it sends (retries included) under that budget with a token
bucket (`Pacer`), so it does not run into 429s at all; clients that share one linked account
(parallel cursors of one sync) share one `Pacer`.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import structlog

from peoplesync.errors import (
    ProviderProtocolError,
    ReconnectNeededError,
    SourceError,
    SourceUnavailableError,
)
from peoplesync.sources.merge.pacing import Pacer, RateBudget
from peoplesync.sources.merge.status import SyncStatus, parse_sync_statuses

__all__ = ["AccountDetails", "AccountToken", "MergeClient", "Pacer", "RateBudget", "RetryPolicy"]

log = structlog.get_logger(__name__)

MERGE_REGIONS: Mapping[str, str] = {
    "us": "https://api.merge.dev/api",
    "eu": "https://api-eu.merge.dev/api",
    "apac": "https://api-ap.merge.dev/api",
}
# The relations the mapping reads a name or a title from. Not `manager`: its id is in the record
# as it is (a uuid), and its expanded Employee was a third of a page's bytes.
EMPLOYEE_EXPAND = "team,groups,work_location,employments,company"
USER_AGENT = "peoplesync/0.1 (+https://github.com/peoplesync)"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0  # a longer Retry-After is capped (and still honoured up to it)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Capped exponential backoff with full jitter in its upper half."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0**attempt)
        return ceiling / 2 + rng.random() * ceiling / 2


@dataclass(frozen=True, slots=True)
class AccountToken:
    account_token: str = field(repr=False)
    integration_name: str | None
    integration_slug: str | None
    id: str | None  # the linked account's id: what every linked-account webhook names


RELINK_NEEDED = "RELINK_NEEDED"
MAGIC_LINK_MINUTES = 10080  # a week: Merge's longest for a Magic Link URL


@dataclass(frozen=True, slots=True)
class LinkToken:
    """`POST /link-token`: the token for Link, and a Magic Link URL when one was asked for."""

    token: str = field(repr=False)
    integration_name: str | None
    magic_link_url: str | None


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """`GET /account-details`: the linked account behind the account token."""

    id: str
    status: str  # COMPLETE, INCOMPLETE, RELINK_NEEDED, IDLE (or a status Merge adds later)
    integration: str | None  # the display name, e.g. "Justworks"
    integration_slug: str | None
    category: str | None
    end_user_origin_id: str | None
    end_user_organization_name: str | None
    end_user_email_address: str | None
    account_type: str | None
    completed_at: str | None

    @property
    def relink_needed(self) -> bool:
        """The credentials expired: only the end user going through Link again fixes it."""
        return self.status == RELINK_NEEDED

    @property
    def complete(self) -> bool:
        return self.status == "COMPLETE"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certificates verified), built once per process: building one
    loads the CA bundle, 25 ms that every sync would pay twice."""
    return httpx.create_ssl_context()


class MergeClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        account_token: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        page_size: int = 100,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        budget: RateBudget | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        """`budget` paces this client's requests; `pacer` (which wins) shares one bucket
        between the clients of one linked account."""
        self._account_token = account_token
        self._page_size = page_size
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.pacer = pacer or (None if budget is None else Pacer(budget, sleep=sleep))
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.http_seconds = 0.0  # spent on Merge's answers so far: waiting, retrying, decoding
        self.decode_seconds = 0.0  # of which decoding their JSON
        self.rate_limited_seconds = 0.0  # waited out Merge's 429s (Retry-After) so far
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=transport,
            verify=_tls_context(),
        )

    def __enter__(self) -> MergeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- calls ------------------------------------------------------------------------------

    def iter_employee_pages(
        self,
        *,
        modified_after: datetime | None = None,
        include_deleted: bool = True,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        expand: str = EMPLOYEE_EXPAND,
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of employees (of a `created_after`/`created_before` window, if given),
        following cursors; other parameters stay identical. `expand`: the relations Merge
        expands on each employee (a full walk expands fewer: sources/merge/shared.py)."""
        params: dict[str, str] = {
            "page_size": str(self._page_size),
            "expand": expand,
            "include_deleted_data": "true" if include_deleted else "false",
        }
        if modified_after is not None:
            params["modified_after"] = merge_datetime(modified_after)
        if created_after is not None:
            params["created_after"] = merge_datetime(created_after)
        if created_before is not None:
            params["created_before"] = merge_datetime(created_before)
        return self._iter_pages("hris/v1/employees", params)

    def list_objects(self, model: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every live object of one common model (`groups`, `locations`, ...), all pages."""
        query = {"page_size": str(self._page_size), **params}
        return [item for page in self._iter_pages(f"hris/v1/{model}", query) for item in page]

    def retrieve(self, model: str, object_id: str) -> dict[str, Any] | None:
        """One object of a common model by its Merge id; None when Merge has no such object."""
        try:
            body = self._get_json(f"hris/v1/{model}/{quote(object_id, safe='')}", {})
        except SourceError as err:
            if err.context.get("status") == 404:
                return None
            raise
        if not isinstance(body, dict) or not body.get("id"):
            raise ProviderProtocolError(f"Merge's {model} object {object_id} has no 'id'.")
        return body

    def _iter_pages(self, path: str, params: Mapping[str, str]) -> Iterator[list[dict[str, Any]]]:
        seen: set[str] = set()
        cursor: str | None = None
        page = 0
        while True:
            page += 1
            body = self._get_json(path, {**params, **({"cursor": cursor} if cursor else {})})
            results, cursor = _page(body, page)
            yield results
            if cursor is None:
                return
            if cursor in seen:
                raise ProviderProtocolError(
                    f"Merge returned the same page cursor twice (page {page}).",
                    hint="The provider's answer is inconsistent; run the sync again later.",
                )
            seen.add(cursor)

    def sync_status(self) -> list[SyncStatus]:
        statuses: list[SyncStatus] = []
        cursor: str | None = None
        for page in range(1, 100):
            body = self._get_json("hris/v1/sync-status", {"cursor": cursor} if cursor else {})
            results, cursor = _page(body, page, key="model_id")
            statuses.extend(parse_sync_statuses(results))
            if cursor is None:
                break
        return statuses

    def available_actions(self) -> frozenset[str] | None:
        """The Employee fields this provider supports (None: unknown, assume all)."""
        body = self._get_json("hris/v1/available-actions", {})
        if not isinstance(body, dict):
            raise ProviderProtocolError("Merge's available-actions answer is not an object.")
        for model in body.get("available_model_operations") or []:
            if isinstance(model, dict) and model.get("model_name") == "Employee":
                fields = model.get("supported_fields")
                if isinstance(fields, list) and fields:
                    return frozenset(str(f) for f in fields)
        return None

    def account_details(self) -> AccountDetails:
        """The linked account behind our token: its id (to match webhooks), status, provider."""
        body = self._get_json("hris/v1/account-details", {})
        if not isinstance(body, dict):
            raise ProviderProtocolError("Merge's account-details answer is not an object.")
        merge_id = _text(body.get("id"))
        if merge_id is None:
            raise ProviderProtocolError("Merge's account-details answer has no id.")
        return AccountDetails(
            id=merge_id,
            status=(_text(body.get("status")) or "UNKNOWN").upper(),
            integration=_text(body.get("integration")),
            integration_slug=_text(body.get("integration_slug")),
            category=_text(body.get("category")),
            end_user_origin_id=_text(body.get("end_user_origin_id")),
            end_user_organization_name=_text(body.get("end_user_organization_name")),
            end_user_email_address=_text(body.get("end_user_email_address")),
            account_type=_text(body.get("account_type")),
            completed_at=_text(body.get("completed_at")),
        )

    def delete_account(self) -> None:
        """Merge's disconnect: the linked account is deleted and its token stops working."""
        started = time.perf_counter()
        try:
            self._send("POST", "hris/v1/delete-account", params=None, json=None, account=True)
        finally:
            self.http_seconds += time.perf_counter() - started

    def create_link_token(
        self,
        end_user_origin_id: str,
        organization_name: str,
        email: str,
        *,
        integration: str | None = "justworks",
    ) -> str:
        """A link token for embedded Link (`integration` None: Merge's picker)."""
        return self.create_link(end_user_origin_id, organization_name, email, integration).token

    def create_link(
        self,
        end_user_origin_id: str,
        organization_name: str,
        email: str,
        integration: str | None,
        *,
        magic: bool = False,
    ) -> LinkToken:
        """`POST /link-token`; `magic` asks for a Magic Link URL to send the end user."""
        body: dict[str, Any] = {
            "end_user_origin_id": end_user_origin_id,
            "end_user_organization_name": organization_name,
            "end_user_email_address": email,
            "categories": ["hris"],
        }
        if integration:
            body["integration"] = integration
        if magic:
            body |= {"should_create_magic_link_url": True, "link_expiry_mins": MAGIC_LINK_MINUTES}
        found = self._request_json("POST", "hris/v1/link-token", json=body, account=False)
        token = found.get("link_token") if isinstance(found, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderProtocolError("Merge's link-token answer has no link_token.")
        magic_url = _text(found.get("magic_link_url"))
        if magic and magic_url is None:
            raise ProviderProtocolError("Merge's link-token answer has no magic_link_url.")
        return LinkToken(token, _text(found.get("integration_name")), magic_url)

    def exchange_public_token(self, public_token: str) -> AccountToken:
        """Link's public token -> the account token, with the linked account's id."""
        path = f"hris/v1/account-token/{quote(public_token, safe='')}"
        body = self._request_json("GET", path, account=False)
        token = body.get("account_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderProtocolError("Merge's account-token answer has no account_token.")
        integration = body.get("integration") if isinstance(body.get("integration"), dict) else {}
        return AccountToken(
            account_token=token,
            integration_name=_text(integration.get("name")),
            integration_slug=_text(integration.get("slug")),
            id=_text(body.get("id")),
        )

    # --- transport ---------------------------------------------------------------------------

    def _get_json(self, path: str, params: Mapping[str, str]) -> Any:
        return self._request_json("GET", path, params=params)

    def _request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        account: bool = True,
    ) -> Any:
        started = time.perf_counter()
        try:
            response = self._send(method, path, params=params, json=json, account=account)
            decoding = time.perf_counter()
            try:
                return orjson.loads(response.content)
            finally:
                self.decode_seconds += time.perf_counter() - decoding
        except ValueError:  # orjson.JSONDecodeError is one
            raise ProviderProtocolError(
                f"Merge answered {path} with something that is not JSON.",
                hint="The provider's answer is broken; run the sync again later.",
            ) from None
        finally:
            self.http_seconds += time.perf_counter() - started

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        account: bool,
    ) -> httpx.Response:
        headers = {}
        if account:
            if not self._account_token:
                raise ReconnectNeededError("This connection has no Merge account token.")
            headers["X-Account-Token"] = self._account_token
        attempt = 0
        while True:
            if self.pacer is not None:
                self.pacer.wait()
            try:
                response = self._http.request(
                    method, path, params=params, json=json, headers=headers
                )
            except httpx.TransportError as err:
                reason = f"{type(err).__name__} talking to Merge"
                delay = self._retry.backoff(attempt, self._rng)
            else:
                if response.is_success:
                    return response
                _raise_for_terminal(response, path)
                reason = f"HTTP {response.status_code} from Merge"
                delay = self._delay_for(response, attempt)
                if response.status_code == 429:
                    self.rate_limited_seconds += delay
            if attempt >= self._retry.max_retries:
                raise SourceUnavailableError(
                    f"Merge did not answer {path} after {attempt + 1} tries ({reason}).",
                    hint="Merge or the HRIS is having trouble; the sync can run again later.",
                )
            log.info(
                "merge.retry", path=path, attempt=attempt + 1, wait=round(delay, 2), reason=reason
            )
            self._sleep(delay)
            attempt += 1

    def _delay_for(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code == 429:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            if after is not None:
                return min(after, self._retry.max_retry_after)
        return self._retry.backoff(attempt, self._rng)


RETRYABLE = frozenset({408, 429})


def _raise_for_terminal(response: httpx.Response, path: str) -> None:
    """Raise for answers no retry can fix; return for the retryable ones (408, 429, 5xx)."""
    status = response.status_code
    if status in RETRYABLE or status >= 500:
        return
    if status in (401, 403):
        raise ReconnectNeededError(
            f"Reconnect Justworks: Merge refused our credentials (HTTP {status}).",
            hint="Reconnect Justworks from Settings > Data Integrations.",
            status=status,
        )
    raise SourceError(
        f"Merge answered {path} with HTTP {status}: {_detail(response)}",
        hint="Check the connection's settings; if it persists, reconnect Justworks.",
        status=status,
    )


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict) and isinstance(detail := body.get("detail"), str):
        return detail[:300]
    return response.reason_phrase


def _page(body: Any, page: int, *, key: str = "id") -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise ProviderProtocolError(
            f"Merge's page {page} has no list of results.",
            hint="The provider's answer is broken; run the sync again later.",
        )
    results = body["results"]
    for n, item in enumerate(results, start=1):
        if not isinstance(item, dict) or not item.get(key):
            raise ProviderProtocolError(
                f"Merge's page {page}, record {n}, has no '{key}'.",
                hint="The provider's answer is broken; run the sync again later.",
            )
    cursor = body.get("next")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise ProviderProtocolError(f"Merge's page {page} has a next cursor that is not text.")
    return results, cursor


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def merge_datetime(value: datetime) -> str:
    """An aware UTC timestamp as Merge wants it (naive datetimes are refused, not guessed)."""
    if value.tzinfo is None:
        raise ValueError("Merge timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
