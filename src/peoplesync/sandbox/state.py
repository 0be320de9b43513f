"""Everything the sandbox HRIS knows: its linked accounts, Link sessions and tokens.

All of it is touched only from the server's event loop (handlers are `async def`), so it needs no
locks. Accounts are isolated: each has its own overlay of HR changes over a shared, immutable
synthetic company, its own sync status, faults, rate limit and webhook.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peoplesync.sandbox.catalog import Catalog, build_catalog
from peoplesync.sandbox.clock import Clock, MergeClock
from peoplesync.sandbox.company import company_for
from peoplesync.sandbox.faults import FaultQueue, RateLimiter
from peoplesync.sandbox.ids import merge_datetime
from peoplesync.sandbox.sync import Completed, SyncBoard
from peoplesync.sandbox.webhooks import Outbox, WebhookConfig

DEFAULT_API_KEY = "sandbox-api-key"
INTEGRATION_ID = "5e7f0f1e-7a45-4b39-9c52-5a1d3f1e0b11"
INTEGRATION: dict[str, object] = {
    "name": "Justworks",
    "slug": "justworks",
    "categories": ["hris"],
    "image": None,
    "square_image": None,
    "color": "#3C7CF6",
    "passthrough_available": True,
}


@dataclass(frozen=True)
class SandboxConfig:
    api_key: str = DEFAULT_API_KEY
    seed: int = 1  # the company a Link flow connects
    size: int = 200
    initial_sync_seconds: float = 3.0
    app_name: str = "peoplesync"  # named on the Link consent line
    tick_seconds: float = 0.05  # how often scripted syncs are checked


@dataclass
class LinkedAccount:
    id: str
    token: str
    origin_id: str
    organization_name: str
    email_address: str
    completed_at: datetime
    catalog: Catalog
    sync: SyncBoard
    sync_seconds: float
    faults: FaultQueue = field(default_factory=FaultQueue)
    limiter: RateLimiter | None = None
    webhook: WebhookConfig | None = None
    status: str = "COMPLETE"  # COMPLETE | INCOMPLETE | RELINK_NEEDED | IDLE

    def details_json(self) -> dict[str, object]:
        """`GET /account-details` (AccountDetails)."""
        return {
            "id": self.id,
            "integration": "Justworks",
            "integration_slug": "justworks",
            "category": "hris",
            "end_user_origin_id": self.origin_id,
            "end_user_organization_name": self.organization_name,
            "end_user_email_address": self.email_address,
            "status": self.status,
            "webhook_listener_url": f"https://api.merge.dev/api/integrations/webhook-listener/{self.id}",
            "is_duplicate": False,
            "account_type": "TEST",
            "completed_at": merge_datetime(self.completed_at),
            "instance_id": None,
            "instance_display_value": None,
        }

    def linked_account_json(self) -> dict[str, object]:
        """An item of `GET /linked-accounts`."""
        body = self.details_json()
        for key in ("integration_slug", "instance_id", "instance_display_value"):
            body.pop(key)
        body |= {
            "status_detail": "",
            "subdomain": None,
            "integration": INTEGRATION,
            "integration_specific_fields": {},
        }
        return body

    def hook_json(self) -> dict[str, object]:
        """`linked_account` of a webhook envelope."""
        body = self.details_json()
        body.pop("instance_id")
        body.pop("instance_display_value")
        return body


@dataclass
class LinkSession:
    token: str
    origin_id: str
    organization_name: str
    email_address: str
    expires_at: datetime
    used: bool = False


class SandboxState:
    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.merge_clock = MergeClock(clock)
        self.accounts: dict[str, LinkedAccount] = {}
        self.deleted_tokens: set[str] = set()
        self.link_sessions: dict[str, LinkSession] = {}
        self.public_tokens: dict[str, str] = {}  # public token -> account token
        self.outbox = Outbox()
        self.org_webhook: WebhookConfig | None = None  # Merge's dashboard webhook: every account

    def create_account(
        self,
        *,
        seed: int,
        size: int,
        initial_sync_seconds: float,
        origin_id: str | None = None,
        organization_name: str | None = None,
        email_address: str | None = None,
    ) -> LinkedAccount:
        company = company_for(seed, size)
        now = self.clock.now()
        account = LinkedAccount(
            id=str(uuid.uuid4()),
            token=secrets.token_urlsafe(24),
            origin_id=origin_id or f"sandbox-{uuid.uuid4().hex[:12]}",
            organization_name=organization_name or company.facts.display_name,
            email_address=email_address or f"hr@{company.facts.domain}",
            completed_at=now,
            catalog=build_catalog(company, self.merge_clock.tick()),
            sync=SyncBoard.initial(now, initial_sync_seconds),
            sync_seconds=initial_sync_seconds,
        )
        self.accounts[account.token] = account
        return account

    def account(self, token: str) -> LinkedAccount | None:
        return self.accounts.get(token)

    def delete_account(self, token: str) -> None:
        if self.accounts.pop(token, None) is not None:
            self.deleted_tokens.add(token)

    def create_link_session(
        self, origin_id: str, organization_name: str, email_address: str, expiry_minutes: int
    ) -> LinkSession:
        session = LinkSession(
            token=secrets.token_urlsafe(24),
            origin_id=origin_id,
            organization_name=organization_name,
            email_address=email_address,
            expires_at=self.clock.now() + timedelta(minutes=expiry_minutes),
        )
        self.link_sessions[session.token] = session
        return session

    def open_link_session(self, token: str) -> LinkSession | None:
        """The session of a link token that is unused and unexpired."""
        session = self.link_sessions.get(token)
        if session is None or session.used or session.expires_at <= self.clock.now():
            return None
        return session

    def complete_link(self, session: LinkSession) -> tuple[LinkedAccount, str]:
        """Link: reuse the origin's account (one per origin id and category) or create one."""
        session.used = True
        account = next(
            (a for a in self.accounts.values() if a.origin_id == session.origin_id), None
        ) or self.create_account(
            seed=self.config.seed,
            size=self.config.size,
            initial_sync_seconds=self.config.initial_sync_seconds,
            origin_id=session.origin_id,
            organization_name=session.organization_name,
            email_address=session.email_address,
        )
        public_token = secrets.token_urlsafe(24)
        self.public_tokens[public_token] = account.token
        self.emit(account, "LinkedAccount.linked", account.hook_json())
        return account, public_token

    def exchange_public_token(self, public_token: str) -> LinkedAccount | None:
        """Single use: a second exchange of the same public token finds nothing."""
        token = self.public_tokens.pop(public_token, None)
        return None if token is None else self.accounts.get(token)

    def advance(self) -> None:
        """Apply due scripted sync transitions; send `LinkedAccount.sync_completed` for each."""
        now = self.clock.now()
        for account in list(self.accounts.values()):
            done = account.sync.advance(now)
            if done is not None:
                self.sync_completed(account, done)

    def sync_completed(self, account: LinkedAccount, done: Completed) -> None:
        data = {
            "is_initial_sync": done.is_initial_sync,
            "integration_name": "Justworks",
            "integration_id": INTEGRATION_ID,
            "sync_status": done.statuses,
        }
        self.emit(account, "LinkedAccount.sync_completed", data)

    def emit(self, account: LinkedAccount, event: str, data: object) -> None:
        """Send `event` to the account's webhook, else to the organization's, if any."""
        config = account.webhook or self.org_webhook
        if config is not None:
            self.outbox.send(config, event, account.hook_json(), data)

    def limited(self, account: LinkedAccount) -> int:
        """Seconds to wait when the account's rate limit is exhausted, else 0."""
        return 0 if account.limiter is None else account.limiter.wait_seconds(time.monotonic())
