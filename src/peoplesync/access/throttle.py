"""The brute-force brake: failed sign-ins and wrong API tokens, counted per client address and
per login tried, in a sliding window (a `Brake`; BRAKE is the one the service uses).

    from one address, for one login     per_login_and_client   5   (a guesser)
    from one address, any login         per_client            20   (a sprayer)
    for one login, from anywhere        per_login             50   (many addresses)
    wrong API tokens from one address   tokens_per_client     20

A login is "the account and email tried", whether or not such a login exists: an unknown email is
counted and refused exactly as a real one, so being refused says nothing about who has a login.
An attempt refused by the brake is not counted again, so one address adds at most
per_login_and_client to a login's count: a stranger on one address cannot lock an administrator
out (it takes per_login / per_login_and_client addresses, 10, within the window).
Failures are rows of `sign_in_failures`, so the brake holds across processes and restarts; rows
older than the window are deleted as new ones come.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from peoplesync.store.models import SignInFailure


@dataclass(frozen=True, slots=True)
class Brake:
    """How many failures within `window` stop further attempts (see the table above)."""

    window: timedelta = timedelta(minutes=15)
    per_login_and_client: int = 5
    per_client: int = 20
    per_login: int = 50
    tokens_per_client: int = 20


BRAKE = Brake()


class Kind(enum.StrEnum):
    SIGN_IN = "sign_in"
    API_TOKEN = "api_token"  # noqa: S105 - a kind of failure, not a secret


def login_key(account: int | str, email_key: str) -> str:
    """What a sign-in tried, as a digest (the table keeps no email a stranger typed): the
    account's id where the name found one, else the name as typed."""
    return hashlib.sha256(f"{account}\n{email_key}".encode()).hexdigest()


def sign_in_refused(
    session: Session, *, client: str, target: str, now: datetime, brake: Brake = BRAKE
) -> bool:
    """Whether the brake stops this sign-in (whatever its password)."""
    since = now - brake.window
    by_client = _count(session, Kind.SIGN_IN, since, SignInFailure.client == client)
    if by_client >= brake.per_client:
        return True
    by_login = _count(session, Kind.SIGN_IN, since, SignInFailure.target == target)
    if by_login >= brake.per_login:
        return True
    pair = (SignInFailure.target == target, SignInFailure.client == client)
    return _count(session, Kind.SIGN_IN, since, *pair) >= brake.per_login_and_client


def token_refused(session: Session, *, client: str, now: datetime, brake: Brake = BRAKE) -> bool:
    found = _count(session, Kind.API_TOKEN, now - brake.window, SignInFailure.client == client)
    return found >= brake.tokens_per_client


def record_failure(
    session: Session,
    kind: Kind,
    *,
    client: str,
    now: datetime,
    target: str | None = None,
    brake: Brake = BRAKE,
) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at < now - brake.window))
    session.add(SignInFailure(kind=kind.value, client=client, target=target, failed_at=now))
    session.flush()


def forgive(session: Session, *, client: str, target: str) -> None:
    """A successful sign-in clears its own address's failures for that login ("in a row")."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.kind == Kind.SIGN_IN.value,
            SignInFailure.target == target,
            SignInFailure.client == client,
        )
    )


def _count(session: Session, kind: Kind, since: datetime, *where: object) -> int:
    query = (
        select(func.count())
        .select_from(SignInFailure)
        .where(SignInFailure.kind == kind.value, SignInFailure.failed_at >= since, *where)  # type: ignore[arg-type]
    )
    return int(session.scalar(query) or 0)
