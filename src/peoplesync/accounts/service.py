"""Accounts: create, find, and their settings. The caller owns the transaction."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peoplesync.core.employee import LeaverPolicy
from peoplesync.errors import ConflictError, InputError, NotFoundError
from peoplesync.store.models import Account


def create_account(session: Session, name: str, *, now: datetime) -> Account:
    name = name.strip()
    if not name:
        raise InputError("An account needs a name.")
    account = Account(
        name=name,
        created_at=now,
        directory_version=0,
        leaver_policy=LeaverPolicy.FORMER.value,
        timezone="UTC",
        auto_sync_enabled=False,
        auto_sync_time="02:00",
        leaver_threshold_share=0.2,
        redacted_fields=[],
    )
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError:
        raise ConflictError(f"An account named '{name}' already exists.") from None
    return account


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.name)))


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError("No such account.")
    return account


def resolve_account(session: Session, name: str | None) -> Account:
    """The account called `name`; with no name, the only account there is."""
    if name is not None:
        account = session.scalar(select(Account).where(Account.name == name))
        if account is None:
            raise NotFoundError(
                f"No account named '{name}'.", hint="List them with `peoplesync accounts list`."
            )
        return account
    count = session.scalar(select(func.count()).select_from(Account)) or 0
    if count == 0:
        raise NotFoundError(
            "There is no account yet.", hint="Create one with `peoplesync accounts create NAME`."
        )
    if count > 1:
        raise InputError(f"There are {count} accounts.", hint="Say which with --account NAME.")
    return session.scalars(select(Account)).one()


def local_today(account: Account, now: datetime) -> date:
    """The import date: today in the account's own time zone."""
    return now.astimezone(ZoneInfo(account.timezone)).date()


def bump_version(session: Session, account_id: int, expected: int | None = None) -> bool:
    """Advance the directory version; with `expected`, only if it still is that version."""
    stmt = update(Account).where(Account.id == account_id)
    if expected is not None:
        stmt = stmt.where(Account.directory_version == expected)
    result = session.execute(
        stmt.values(directory_version=Account.directory_version + 1),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
