"""Merge -> us webhooks: `LinkedAccount.linked` connects (or relinks) an account;
`LinkedAccount.sync_completed` can start an automatic sync.

`LinkedAccount.linked` is the only webhook that carries the account token (`data.account_token`,
with `data.is_relink`): it is how a Magic Link connects, and how a relink made elsewhere reaches
us. The account is the one whose `end_user_origin_id` our link token named
(`connections.linking.origin_id`); its connection is saved with the linked account's `id` and
integration, sealed like any other.

`X-Merge-Webhook-Signature` is base64url(HMAC-SHA256(key, raw body)); we compare it in constant
time, with or without `=` padding. A bad or missing signature is refused before the body is even
parsed, and starts nothing. A good one for a linked account we know, whose account has auto-sync
on, enqueues a sync with trigger "webhook" (after the caller's commit). Anything else is
acknowledged and ignored: Merge retries what we refuse, so we refuse only what we must.

Replays. Merge sends no delivery id and no timestamp header; `hook.id` names the webhook
configuration, not the delivery, and Merge's help centre says to tell deliveries apart by their
signature, i.e. by the signed body. So a `sync_completed` delivery is remembered by the SHA-256 of
its raw body in `merge_webhook_receipts`, in the caller's transaction (so it holds across
processes and restarts, and a delivery whose transaction rolls back can still be retried). The
same body again within DELIVERY_MEMORY is acknowledged and ignored. The body's own clock is the
newest `last_sync_finished` of its `data.sync_status`: a delivery whose sync finished more than
MAX_DELIVERY_AGE ago is refused (403), so a replay after its receipt was forgotten acts on
nothing either. (A body without any `last_sync_finished` can only be deduplicated.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from peoplesync.config import Settings
from peoplesync.connections import linking
from peoplesync.connections import service as connections
from peoplesync.crypto import SecretBox, secret_box
from peoplesync.errors import ConfigError, InputError, PermissionDeniedError
from peoplesync.runs.service import active_run
from peoplesync.store.effects import after_commit
from peoplesync.store.models import Account, MergeWebhookReceipt

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Merge-Webhook-Signature"
SYNC_COMPLETED = "LinkedAccount.sync_completed"
LINKED = "LinkedAccount.linked"
# Merge retries a failed delivery for about an hour at most (its docs disagree on the schedule);
# six hours leave room for that, for clock skew and for a receiver that was down a while.
MAX_DELIVERY_AGE = timedelta(hours=6)
# How long a delivery's receipt is kept: longer than MAX_DELIVERY_AGE, so that a replay of a
# delivery that says when its sync finished is either remembered or too old.
DELIVERY_MEMORY = timedelta(days=7)


class WebhookSignatureError(PermissionDeniedError):
    """The webhook is not signed with our key: refused, nothing done (HTTP 403)."""

    code = "bad_signature"


class WebhookStaleError(PermissionDeniedError):
    """A signed delivery about a sync that finished too long ago: a replay, refused (HTTP 403)."""

    code = "stale_delivery"


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    action: str  # sync_enqueued, connected, ignored
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
    now: datetime,
    box: SecretBox | None = None,
) -> WebhookOutcome:
    """Verify, read and act on one delivery. `enqueue_sync(account_id, trigger)` runs after the
    caller's commit (pass `Jobs.enqueue_sync`). Raises WebhookSignatureError on a bad signature,
    WebhookStaleError on a delivery about a sync long finished, InputError on a signed body that
    is not a Merge envelope."""
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
    if event not in (SYNC_COMPLETED, LINKED):
        return _ignored("not a linked or sync_completed event", event)
    _refuse_stale(envelope, now)
    if not _first_receipt(session, raw_body, now):
        return _ignored("a delivery already received", event)
    linked = envelope.get("linked_account")
    linked = linked if isinstance(linked, dict) else {}
    linked_id = _str(linked.get("id"))
    if event == LINKED:
        return _linked(
            session, envelope, linked, settings=settings, box=box or secret_box(settings), now=now
        )
    return _sync_completed(session, linked_id, enqueue_sync)


def _sync_completed(
    session: Session, linked_id: str | None, enqueue_sync: Callable[[int, str], object]
) -> WebhookOutcome:
    """A sync for the linked account's account, if we know it and its auto-sync is on."""
    event = SYNC_COMPLETED
    connection = connections.by_linked_account(session, linked_id) if linked_id else None
    if connection is None or connection.account_token_encrypted is None:
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


