"""Who gets the admins' emails: every account administrator, and the addresses added."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from peoplesync.access.service import Role, create_login
from peoplesync.accounts.service import create_account
from peoplesync.accounts.settings import add_alert as add_recipient
from peoplesync.notify.service import email_recipients
from peoplesync.store.models import Account

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def _login(session: Session, account: Account, email: str, role: Role) -> None:
    create_login(
        session, account, email=email, name="x", password="long enough pw", role=role, now=NOW
    )


def test_the_admins_and_the_added_addresses_each_once(session: Session, account: Account) -> None:
    other = create_account(session, "Other Co", now=NOW)
    _login(session, account, "Ada@acme.example", Role.ADMIN)
    _login(session, account, "pat@acme.example", Role.USER)
    _login(session, other, "olga@other.example", Role.ADMIN)
    add_recipient(session, account, "hr-team@acme.example", now=NOW)
    add_recipient(session, account, "ada@ACME.example", now=NOW)

    assert email_recipients(session, account.id) == ["Ada@acme.example", "hr-team@acme.example"]
    assert email_recipients(session, other.id) == ["olga@other.example"]
