"""Everything the sandbox HRIS knows: its linked accounts, Link sessions and tokens.

All of it is touched only from the server's event loop (handlers are `async def`), so it needs no
locks. Accounts are isolated: each has its own overlay of HR changes over a shared, immutable
synthetic company, its own sync status, faults, rate limit and webhook.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from starlette.datastructures import QueryParams

from peoplesync.sandbox.catalog import Catalog, build_catalog
from peoplesync.sandbox.clock import Clock, MergeClock
from peoplesync.sandbox.company import company_for
from peoplesync.sandbox.faults import FaultQueue, RateLimiter
from peoplesync.sandbox.ids import merge_datetime
from peoplesync.sandbox.providers import JUSTWORKS, Integration
from peoplesync.sandbox.query import parse_options
from peoplesync.sandbox.quirks import Quirks
from peoplesync.sandbox.records import EMPLOYEE_EXPANDS, precompute_employees
from peoplesync.sandbox.sync import SYNC_INTERVAL, Completed, SyncBoard
from peoplesync.sandbox.webhooks import Outbox, WebhookConfig

DEFAULT_API_KEY = "sandbox-api-key"
PLANS: dict[str, int] = {"launch": 100, "professional": 400, "enterprise": 600}  # per minute


@dataclass(frozen=True)
class SandboxConfig:
    """The server's settings; the budget, latency and quirks are the defaults of every account
    a Link flow creates (the control API sets them per account)."""

    api_key: str = DEFAULT_API_KEY
    seed: int = 1  # the company a Link flow connects
    size: int = 200
    initial_sync_seconds: float = 3.0
    app_name: str = "peoplesync"  # named on the Link consent line
    tick_seconds: float = 0.05  # how often scripted syncs are checked
    integration: Integration = JUSTWORKS  # what a Link flow without a chosen integration links
    rate_limit_per_minute: int | None = None  # Merge's plans: 100, 400 or 600; None: no limit
    page_latency_seconds: float = 0.0  # added to every list page (real Merge: hundreds of ms)
    sync_interval_seconds: float = SYNC_INTERVAL.total_seconds()
    quirks: Quirks = field(default_factory=Quirks)


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
    integration: Integration = JUSTWORKS
    faults: FaultQueue = field(default_factory=FaultQueue)
    limiter: RateLimiter | None = None
    page_latency_seconds: float = 0.0
    webhook: WebhookConfig | None = None
    status: str = "COMPLETE"  # COMPLETE | INCOMPLETE | RELINK_NEEDED | IDLE

    def details_json(self) -> dict[str, object]:
        """`GET /account-details` (AccountDetails)."""
        return {
            "id": self.id,
            "integration": self.integration.name,
            "integration_slug": self.integration.slug,
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
            "integration": self.integration.linked_account_integration(),
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
    integration: Integration | None = None  # None: Link shows the picker
    magic: bool = False  # a Magic Link: no public token, the token comes by webhook
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
        integration: Integration | None = None,
        quirks: Quirks | None = None,
        rate_limit_per_minute: int | None = None,
        page_latency_seconds: float | None = None,
        sync_interval_seconds: float | None = None,
        precompute_expand: Collection[str] | None = None,
    ) -> LinkedAccount:
        """A linked account; the budget, latency, interval and quirks default to the config's.
        `precompute_expand`: encode every employee with these relations expanded, now."""
        config = self.config
        company = company_for(seed, size)
        now = self.clock.now()
        chosen = integration or config.integration
        per_minute = rate_limit_per_minute or config.rate_limit_per_minute
        interval = timedelta(seconds=sync_interval_seconds or config.sync_interval_seconds)
        latency = page_latency_seconds
        if latency is None:
            latency = config.page_latency_seconds
        account = LinkedAccount(
            id=str(uuid.uuid4()),
            token=secrets.token_urlsafe(24),
            origin_id=origin_id or f"sandbox-{uuid.uuid4().hex[:12]}",
            organization_name=organization_name or company.facts.display_name,
            email_address=email_address or f"hr@{company.facts.domain}",
            completed_at=now,
            catalog=build_catalog(
                company,
                self.merge_clock.tick(),
                integration=chosen,
                quirks=config.quirks if quirks is None else quirks,
            ),
            sync=SyncBoard.initial(now, initial_sync_seconds, interval=interval),
            sync_seconds=initial_sync_seconds,
            integration=chosen,
            limiter=None if per_minute is None else RateLimiter(per_minute),
            page_latency_seconds=latency,
        )
        if precompute_expand is not None:
            options = parse_options(
                QueryParams({"expand": ",".join(precompute_expand)}), EMPLOYEE_EXPANDS
            )
            precompute_employees(account.catalog, options)
        self.accounts[account.token] = account
        return account

    def account(self, token: str) -> LinkedAccount | None:
        return self.accounts.get(token)

    def delete_account(self, token: str) -> None:
        """Merge's delete-account: the token stops working (401) and `LinkedAccount.deleted`."""
        account = self.accounts.pop(token, None)
        if account is not None:
            self.deleted_tokens.add(token)
            self.emit(account, "LinkedAccount.deleted", {})

    def create_link_session(
        self,
        origin_id: str,
        organization_name: str,
        email_address: str,
        expiry_minutes: int,
        *,
        integration: Integration | None = None,
        magic: bool = False,
    ) -> LinkSession:
        session = LinkSession(
            token=secrets.token_urlsafe(24),
            origin_id=origin_id,
            organization_name=organization_name,
            email_address=email_address,
            expires_at=self.clock.now() + timedelta(minutes=expiry_minutes),
            integration=integration,
            magic=magic,
        )
        self.link_sessions[session.token] = session
        return session

    def open_link_session(self, token: str) -> LinkSession | None:
        """The session of a link token that is unused and unexpired."""
        session = self.link_sessions.get(token)
        if session is None or session.used or session.expires_at <= self.clock.now():
            return None
        return session

    def complete_link(
        self, session: LinkSession, chosen: Integration | None = None
    ) -> tuple[LinkedAccount, str | None]:
        """Link: relink the origin's account (one per origin id and category: same id, same
        token, status COMPLETE again) or create one. `LinkedAccount.linked` carries the account
        token and `is_relink`. A Magic Link hands out no public token."""
        session.used = True
        existing = next(
            (a for a in self.accounts.values() if a.origin_id == session.origin_id), None
        )
        account = existing or self.create_account(
            seed=self.config.seed,
            size=self.config.size,
            initial_sync_seconds=self.config.initial_sync_seconds,
            origin_id=session.origin_id,
            organization_name=session.organization_name,
            email_address=session.email_address,
            integration=session.integration or chosen,
        )
        account.status = "COMPLETE"
        data = {
            "account_token": account.token,
            "is_relink": existing is not None,
            "integration_name": account.integration.name,
            "integration_slug": account.integration.slug,
        }
        self.emit(account, "LinkedAccount.linked", data)
        if session.magic:
            return account, None
        public_token = secrets.token_urlsafe(24)
        self.public_tokens[public_token] = account.token
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
            "integration_name": account.integration.name,
            "integration_id": account.integration.id,
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
