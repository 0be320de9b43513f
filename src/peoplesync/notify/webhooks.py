"""Outgoing webhooks: an account's endpoints hear "run finished", signed with HMAC-SHA256.

    POST <url>
    Content-Type: application/json
    X-Peoplesync-Event: run.finished
    X-Peoplesync-Delivery: <delivery id>
    X-Peoplesync-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>

Each endpoint has its own secret, shown once when the endpoint is added and stored encrypted.
The body is written once, in the unit of work that finished the run, so every retry sends (and
signs) the same bytes. It carries the run's state and counts, never a person's data. A delivery
is retried with backoff on a timeout, a connection error, 408, 429 or a 5xx; another 4xx fails it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from peoplesync.crypto import SecretBox
from peoplesync.errors import ConflictError, InputError, NotFoundError, PeoplesyncError
from peoplesync.store.db import unit_of_work
from peoplesync.store.models import Account, SyncRun, WebhookDelivery, WebhookEndpoint

log = structlog.get_logger(__name__)

RUN_FINISHED = "run.finished"
EVENTS = frozenset({RUN_FINISHED})
SIGNATURE_HEADER = "X-Peoplesync-Signature"
TIMEOUT_SECONDS = 10.0
RETRY_STATUSES = frozenset({408, 429})


class WebhookUnavailableError(PeoplesyncError):
    """The endpoint did not take the delivery now; it is retried."""

    http_status = 502
    code = "webhook_unavailable"
    transient = True


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    id: int
    url: str
    secret: str  # shown once: the receiver needs it to check signatures


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def add_endpoint(
    session: Session,
    account: Account,
    url: str,
    *,
    box: SecretBox,
    now: datetime,
    events: frozenset[str] = EVENTS,
) -> NewEndpoint:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InputError(f"'{url}' is not an http(s) URL.", field="url")
    unknown = events - EVENTS
    if unknown:
        raise InputError(f"Unknown webhook events: {', '.join(sorted(unknown))}.", field="events")
    secret = secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        account_id=account.id,
        url=url,
        secret_encrypted=box.seal(secret),
        events=sorted(events),
        active=True,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(endpoint)
    except IntegrityError:
        raise ConflictError(f"This account already sends webhooks to {url}.") from None
    return NewEndpoint(endpoint.id, url, secret)


def remove_endpoint(session: Session, account: Account, endpoint_id: int) -> None:
    endpoint = session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.account_id == account.id
        )
    )
    if endpoint is None:
        raise NotFoundError(f"There is no webhook {endpoint_id} in this account.")
    session.delete(endpoint)


def list_endpoints(session: Session, account_id: int) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.account_id == account_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def run_payload(run: SyncRun) -> dict[str, object]:
    """What a receiver learns of a finished run: no person's data, only states and counts."""
    return {
        "id": run.id,
        "account_id": run.account_id,
        "state": run.state,
        "trigger": run.trigger,
        "source": run.source_name or run.source_kind,
        "blocked_reason": run.blocked_reason,
        "error": run.error,
        "counts": run.counts,
        "findings": [{"reason": f.get("reason"), "code": f.get("code")} for f in run.findings],
        "confirmed": bool(run.confirmations),
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def queue_run_finished(session: Session, run: SyncRun, *, now: datetime) -> list[int]:
    """A pending delivery per active endpoint of the run's account; returns their ids."""
    endpoints = [
        e for e in list_endpoints(session, run.account_id) if e.active and RUN_FINISHED in e.events
    ]
    ids = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(
            account_id=run.account_id,
            endpoint_id=endpoint.id,
            event=RUN_FINISHED,
            body="",
            status="pending",
            attempts=0,
            created_at=now,
        )
        session.add(delivery)
        session.flush()
        body = {
            "event": RUN_FINISHED,
            "delivery_id": delivery.id,
            "created_at": now.isoformat(),
            "run": run_payload(run),
        }
        delivery.body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        ids.append(delivery.id)
    return ids


def deliver_webhook(
    factory: sessionmaker[Session],
    box: SecretBox,
    delivery_id: int,
    *,
    clock: Callable[[], datetime],
    transport: httpx.BaseTransport | None = None,
    last_attempt: bool = True,
) -> str:
    """POST one pending delivery; returns its status afterwards (raises to be retried)."""
    with unit_of_work(factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return delivery.status if delivery else "missing"
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or not endpoint.active:
            delivery.status = "failed"
            delivery.error = "The endpoint was removed or switched off."
            return delivery.status
        url, secret, body = endpoint.url, box.open(endpoint.secret_encrypted), delivery.body
    raw = body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "peoplesync-webhooks",
        "X-Peoplesync-Event": RUN_FINISHED,
        "X-Peoplesync-Delivery": str(delivery_id),
        SIGNATURE_HEADER: sign(secret, raw),
    }
    status_code: int | None = None
    error: str | None
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS) as client:
            status_code = client.post(url, content=raw, headers=headers).status_code
    except httpx.HTTPError as err:
        error = f"{type(err).__name__}: {err}"[:500]
        retry = True
    else:
        error = None if status_code < 300 else f"HTTP {status_code}"
        retry = status_code >= 500 or status_code in RETRY_STATUSES
    state = "delivered" if error is None else "pending" if retry and not last_attempt else "failed"
    _record(factory, delivery_id, state=state, status_code=status_code, error=error, now=clock())
    log.info("notify.webhook.attempt", delivery_id=delivery_id, state=state, status=status_code)
    if state == "pending":
        raise WebhookUnavailableError(f"Webhook delivery {delivery_id} failed: {error}.")
    return state


def _record(
    factory: sessionmaker[Session],
    delivery_id: int,
    *,
    state: str,
    status_code: int | None,
    error: str | None,
    now: datetime,
) -> None:
    with unit_of_work(factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        delivery.status = state
        delivery.last_status = status_code
        delivery.error = error
        if state == "delivered":
            delivery.delivered_at = now
