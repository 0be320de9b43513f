"""An account's settings: one typed value (`AccountSettings`) behind one service.

    leavers        what people missing from a full import become (former, or deactivated)
    time zone      the account's own: import dates, the daily sync's time, the emails' times
    safeguards     the mass-leaver threshold: flagged when more than a share of the active people
                   and at least a count leave (defaults 20% and 5)
    hold           per person (on by default): an automated sync's privacy or mass-leaver finding
                   holds only the flagged people's changes and imports the rest (`runs.held`);
                   off: the finding blocks the whole sync
    redaction      fields never kept (`accounts.redaction`: switching one on purges it)
    alerts         the addresses that get the admins' emails, beside the administrators
    auto-sync      on or off, its time of day (`accounts.autosync`: its schedule counts from
                   the moment it is set)

The web pages, the API and the CLI all change settings through here, so each is validated once,
the same way. Planning and the guard read the part they need as one `SyncPolicy`. The caller
owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from peoplesync.core.emails import email_problem
from peoplesync.core.employee import LeaverPolicy
from peoplesync.core.policy import DEFAULT_LEAVER_COUNT, SyncPolicy
from peoplesync.errors import InputError
from peoplesync.store.models import Account, NotificationRecipient

MAX_LEAVER_COUNT: Final = 1_000_000  # more people than any account has


@dataclass(frozen=True, slots=True)
class AccountSettings:
    policy: SyncPolicy
    timezone: str
    auto_sync_enabled: bool
    auto_sync_time: str  # "HH:MM" in `timezone`
    alert_emails: tuple[str, ...]
    hold_per_person: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "leaver_policy": self.policy.leaver_policy.value,
            "timezone": self.timezone,
            "leaver_threshold_share": self.policy.leaver_share,
            "leaver_threshold_count": self.policy.leaver_count,
            "redacted_fields": sorted(self.policy.redacted),
            "alert_emails": list(self.alert_emails),
            "hold_per_person": self.hold_per_person,
        }


class Unset:
    """A setting the change leaves as it is."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """What to change; everything left UNSET stays as it is."""

    leaver_policy: str | Unset = UNSET
    timezone: str | Unset = UNSET
    leaver_threshold_share: float | Unset = UNSET
    leaver_threshold_count: int | Unset = UNSET
    hold_per_person: bool | Unset = UNSET


def policy_of(account: Account) -> SyncPolicy:
    return SyncPolicy(
        leaver_policy=LeaverPolicy(account.leaver_policy),
        leaver_share=account.leaver_threshold_share,
        leaver_count=(
            DEFAULT_LEAVER_COUNT
            if account.leaver_threshold_count is None
            else account.leaver_threshold_count
        ),
        redacted=frozenset(str(f) for f in account.redacted_fields),
    )


def settings_of(session: Session, account: Account) -> AccountSettings:
    return AccountSettings(
        policy=policy_of(account),
        timezone=account.timezone,
        auto_sync_enabled=account.auto_sync_enabled,
        auto_sync_time=account.auto_sync_time,
        alert_emails=tuple(list_alerts(session, account.id)),
        hold_per_person=account.hold_per_person,
    )


def change_settings(session: Session, account: Account, change: SettingsChange) -> AccountSettings:
    """Validate every value first, then change them all (or none)."""
    policy = None if isinstance(change.leaver_policy, Unset) else _policy(change.leaver_policy)
    zone = None if isinstance(change.timezone, Unset) else _zone(change.timezone)
    share = change.leaver_threshold_share
    if not isinstance(share, Unset) and not 0 < share <= 1:
        raise InputError(
            "The leaver threshold's share must be more than 0 and at most 100 %.",
            field="leaver_threshold_share",
        )
    count = change.leaver_threshold_count
    if not isinstance(count, Unset) and (
        isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_LEAVER_COUNT
    ):
        raise InputError(
            f"The leaver threshold's count must be a whole number between 0 and "
            f"{MAX_LEAVER_COUNT:,} (0: any number of leavers above the share).",
            field="leaver_threshold_count",
        )
    hold = change.hold_per_person
    if not isinstance(hold, (Unset, bool)):
        raise InputError(
            "Holding per person is on or off (true or false).", field="hold_per_person"
        )
    if policy is not None:
        account.leaver_policy = policy
    if zone is not None:
        account.timezone = zone
    if not isinstance(share, Unset):
        account.leaver_threshold_share = share
    if not isinstance(count, Unset):
        account.leaver_threshold_count = count
    if not isinstance(hold, Unset):
        account.hold_per_person = hold
    return settings_of(session, account)


def _policy(value: str) -> LeaverPolicy:
    try:
        return LeaverPolicy(value.strip())
    except ValueError:
        raise InputError(
            f"'{value}' is not a leaver policy.",
            hint="Use 'former' or 'deactivated'.",
            field="leaver_policy",
        ) from None


def _zone(value: str) -> str:
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"'{value}' is not a time zone.", hint="Use an IANA name.", field="timezone"
        ) from None
    return name


# --- alerts: who gets the admins' emails besides the administrators ------------------------


def add_alert(session: Session, account: Account, email: str, *, now: datetime) -> str:
    address = email.strip()
    problem = email_problem(address)
    if problem:
        raise InputError(f"'{address}' is not an email address: {problem}", field="email")
    try:
        with session.begin_nested():
            session.add(NotificationRecipient(account_id=account.id, email=address, created_at=now))
    except IntegrityError:
        pass  # already a recipient: adding twice is fine
    return address


def remove_alert(session: Session, account: Account, email: str) -> bool:
    result = session.execute(
        delete(NotificationRecipient).where(
            NotificationRecipient.account_id == account.id,
            func.lower(NotificationRecipient.email) == email.strip().lower(),
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_alerts(session: Session, account_id: int) -> list[str]:
    """The extra addresses an admin added (Account settings, `peoplesync alerts add`)."""
    return list(
        session.scalars(
            select(NotificationRecipient.email)
            .where(NotificationRecipient.account_id == account_id)
            .order_by(NotificationRecipient.email)
        )
    )
