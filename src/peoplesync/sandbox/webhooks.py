"""Merge -> you webhooks: the envelope, the signature, and delivery with retries.

`X-Merge-Webhook-Signature` is base64url(HMAC-SHA256(key, raw body)), without `=` padding unless
the registration asks for it. Delivery is one attempt plus retries on a 5xx, a timeout or a
connection error (1 s then 2 s by default); a 4xx drops the event, as Merge does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field

import httpx
import structlog

DEFAULT_EVENTS = frozenset({"LinkedAccount.sync_completed", "LinkedAccount.linked"})
EMPLOYEE_EVENTS = frozenset({"Employee.added", "Employee.changed", "Employee.removed"})
KNOWN_EVENTS = DEFAULT_EVENTS | EMPLOYEE_EVENTS | {"LinkedAccount.deleted"}
SIGNATURE_HEADER = "X-Merge-Webhook-Signature"

log = structlog.get_logger("peoplesync.sandbox.webhooks")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    key: str
    events: frozenset[str] = DEFAULT_EVENTS
    padding: bool = False
    retry_delays: tuple[float, ...] = (1.0, 2.0)
    timeout_seconds: float = 10.0


def sign(key: str, body: bytes, *, padding: bool = False) -> str:
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    encoded = base64.urlsafe_b64encode(digest).decode()
    return encoded if padding else encoded.rstrip("=")


def envelope(event: str, url: str, account: dict[str, object], data: object) -> bytes:
    body = {
        "hook": {"id": str(uuid.uuid4()), "event": event, "target": url},
        "linked_account": account,
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False).encode()


@dataclass
class Outbox:
    """Deliveries in flight on the server's event loop (kept so they are not garbage-collected)."""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    delivered: int = 0

    def send(
        self, config: WebhookConfig, event: str, account: dict[str, object], data: object
    ) -> None:
        if event not in config.events:
            return
        body = envelope(event, config.url, account, data)
        task = asyncio.get_running_loop().create_task(self._deliver(config, event, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, config: WebhookConfig, event: str, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(config.key, body, padding=config.padding),
        }
        delays = (0.0, *config.retry_delays)
        async with httpx.AsyncClient(timeout=config.timeout_seconds) as client:
            for attempt, delay in enumerate(delays, start=1):
                await asyncio.sleep(delay)
                try:
                    response = await client.post(config.url, content=body, headers=headers)
                except httpx.HTTPError as err:
                    log.warning(
                        "sandbox.webhook.failed", hook_event=event, attempt=attempt, error=str(err)
                    )
                    continue
                if response.status_code < 500:
                    self.delivered += response.is_success
                    log.info("sandbox.webhook.sent", hook_event=event, status=response.status_code)
                    return
                log.warning(
                    "sandbox.webhook.failed",
                    hook_event=event,
                    attempt=attempt,
                    status=response.status_code,
                )