def _linked(
    session: Session,
    envelope: dict[str, Any],
    linked: dict[str, Any],
    *,
    settings: Settings,
    box: SecretBox,
    now: datetime,
) -> WebhookOutcome:
    """Connect (Magic Link) or relink the account our link token named."""
    data = envelope.get("data")
    data = data if isinstance(data, dict) else {}
    token, linked_id = _str(data.get("account_token")), _str(linked.get("id"))
    account_id = linking.account_of_origin(_str(linked.get("end_user_origin_id")))
    account = session.get(Account, account_id) if account_id is not None else None
    if account is None or token is None or linked_id is None or settings.merge_api_key is None:
        return _ignored("not a linked account of ours", LINKED)
    found = linking.LinkedAccount(
        token,
        linked_id,
        _str(data.get("integration_name")) or _str(linked.get("integration")),
        _str(data.get("integration_slug")) or _str(linked.get("integration_slug")),
    )
    linking.save(
        session,
        account,
        found,
        box=box,
        base_url=settings.merge_base_url,
        api_key=settings.merge_api_key.get_secret_value(),
        now=now,
    )
    relink = data.get("is_relink") is True
    log.info("merge.webhook.linked", account_id=account.id, is_relink=relink)
    what = "relinked" if relink else "linked"
    return WebhookOutcome(
        "connected", f"{found.integration_name or 'HRIS'} {what}", LINKED, account.id
    )


def _str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse(raw_body: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"The webhook body is not JSON ({err}).") from None
    if not isinstance(envelope, dict):
        raise InputError("The webhook body is not a JSON object.")
    return envelope


def _refuse_stale(envelope: dict[str, Any], now: datetime) -> None:
    finished = _newest_sync_finished(envelope)
    if finished is not None and now - finished > MAX_DELIVERY_AGE:
        log.warning("merge.webhook.refused", reason="stale", finished=finished.isoformat())
        raise WebhookStaleError(
            f"This delivery is about a sync that finished at {finished.isoformat()}, "
            f"more than {MAX_DELIVERY_AGE} ago: a replay is not acted on."
        )


def _newest_sync_finished(envelope: dict[str, Any]) -> datetime | None:
    """The newest `data.sync_status.*.last_sync_finished` (ISO 8601, UTC), if any parses."""
    data = envelope.get("data")
    statuses = data.get("sync_status") if isinstance(data, dict) else None
    found: list[datetime] = []
    for status in statuses.values() if isinstance(statuses, dict) else ():
        value = status.get("last_sync_finished") if isinstance(status, dict) else None
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is not None:
            found.append(moment)
    return max(found, default=None)


def _first_receipt(session: Session, raw_body: bytes, now: datetime) -> bool:
    """Remember this delivery; False if it was received before (one statement, race-free: the
    digest is the primary key). Receipts older than DELIVERY_MEMORY are forgotten here."""
    receipt = MergeWebhookReceipt
    session.execute(delete(receipt).where(receipt.received_at < now - DELIVERY_MEMORY))
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(receipt)
    statement = insert.on_conflict_do_nothing(index_elements=[receipt.digest]).returning(
        receipt.digest
    )
    digest = hashlib.sha256(raw_body).hexdigest()
    return session.scalar(statement, {"digest": digest, "received_at": now}) is not None


def _event(envelope: dict[str, Any]) -> str | None:
    hook = envelope.get("hook")
    event = hook.get("event") if isinstance(hook, dict) else None
    return event if isinstance(event, str) else None


def _ignored(reason: str, event: str | None, account_id: int | None = None) -> WebhookOutcome:
    log.info("merge.webhook.ignored", reason=reason, hook_event=event, account_id=account_id)
    return WebhookOutcome("ignored", reason, event, account_id)
