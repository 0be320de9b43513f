"""Merge -> us webhooks: `LinkedAccount.sync_completed` can start an automatic sync.

`X-Merge-Webhook-Signature` is base64url(HMAC-SHA256(key, raw body)); we compare it in constant
time, with or without `=` padding. A bad or missing signature is refused before the body is even
parsed, and starts nothing. A good one for a linked account we know, whose account has auto-sync
on, enqueues a sync with trigger "webhook" (after the caller's commit). Anything else is
acknowledged and ignored: Merge retries what we refuse, so we refuse only what we must.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from peoplesync.config import Settings
from peoplesync.errors import ConfigError, InputError, PermissionDeniedError
from peoplesync.runs.service import active_run
from peoplesync.store.effects import after_commit
from peoplesync.store.models import Account, Connection

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Merge-Webhook-Signature"
SYNC_COMPLETED = "LinkedAccount.sync_completed"


class WebhookSignatureError(PermissionDeniedError):
    """The webhook is not signed with our key: refused, nothing done (HTTP 403)."""

    code = "bad_signature"


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    action: str  # sync_enqueued, ignored
    reason: str  # why, in a few words (for the response body and the log)
    event: str | None = None
    account_id: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"action": self.action, "reason": self.reason, "event": self.event}


def expected_signature(key: str, raw_body: bytes) -> str:
    digest = hmac.new(key.encode(), raw_body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signature_ok(key: str, raw_body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    given = signature.strip().rstrip("=").encode()
    return hmac.compare_digest(given, expected_signature(key, raw_body).encode())


def handle_merge_webhook(
    raw_body: bytes,
    signature: str | None,
    *,
    session: Session,
    settings: Settings,
    enqueue_sync: Callable[[int, str], object],
) -> WebhookOutcome:
    """Verify, read and act on one delivery. `enqueue_sync(account_id, trigger)` runs after the
    caller's commit (pass `Jobs.enqueue_sync`). Raises WebhookSignatureError on a bad signature,
    InputError on a signed body that is not a Merge envelope."""
    if settings.merge_webhook_key is None:
        raise ConfigError(
            "Merge webhooks are not set up here.",
            hint="Set PEOPLESYNC_MERGE_WEBHOOK_KEY to the signature key from Merge's dashboard.",
        )
    if not signature_ok(settings.merge_webhook_key.get_secret_value(), raw_body, signature):
        log.warning("merge.webhook.refused", reason="bad_signature", size=len(raw_body))
        raise WebhookSignatureError("The webhook signature does not match.")
    envelope = _parse(raw_body)
    event = _event(envelope)
    if event != SYNC_COMPLETED:
        return _ignored("not a sync_completed event", event)
    linked = envelope.get("linked_account")
    linked_id = linked.get("id") if isinstance(linked, dict) else None
    connection = session.scalar(
        select(Connection).where(Connection.linked_account_id == str(linked_id))
    )
    if linked_id is None or connection is None:
        return _ignored("unknown linked account", event)
    account = session.get(Account, connection.account_id)
    if account is None or not account.auto_sync_enabled:
        return _ignored("auto-sync is off", event, connection.account_id)
    if active_run(session, account.id) is not None:
        return _ignored("a sync is already running", event, account.id)
    account_id = account.id
    after_commit(session, "merge_webhook.sync", lambda: enqueue_sync(account_id, "webhook"))
    log.info("merge.webhook.sync_enqueued", account_id=account_id)
    return WebhookOutcome("sync_enqueued", "Merge finished syncing", event, account_id)


def _parse(raw_body: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"The webhook body is not JSON ({err}).") from None
    if not isinstance(envelope, dict):
        raise InputError("The webhook body is not a JSON object.")
    return envelope


def _event(envelope: dict[str, Any]) -> str | None:
    hook = envelope.get("hook")
    event = hook.get("event") if isinstance(hook, dict) else None
    return event if isinstance(event, str) else None


def _ignored(reason: str, event: str | None, account_id: int | None = None) -> WebhookOutcome:
    log.info("merge.webhook.ignored", reason=reason, hook_event=event, account_id=account_id)
    return WebhookOutcome("ignored", reason, event, account_id)
