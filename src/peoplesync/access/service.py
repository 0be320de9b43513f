"""Who may use the web app and the API: logins (argon2id), browser sessions, API tokens.

A browser session is a random token in an HttpOnly cookie; the database keeps only its SHA-256,
with the session's CSRF token beside it. An API token is shown once when it is made and stored as
its SHA-256 (a token is long and random, so a fast hash is enough; passwords get argon2id).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from peoplesync.core.emails import email_problem
from peoplesync.core.employee import fold
from peoplesync.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from peoplesync.store.models import Account, ApiToken, Login, Person, WebSession

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5  # failed sign-ins in a row before the login is locked for LOCKOUT
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "pst_"  # noqa: S105 - a prefix that marks our tokens, not a secret

_hasher = PasswordHasher()
# Checked when no login has the address: a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no such login: this only spends the same time")


class Role(enum.StrEnum):
    ADMIN = "admin"  # account administrator: settings, integrations, imports, every user
    USER = "user"  # their own record only


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a signed-in login (with its CSRF token) or an API token (admin rights)."""

    account_id: int
    role: Role
    actor: str  # what the history records as "who"
    login_id: int | None = None
    person_id: str | None = None
    csrf_token: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- logins --------------------------------------------------------------------------------


def create_login(
    session: Session,
    account: Account,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    now: datetime,
    person_id: str | None = None,
) -> Login:
    email = email.strip()
    if problem := email_problem(email):
        raise InputError(f"'{email}' is not a valid email: {problem}", field="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The password is too short ({len(password)} characters).",
            hint=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    key = fold(email)
    if session.scalar(select(Login.id).where(Login.email_key == key)) is not None:
        raise ConflictError(f"A login for {email} already exists.", field="email")
    login = Login(
        account_id=account.id,
        email=email,
        email_key=key,
        name=name.strip() or email,
        role=str(role),
        password_hash=_hasher.hash(password),
        person_id=person_id,
        created_at=now,
    )
    session.add(login)
    session.flush()
    return login


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> Login:
    """The login for this email and password, or AuthenticationError (which never says which
    was wrong). A failure is counted on the login: after MAX_FAILED_LOGINS in a row, sign-in is
    refused for LOCKOUT, right password or not. The caller commits the count before answering."""
    login = session.scalar(select(Login).where(Login.email_key == fold(email.strip())))
    try:
        _hasher.verify(login.password_hash if login else _DUMMY_HASH, password)
        verified = login is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if login is not None and login.locked_until is not None and login.locked_until > now:
        minutes = max(1, round((login.locked_until - now).total_seconds() / 60))
        raise AuthenticationError(
            "Too many failed sign-ins for this login.",
            hint=f"Try again in {minutes} minute(s), or ask an administrator.",
        )
    if not verified or login is None:
        if login is not None:
            login.failed_logins += 1
            if login.failed_logins >= MAX_FAILED_LOGINS:
                login.locked_until, login.failed_logins = now + LOCKOUT, 0
        raise AuthenticationError("Wrong email or password.", hint="Check both and try again.")
    if _hasher.check_needs_rehash(login.password_hash):
        login.password_hash = _hasher.hash(password)
    login.last_login_at, login.failed_logins, login.locked_until = now, 0, None
    return login


def change_password(
    session: Session, login_id: int, *, current: str, new: str, now: datetime
) -> None:
    """Set a new password after checking the current one (e.g. replacing a one-time password)."""
    login = session.get(Login, login_id)
    if login is None:
        raise NotFoundError("This login no longer exists.")
    try:
        _hasher.verify(login.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InputError(
            "The current password is not right.", field="current", hint="Type it again."
        ) from None
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The new password is too short ({len(new)} characters).",
            hint=f"Use at least {MIN_PASSWORD_LENGTH} characters.",
            field="new",
        )
    login.password_hash = _hasher.hash(new)
    login.failed_logins, login.locked_until = 0, None
    session.flush()


def list_logins(session: Session, account_id: int) -> list[Login]:
    return list(
        session.scalars(select(Login).where(Login.account_id == account_id).order_by(Login.email))
    )


def invite_login(
    session: Session, account: Account, *, email: str, name: str, role: Role, now: datetime
) -> tuple[str, Login]:
    """A login made by an administrator, with a one-time password (shown once, to pass on).
    It is linked to the directory person with the same email, who is their own page."""
    password = secrets.token_urlsafe(12)
    person = session.scalar(
        select(Person.id).where(Person.account_id == account.id, Person.email_key == fold(email))
    )
    login = create_login(
        session,
        account,
        email=email,
        name=name,
        password=password,
        role=role,
        now=now,
        person_id=person,
    )
    return password, login


def remove_login(session: Session, account_id: int, login_id: int, *, by_login: int | None) -> str:
    """Remove a login of the account (and its sessions). Not yourself, not the last admin."""
    login = session.scalar(
        select(Login).where(Login.id == login_id, Login.account_id == account_id)
    )
    if login is None:
        raise NotFoundError(f"There is no login {login_id} in this account.")
    if login.id == by_login:
        raise ConflictError("You cannot remove your own login.", hint="Ask another administrator.")
    admins = session.scalars(
        select(Login.id).where(Login.account_id == account_id, Login.role == Role.ADMIN.value)
    ).all()
    if login.role == Role.ADMIN and list(admins) == [login.id]:
        raise ConflictError(
            "This is the account's last administrator.", hint="Make another administrator first."
        )
    session.execute(delete(WebSession).where(WebSession.login_id == login.id))
    session.delete(login)
    session.flush()
    return login.email


# --- browser sessions ----------------------------------------------------------------------


def open_session(session: Session, login: Login, *, now: datetime) -> str:
    """Start a browser session; returns the cookie value (never stored as such)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            login_id=login.id,
            account_id=login.account_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.flush()
    return token


def session_principal(session: Session, token: str, *, now: datetime) -> Principal | None:
    row = session.execute(
        select(WebSession, Login)
        .join(Login, Login.id == WebSession.login_id)
        .where(WebSession.token_hash == _digest(token), WebSession.expires_at > now)
    ).first()
    if row is None:
        return None
    web, login = row
    return Principal(
        account_id=login.account_id,
        role=Role(login.role),
        actor=login.email,
        login_id=login.id,
        person_id=login.person_id,
        csrf_token=web.csrf_token,
    )


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


# --- API tokens ----------------------------------------------------------------------------


def create_api_token(
    session: Session, account: Account, *, name: str, actor: str | None, now: datetime
) -> tuple[str, ApiToken]:
    """A new token for the account's API; the plain value is returned here and only here."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=account.id,
        name=name.strip() or "API token",
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(plain),
        created_by=actor,
        created_at=now,
    )
    session.add(token)
    session.flush()
    return plain, token


def token_principal(session: Session, plain: str, *, now: datetime) -> Principal | None:
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(plain), ApiToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return Principal(account_id=token.account_id, role=Role.ADMIN, actor=f"api:{token.prefix}")


def list_api_tokens(session: Session, account_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id)
        )
    )


def revoke_api_token(session: Session, account_id: int, token_id: int, *, now: datetime) -> None:
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.account_id == account_id)
    )
    if token is None:
        raise NotFoundError(f"There is no API token {token_id}.")
    token.revoked_at = token.revoked_at or now
    session.flush()
