"""Sign-in: logins, web sessions, API tokens, failed attempts, and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from peoplesync.store.models.base import (
    Base,
)


class AuditEvent(Base):
    """Account-level history beyond sync runs: auto-sync switched, fields redacted and purged."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column()


# --- Web access: logins, their sessions, API tokens ------------------------------------------


class Login(Base):
    """Someone who signs in to the web app: an account administrator or a plain user."""

    __tablename__ = "logins"
    # One login per address in an account; the same address may sign in to several accounts
    # (an account cannot learn, nor take, an address another account uses).
    __table_args__ = (UniqueConstraint("account_id", "email_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320))  # folded; one login per address
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | user
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    person_id: Mapped[str | None] = mapped_column(String(32))  # their own directory record
    created_at: Mapped[datetime] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("logins.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class SignInFailure(Base):
    """A failed sign-in or a wrong API token, kept for the brake's window (access/throttle.py).
    No account of its own: a failure is counted before anything says whose it would be."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_client", "kind", "client", "failed_at"),
        Index("ix_sign_in_failures_target", "target", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # sign_in | api_token
    client: Mapped[str] = mapped_column(String(64))  # the client's address
    target: Mapped[str | None] = mapped_column(String(64))  # digest of the account + email tried
    failed_at: Mapped[datetime] = mapped_column()


class ApiToken(Base):
    """An account's API token: shown once at creation, stored as its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
